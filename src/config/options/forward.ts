// Forwarding: the upstreams, the stub zones and the zones never forwarded, and how the pool picks,
// reaches and checks its servers (CoreDNS's forward, https://coredns.io/plugins/forward/).
import { parseZone } from '../../dns/zones.js';
import { duration, splitList } from '../values.js';
import type { OptionSpec, Reading } from './reading.js';
import type { UpstreamTls } from '../tls-context.js';
import { UPSTREAM_TLS_OPTIONS, parseUpstream, upstreamTlsConfig, type Upstream } from './upstream-tls.js';

export const FORWARD_OPTIONS = {
  upstream: {
    type: 'string',
    multiple: true,
    metavar: '[tls://]HOST[:PORT]',
    help: 'resolver for names outside the zones; repeatable, tried in order; tls:// asks it over DNS over TLS, port 853 (default: --resolv-conf nameservers)',
  },
  'resolv-conf': {
    defaultValue: '/etc/resolv.conf',
    type: 'string',
    metavar: 'FILE',
    help: 'default upstreams, and the host search domains autopath tries; "" reads none and forwards nowhere',
  },
  'stub-domain': {
    type: 'string',
    multiple: true,
    metavar: 'ZONE=[tls://]HOST[:PORT],...',
    help: 'ask these upstreams, not the default ones, for names under ZONE; repeatable',
  },
  'forward-except': {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'names under these zones are never forwarded (REFUSED)',
  },
  'upstream-timeout': {
    defaultValue: '2s',
    type: 'string',
    metavar: 'DURATION',
    help: 'read timeout per upstream query (default 2s)',
  },
  'max-concurrent': {
    defaultValue: '1000',
    type: 'string',
    metavar: 'N',
    help: 'upstream queries in flight at most; beyond it REFUSED (default 1000)',
  },
  'upstream-policy': {
    defaultValue: 'sequential',
    type: 'string',
    metavar: 'POLICY',
    help: 'sequential | round_robin | random: the order upstreams are tried in (default sequential)',
  },
  'upstream-transport': {
    defaultValue: 'udp',
    type: 'string',
    metavar: 'MODE',
    help: "udp | tcp | client: UDP first (TCP when truncated), TCP only, or the client's transport (default udp)",
  },
  'upstream-max-fails': {
    defaultValue: '2',
    type: 'string',
    metavar: 'N',
    help: 'failures in a row that mark an upstream down until a probe is answered; 0 never (default 2)',
  },
  'upstream-health-check': {
    defaultValue: '0.5s',
    type: 'string',
    metavar: 'DURATION',
    help: 'how often a down upstream is probed (default 0.5s)',
  },
  'upstream-health-domain': {
    defaultValue: '.',
    type: 'string',
    metavar: 'NAME',
    help: 'the name whose NS a probe asks for (default .)',
  },
  'upstream-health-no-rec': {
    type: 'boolean',
    help: 'probes ask without recursion desired (RD clear)',
  },
  ...UPSTREAM_TLS_OPTIONS,
} satisfies Record<string, OptionSpec>;

type ForwardOptionName = keyof typeof FORWARD_OPTIONS;

export type PoolPolicy = 'sequential' | 'round_robin' | 'random';
export const POOL_POLICIES: readonly PoolPolicy[] = ['sequential', 'round_robin', 'random'];

/**
 * How questions travel to upstreams: `udp` first, TCP when the reply is truncated (forward's
 * prefer_udp); `tcp` only (force_tcp); `client`, as the client came: TCP for a TCP client, UDP
 * (then TCP when truncated) for a UDP one (forward without either option).
 */
export type UpstreamTransport = 'udp' | 'tcp' | 'client';
export const UPSTREAM_TRANSPORTS: readonly UpstreamTransport[] = ['udp', 'tcp', 'client'];

export interface ForwardConfig {
  upstreams: Upstream[];
  /** Zones forwarded to upstreams of their own. */
  stubDomains: { zone: string; upstreams: Upstream[] }[];
  /** Zones never forwarded. */
  forwardExcept?: string[];
  /** Where default upstreams and the host's search domains come from. */
  resolvConf: string;
  upstreamTimeoutMs: number;
  maxConcurrent: number;
  /** How the upstream pool picks, reaches and checks its servers (forward's options). */
  upstreamPool: {
    policy: PoolPolicy;
    transport: UpstreamTransport;
    maxFails: number;
    probeIntervalMs: number;
    probe: { name: string; recursion: boolean };
    /** How tls:// upstreams are verified, and how long their idle connections stay open. */
    tls: UpstreamTls;
  };
}

export function forwardConfig(reading: Reading<ForwardOptionName>): ForwardConfig {
  const { checked, list, read, text } = reading;
  const upstreams = (list('upstream') ?? []).map((value) => checked('upstream', parseUpstream, value));
  const stubDomains = ((read('stub-domain') as string[] | undefined) ?? []).map((value) =>
    checked('stub-domain', stubDomain, value),
  );
  const tls = upstreamTlsConfig(reading, [...upstreams, ...stubDomains.flatMap((s) => s.upstreams)]);
  const forwardExcept = reading.zoneList('forward-except');
  return {
    upstreams,
    stubDomains,
    ...(forwardExcept ? { forwardExcept } : {}),
    resolvConf: text('resolv-conf')!,
    upstreamTimeoutMs: reading.ms('upstream-timeout'),
    maxConcurrent: reading.number('max-concurrent', 1, 1_000_000),
    upstreamPool: { ...upstreamPool(reading), tls },
  };
}

function upstreamPool(reading: Reading<ForwardOptionName>): Omit<ForwardConfig['upstreamPool'], 'tls'> {
  const { read, flag, checked, number } = reading;
  const choice = <T extends string>(name: ForwardOptionName, choices: readonly T[]) =>
    checked(
      name,
      (value) => {
        if (!(choices as readonly string[]).includes(value)) {
          throw new Error(`"${value}": expected ${choices.join(', ')}`);
        }
        return value as T;
      },
      read(name) as string,
    );
  // A probe every 0s would be a busy loop.
  const probeIntervalMs = checked(
    'upstream-health-check',
    (value) => {
      const ms = Math.round(duration(value) * 1000);
      if (ms < 1) throw new Error(`"${value}": expected a duration of at least 1ms`);
      return ms;
    },
    read('upstream-health-check') as string,
  );
  const domain = read('upstream-health-domain') as string;
  return {
    policy: choice('upstream-policy', POOL_POLICIES),
    transport: choice('upstream-transport', UPSTREAM_TRANSPORTS),
    maxFails: number('upstream-max-fails', 0, 1_000_000),
    probeIntervalMs,
    probe: {
      name: domain === '.' ? '' : checked('upstream-health-domain', parseZone, domain).name,
      recursion: !flag('upstream-health-no-rec'),
    },
  };
}

/** `ZONE=[tls://]HOST[:PORT],...`: a stub zone and its upstreams. */
function stubDomain(value: string): { zone: string; upstreams: Upstream[] } {
  const at = value.indexOf('=');
  const upstreams = splitList(value.slice(at + 1));
  if (at <= 0 || upstreams.length === 0) {
    throw new Error(`"${value}": expected ZONE=HOST[:PORT],... as in consul.local=10.150.0.1`);
  }
  return { zone: parseZone(value.slice(0, at)).name, upstreams: upstreams.map(parseUpstream) };
}
