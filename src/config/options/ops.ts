// The operations options: where /health, /ready and /metrics listen, how long shutdown stays in
// lameduck, and how logs are written.
import { isIP } from 'node:net';
import { duration } from '../values.js';
import type { Reading } from './reading.js';

/** An HTTP endpoint's address; `host` undefined binds every interface (CoreDNS's `:8080`). */
export interface EndpointAddress {
  host?: string;
  port: number;
}

export type LogFormat = 'json' | 'pretty';

export interface OpsConfig {
  /** Undefined when turned off with an empty value. */
  health?: EndpointAddress;
  ready?: EndpointAddress;
  metrics?: EndpointAddress;
  /** How long queries are still answered after SIGTERM while /ready reports 503. */
  lameduckMs: number;
  logFormat: LogFormat;
}

/**
 * CoreDNS's addresses. Every interface, not loopback: kubelet probes and Prometheus reach a pod on
 * its pod IP, so a loopback default would fail every probe. Pass 127.0.0.1:PORT to keep them local.
 */
export const DEFAULT_ENDPOINTS = { health: ':8080', ready: ':8181', metrics: ':9153' } as const;

export const OPS_OPTIONS = {
  health: {
    type: 'string',
    metavar: 'ADDR',
    help: `serve /health here; empty turns it off (default ${DEFAULT_ENDPOINTS.health}, every interface)`,
  },
  ready: {
    type: 'string',
    metavar: 'ADDR',
    help: `serve /ready here; empty turns it off (default ${DEFAULT_ENDPOINTS.ready}, every interface)`,
  },
  metrics: {
    type: 'string',
    metavar: 'ADDR',
    help: `serve Prometheus /metrics here; empty turns it off (default ${DEFAULT_ENDPOINTS.metrics}, every interface)`,
  },
  lameduck: {
    type: 'string',
    metavar: 'DURATION',
    help: 'after SIGTERM, keep answering this long with /ready at 503 before closing (default 5s)',
  },
  'log-format': { type: 'string', metavar: 'FORMAT', help: 'json | pretty (default json)' },
} as const;

type OpsOption = keyof typeof OPS_OPTIONS;

export function opsConfig(reading: Reading<OpsOption>): OpsConfig {
  const { text: read, checked } = reading;
  const endpoint = (name: 'health' | 'ready' | 'metrics') => {
    const value = read(name) ?? DEFAULT_ENDPOINTS[name];
    return value === '' ? undefined : checked(name, parseEndpointAddress, value);
  };
  const health = endpoint('health');
  const ready = endpoint('ready');
  const metrics = endpoint('metrics');
  const logFormat = read('log-format') ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty') {
    checked(
      'log-format',
      () => {
        throw new Error(`"${logFormat}": expected json or pretty`);
      },
      logFormat,
    );
  }
  return {
    ...(health ? { health } : {}),
    ...(ready ? { ready } : {}),
    ...(metrics ? { metrics } : {}),
    lameduckMs: Math.round(checked('lameduck', duration, read('lameduck') ?? '5s') * 1000),
    logFormat: logFormat as LogFormat,
  };
}

/** `:PORT` (every interface), `IP:PORT` or `[IPv6]:PORT`. */
export function parseEndpointAddress(text: string): EndpointAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text.trim());
  const host = match?.[1] ?? (match?.[2] || undefined);
  const port = Number(match?.[3]);
  if (!match || (host !== undefined && isIP(host) === 0)) {
    throw new Error(`"${text}": expected :PORT (every interface), IP:PORT or [IPv6]:PORT`);
  }
  if (!Number.isInteger(port) || port > 65535) throw new Error(`"${text}": port must be 0-65535`);
  return host === undefined ? { port } : { host, port };
}

export function formatEndpointAddress({ host, port }: EndpointAddress): string {
  if (host === undefined) return `:${port}`;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
