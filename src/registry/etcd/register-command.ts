// `clusterdns register`: keeps one instance of a service registered in etcd, in the SkyDNS layout
// the etcd backend serves, for as long as the process runs. Meant for a container entrypoint or a
// sidecar: SIGTERM/SIGINT deregister at once and exit 0; a killed process's key expires with its lease.

import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { holdOpen } from '../../ops/hold-open.js';
import { createLogger } from '../../ops/logger.js';
import { parseZone } from '../../dns/zones.js';
import type { Protocol } from '../../table/types.js';
import { isDnsLabel } from '../../dns/label-rules.js';
import { ipFamily, toProtocol } from '../validate.js';
import { connectEtcd, describeConnection } from './connection.js';
import {
  ETCD_OPTIONS,
  type EtcdConfig,
  type EtcdOptionName,
  etcdConfigFrom,
} from '../../config/options/etcd.js';
import { Registration } from './registration.js';
import { formatValue, instanceKey } from './skydns.js';

const OPTIONS = {
  ...ETCD_OPTIONS,
  etcd: { ...ETCD_OPTIONS.etcd, help: 'etcd client URL(s) to register in (required)' },
  namespace: { type: 'string', metavar: 'NS', help: 'namespace of the service (required)' },
  service: { type: 'string', metavar: 'SVC', help: 'service name (required)' },
  ip: { type: 'string', metavar: 'IP', help: 'address of this instance, IPv4 or IPv6 (required)' },
  port: { type: 'string', metavar: 'PORT', help: 'port of this instance, 1-65535 (required)' },
  'port-name': {
    type: 'string',
    metavar: 'NAME',
    help: 'port name, for _NAME._PROTOCOL SRV names (default: unnamed)',
  },
  protocol: { type: 'string', metavar: 'PROTO', help: 'tcp, udp or sctp (default tcp)' },
  ttl: { type: 'string', metavar: 'SECONDS', help: 'lease TTL: how long a dead instance stays (default 10)' },
  instance: {
    type: 'string',
    metavar: 'NAME',
    help: 'instance key, also its DNS name <NAME>.<svc>.<ns>.svc.<zone> (default: the IP, dashed)',
  },
  priority: { type: 'string', metavar: 'N', help: 'SRV priority, 0-65535 (default 0)' },
  weight: { type: 'string', metavar: 'N', help: 'SRV weight, 0-65535 (default 0: shared evenly)' },
  zone: { type: 'string', metavar: 'ZONE', help: 'cluster zone of the name (default cluster.local)' },
  'log-level': {
    type: 'string',
    metavar: 'LEVEL',
    help: 'trace | debug | info | warn | error (default info)',
  },
  help: { type: 'boolean', help: 'show this help' },
} as const;

type OptionName = keyof typeof OPTIONS;

export class RegisterUsageError extends Error {}

export interface RegisterConfig {
  etcd: EtcdConfig;
  zone: string;
  namespace: string;
  service: string;
  instance: string;
  ip: string;
  port: number;
  portName?: string;
  protocol: Protocol;
  ttlSeconds: number;
  priority: number;
  weight: number;
  logLevel: string;
}

export function registerUsage(): string {
  const lines = [
    'Usage: clusterdns register --etcd URL --namespace NS --service SVC --ip IP --port PORT [options]',
    '',
    'Keeps this instance registered in etcd until stopped (SIGTERM/SIGINT deregister at once);',
    'while etcd cannot be reached it retries, 200 ms doubling to 5 s, and registers when it can.',
    'Options (each also read from CLUSTERDNS_<OPTION>):',
  ];
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const flag = `--${name}${'metavar' in spec ? ` ${spec.metavar}` : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${spec.help}`);
  }
  return lines.join('\n');
}

export function parseRegisterCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): { kind: 'help' } | { kind: 'register'; config: RegisterConfig } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new RegisterUsageError((error as Error).message);
  }
  if (values.help) return { kind: 'help' };
  const read = (name: OptionName): string | undefined => {
    const value = values[name] ?? env[`CLUSTERDNS_${name.toUpperCase().replaceAll('-', '_')}`];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const required = (name: OptionName, what: string): string => {
    const value = read(name);
    if (value === undefined) throw new RegisterUsageError(`--${name} is required: ${what}`);
    return value;
  };
  required('etcd', 'the etcd client URL(s), e.g. http://127.0.0.1:2379');
  let etcd: EtcdConfig;
  try {
    etcd = etcdConfigFrom((name: EtcdOptionName) => read(name))!;
  } catch (error) {
    throw new RegisterUsageError((error as Error).message);
  }
  const label = (name: OptionName, value: string): string => {
    const lower = value.toLowerCase();
    if (!isDnsLabel(lower)) {
      throw new RegisterUsageError(
        `--${name} "${value}": expected a DNS label (1-63 of a-z, 0-9 and "-", starting and ending with a letter or digit)`,
      );
    }
    return lower;
  };
  const integer = (name: OptionName, fallback: string, min: number, max: number): number => {
    const text = read(name) ?? fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      throw new RegisterUsageError(`--${name} "${text}": expected a whole number from ${min} to ${max}`);
    }
    return Number(text);
  };
  const namespace = label('namespace', required('namespace', 'the namespace of the service, e.g. shop'));
  const service = label('service', required('service', 'the service name, e.g. web'));
  const ip = required('ip', "this instance's address, e.g. 10.0.0.5");
  if (ipFamily(ip) === 0) throw new RegisterUsageError(`--ip "${ip}": expected an IPv4 or IPv6 address`);
  required('port', 'the port this instance serves on, e.g. 8080');
  const port = integer('port', '', 1, 65535);
  const portNameText = read('port-name');
  const protocolText = read('protocol') ?? 'tcp';
  const protocol = toProtocol(protocolText);
  if (!protocol) throw new RegisterUsageError(`--protocol "${protocolText}": expected tcp, udp or sctp`);
  const zoneText = read('zone') ?? 'cluster.local';
  let zone: string;
  try {
    const parsed = parseZone(zoneText);
    if (parsed.kind !== 'forward') throw new Error(`zone "${zoneText}": expected a forward zone`);
    zone = parsed.name;
  } catch (error) {
    throw new RegisterUsageError(`--zone: ${(error as Error).message}`);
  }
  const logLevel = read('log-level') ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new RegisterUsageError(`--log-level "${logLevel}": expected trace, debug, info, warn or error`);
  }
  return {
    kind: 'register',
    config: {
      etcd,
      zone,
      namespace,
      service,
      instance: label('instance', read('instance') ?? ip.replaceAll(/[.:]/g, '-').replace(/^-|-$/g, '0')),
      ip,
      port,
      ...(portNameText !== undefined ? { portName: label('port-name', portNameText) } : {}),
      protocol,
      ttlSeconds: integer('ttl', '10', 1, 86_400),
      priority: integer('priority', '0', 0, 65535),
      weight: integer('weight', '0', 0, 65535),
      logLevel,
    },
  };
}

/**
 * Runs `clusterdns register ARGS` until SIGTERM/SIGINT; returns the exit code: 0 after a signal,
 * 2 for a bad flag (or a file one names that cannot be read). etcd being away is never a reason to
 * exit: the registration waits for it, however long.
 */
export async function runRegisterCommand(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseRegisterCommand(argv);
  } catch (error) {
    if (!(error instanceof RegisterUsageError)) throw error;
    return usageError(error.message);
  }
  if (command.kind === 'help') {
    process.stdout.write(`${registerUsage()}\n`);
    return 0;
  }
  const { config } = command;
  // Listening before anything is awaited: a signal at any point from here on deregisters. `on`,
  // not `once`: a second signal (a supervisor repeating itself) must not kill the process halfway
  // through revoking the lease.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  // gRPC's reconnect timers and the retry sleeps do not hold the event loop while etcd is away.
  const release = holdOpen();
  try {
    const logger = createLogger(config.logLevel).child({ part: 'register' });
    let client;
    try {
      client = await connectEtcd(config.etcd);
    } catch (error) {
      // Only a TLS or password file named by a flag can fail here.
      return usageError((error as Error).message);
    }
    const key = instanceKey(config.etcd.prefix, config.zone, config);
    const registration = new Registration({
      client,
      key,
      value: formatValue({ ...config, ttl: config.ttlSeconds }),
      ttlSeconds: config.ttlSeconds,
      logger,
    });
    logger.info(
      {
        ...describeConnection(config.etcd),
        key,
        dnsName: `${config.instance}.${config.service}.${config.namespace}.svc.${config.zone}`,
        host: hostname(),
      },
      'registering',
    );
    registration.start();
    const signal = await signalled;
    logger.info({ signal }, 'stopping: revoking the lease');
    await registration.stop();
    logger.flush();
    return 0;
  } finally {
    release();
  }
}

function usageError(message: string): number {
  process.stderr.write(`clusterdns register: ${message}\n(see clusterdns register --help)\n`);
  return 2;
}
