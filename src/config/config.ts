// Configuration: one table of options drives the flags, the CLUSTERDNS_* environment variables and
// --help, and every value is checked at the door with a message naming the option, the value and
// what was expected. Precedence: flags, then environment, then defaults.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_ALLOW_RECURSION, parseCidrs } from '../resolve/recursion.js';
import { DEFAULT_ZONES, parseZone } from '../resolve/zones.js';
import type { PodMode } from '../resolve/cluster/lookup.js';
import { ETCD_OPTIONS, type EtcdConfig, etcdConfigFrom } from '../registry/etcd/options.js';
import { parseHostPort, type HostPort } from './address.js';
import { OPS_OPTIONS, opsConfig, type OpsConfig } from './ops.js';

export interface KubernetesConfig {
  /** API server URL; undefined: a kubeconfig or the in-cluster service account. */
  url?: string;
  kubeconfig?: string;
  context?: string;
  tokenFile?: string;
  caFile?: string;
  labels?: string;
  namespaceLabels?: string;
}

export interface NacosConfig {
  url: string;
  api: 'v1' | 'v2' | 'v3';
  /** DNS namespace → Nacos namespace ID ("" or "public" for the public namespace). */
  namespaces: { dns: string; nacos: string }[];
  group: string;
  username?: string;
  passwordFile?: string;
  minPollMs: number;
  relistMs: number;
}

export interface Config extends OpsConfig {
  /** Zone files to serve; undefined when another registry is configured and --zones is not. */
  zonesDir?: string;
  kubernetes?: KubernetesConfig;
  etcd?: EtcdConfig;
  nacos?: NacosConfig;
  /** Longest wait for registries to sync before serving anyway (SERVFAIL for unknown names). */
  startupTimeoutMs: number;
  /** A registry not resynced for this long makes the zone SERVFAIL; Infinity never. */
  maxStaleMs: number;
  listen: HostPort[];
  zones: string[];
  ttl: number;
  /** Exposed namespaces; undefined exposes all. */
  namespaces?: string[];
  pods: PodMode;
  ignoreEmptyService: boolean;
  upstreams: HostPort[];
  /** Where default upstreams and the host's search domains come from. */
  resolvConf: string;
  upstreamTimeoutMs: number;
  maxConcurrent: number;
  allowRecursion: string[];
  /** Every client's namespace (the sidecar case); undefined learns it per client from the pod table. */
  namespace?: string;
  autopath: boolean;
  cache: { maxEntries: number; successMaxTtl: number; denialMaxTtl: number; staleWindow: number };
  logQueries: boolean;
  logLevel: string;
  /** Seconds a TCP connection may stay idle. */
  tcpIdleTimeout: number;
}

/** The zones/ directory shipped with the package: the table served when --zones is not given. */
export const EMBEDDED_ZONES_DIR = fileURLToPath(new URL('../../zones', import.meta.url));

interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  help: string;
  metavar?: string;
}

const OPTIONS = {
  zones: {
    type: 'string',
    metavar: 'DIR',
    help: 'directory of zone files to serve (default: the bundled zones/ when no other registry is given)',
  },
  kubernetes: {
    type: 'string',
    metavar: '[URL]',
    help: 'serve from the Kubernetes API: --kubeconfig, else in-cluster, else this URL',
  },
  kubeconfig: { type: 'string', metavar: 'FILE', help: 'kubeconfig for --kubernetes' },
  'kube-context': {
    type: 'string',
    metavar: 'NAME',
    help: 'context in --kubeconfig (default its current one)',
  },
  'kube-token-file': { type: 'string', metavar: 'FILE', help: 'bearer token for --kubernetes URL' },
  'kube-ca-file': { type: 'string', metavar: 'FILE', help: 'CA bundle for an https --kubernetes URL' },
  labels: { type: 'string', metavar: 'EXPR', help: 'serve only services matching this label selector' },
  'namespace-labels': {
    type: 'string',
    metavar: 'EXPR',
    help: 'serve only namespaces matching this selector',
  },
  ...ETCD_OPTIONS,
  nacos: { type: 'string', metavar: 'URL', help: 'serve from a Nacos server, e.g. http://nacos:8848' },
  'nacos-namespace-map': {
    type: 'string',
    metavar: 'NS=ID,...',
    help: 'DNS namespace = Nacos namespace ID pairs (default default=public)',
  },
  'nacos-group': { type: 'string', metavar: 'GROUP', help: 'Nacos group to serve (default DEFAULT_GROUP)' },
  'nacos-username': { type: 'string', metavar: 'USER', help: 'log in to Nacos as this user' },
  'nacos-password-file': { type: 'string', metavar: 'FILE', help: 'password for --nacos-username' },
  'nacos-api': {
    type: 'string',
    metavar: 'VERSION',
    help: 'v1 (Nacos 1.x, 2.x) | v2 (2.2+) | v3 (3.x): HTTP API to use (default v1)',
  },
  'nacos-min-poll': {
    type: 'string',
    metavar: 'DURATION',
    help: 'shortest instance poll interval, whatever the server advises (default 1s; at most 30s)',
  },
  'nacos-relist': {
    type: 'string',
    metavar: 'DURATION',
    help: 'read the Nacos service lists again this often (default 10s)',
  },
  'startup-timeout': {
    type: 'string',
    metavar: 'DURATION',
    help: 'wait this long for registries to sync before serving (default 5s)',
  },
  'max-stale': {
    type: 'string',
    metavar: 'DURATION',
    help: 'SERVFAIL for the zone after a registry has not resynced this long (default unlimited)',
  },
  listen: {
    type: 'string',
    multiple: true,
    metavar: 'HOST:PORT',
    help: 'address to answer on over UDP and TCP; repeatable (default 127.0.0.1:1053)',
  },
  zone: {
    type: 'string',
    multiple: true,
    metavar: 'ZONE',
    help: `zone to be authoritative for, forward or reverse; repeatable (default ${DEFAULT_ZONES.join(', ')})`,
  },
  ttl: { type: 'string', metavar: 'SECONDS', help: 'TTL of cluster records, 0-3600 (default 5)' },
  namespaces: { type: 'string', metavar: 'NS,...', help: 'expose only these namespaces (default all)' },
  pods: {
    type: 'string',
    metavar: 'MODE',
    help: 'disabled | insecure | verified: how a-b-c-d.<ns>.pod.<zone> is answered (default disabled)',
  },
  'ignore-empty-service': {
    type: 'boolean',
    help: 'NXDOMAIN for a ClusterIP service with no ready endpoint',
  },
  upstream: {
    type: 'string',
    multiple: true,
    metavar: 'HOST[:PORT]',
    help: 'resolver for names outside the zones; repeatable, tried in order (default: --resolv-conf nameservers)',
  },
  'resolv-conf': {
    type: 'string',
    metavar: 'FILE',
    help: 'default upstreams and host search domains (default /etc/resolv.conf)',
  },
  'upstream-timeout': {
    type: 'string',
    metavar: 'DURATION',
    help: 'read timeout per upstream query (default 2s)',
  },
  'max-concurrent': {
    type: 'string',
    metavar: 'N',
    help: 'upstream queries in flight at most; beyond it REFUSED (default 1000)',
  },
  'allow-recursion': {
    type: 'string',
    metavar: 'CIDR,...',
    help: `clients whose names outside the zones are forwarded (default ${DEFAULT_ALLOW_RECURSION.join(',')})`,
  },
  namespace: {
    type: 'string',
    metavar: 'NS',
    help: 'namespace of every client, for short names (sidecar); also POD_NAMESPACE',
  },
  autopath: {
    type: 'boolean',
    help: "walk the client's search path on the server (needs a known namespace)",
  },
  'cache-size': { type: 'string', metavar: 'N', help: 'forwarded answers cached at most (default 10000)' },
  'cache-max-ttl': {
    type: 'string',
    metavar: 'SECONDS',
    help: 'cap on a cached positive answer (default 3600)',
  },
  'cache-denial-max-ttl': {
    type: 'string',
    metavar: 'SECONDS',
    help: 'cap on a cached negative answer (default 1800)',
  },
  'serve-stale': {
    type: 'string',
    metavar: 'DURATION',
    help: 'serve expired answers this long past expiry when upstreams fail; 0 disables (default 1h)',
  },
  'log-queries': { type: 'boolean', help: 'log one line per query' },
  'log-level': {
    type: 'string',
    metavar: 'LEVEL',
    help: 'trace | debug | info | warn | error (default info)',
  },
  'tcp-idle-timeout': {
    type: 'string',
    metavar: 'SECONDS',
    help: 'close idle TCP connections after this (default 10)',
  },
  ...OPS_OPTIONS,
  help: { type: 'boolean', help: 'show this help' },
  version: { type: 'boolean', help: 'print the version' },
} satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

export class ConfigError extends Error {}

export function envName(option: string): string {
  return `CLUSTERDNS_${option.toUpperCase().replaceAll('-', '_')}`;
}

export function usage(): string {
  const lines = [
    'Usage: clusterdns [options]',
    '       clusterdns register --help    keep an instance registered in etcd',
    '',
    'Options (each also read from CLUSTERDNS_<OPTION>):',
  ];
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const flag = `--${name}${spec.metavar ? ` ${spec.metavar}` : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${spec.help}`);
  }
  return lines.join('\n');
}

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'serve'; config: Config };

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: withBareKubernetes(argv),
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${usage()}`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const read = (name: OptionName): string | boolean | string[] | undefined => {
    if (values[name] !== undefined) return values[name];
    const fromEnv = env[envName(name)];
    if (fromEnv === undefined || fromEnv === '') return undefined;
    const spec: OptionSpec = OPTIONS[name];
    if (spec.type === 'boolean') return parseBoolean(name, fromEnv);
    return spec.multiple ? splitList(fromEnv) : fromEnv;
  };
  return { kind: 'serve', config: buildConfig(read, env) };
}

function buildConfig(
  read: (name: OptionName) => string | boolean | string[] | undefined,
  env: NodeJS.ProcessEnv,
): Config {
  const list = (name: OptionName) => (read(name) as string[] | undefined)?.flatMap(splitList);
  const checked = <T>(name: OptionName, parse: (value: string) => T, value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw new ConfigError(`--${name}: ${(error as Error).message}`);
    }
  };
  const zones = list('zone') ?? DEFAULT_ZONES;
  zones.forEach((zone) => checked('zone', parseZone, zone));
  const namespaces = read('namespaces') as string | undefined;
  const pods = (read('pods') as string | undefined) ?? 'disabled';
  if (pods !== 'disabled' && pods !== 'insecure' && pods !== 'verified') {
    throw new ConfigError(`--pods: "${pods}": expected disabled, insecure or verified`);
  }
  const allowRecursion = splitList(
    (read('allow-recursion') as string | undefined) ?? DEFAULT_ALLOW_RECURSION.join(','),
  );
  checked('allow-recursion', (value) => parseCidrs(splitList(value)), allowRecursion.join(','));
  // The Kubernetes downward API sets POD_NAMESPACE in a sidecar; an explicit option wins.
  const namespace = ((read('namespace') as string | undefined) ?? env.POD_NAMESPACE)?.toLowerCase();
  if (namespace !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new ConfigError(`--namespace: "${namespace}": expected a namespace name (a DNS label)`);
  }
  const number = (name: OptionName, fallback: string, min: number, max: number) =>
    checked(name, (value) => integer(value, min, max), (read(name) as string | undefined) ?? fallback);
  const seconds = (name: OptionName, fallback: string) =>
    checked(name, duration, (read(name) as string | undefined) ?? fallback);
  const logLevel = (read('log-level') as string | undefined) ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level: "${logLevel}": expected trace, debug, info, warn or error`);
  }
  return {
    ...zonesAndRegistries(read, checked),
    ...opsConfig((name) => read(name) as string | undefined, checked, duration),
    startupTimeoutMs: Math.round(seconds('startup-timeout', '5s') * 1000),
    maxStaleMs: read('max-stale') === undefined ? Infinity : Math.round(seconds('max-stale', '0') * 1000),
    listen: (list('listen') ?? ['127.0.0.1:1053']).map((value) => checked('listen', parseHostPort, value)),
    zones,
    ttl: checked('ttl', (value) => integer(value, 0, 3600), (read('ttl') as string | undefined) ?? '5'),
    ...(namespaces !== undefined ? { namespaces: splitList(namespaces).map((ns) => ns.toLowerCase()) } : {}),
    pods,
    ignoreEmptyService: (read('ignore-empty-service') as boolean | undefined) ?? false,
    upstreams: (list('upstream') ?? []).map((value) =>
      checked('upstream', (v) => parseHostPort(v, 53), value),
    ),
    resolvConf: (read('resolv-conf') as string | undefined) ?? '/etc/resolv.conf',
    upstreamTimeoutMs: Math.round(seconds('upstream-timeout', '2s') * 1000),
    maxConcurrent: number('max-concurrent', '1000', 1, 1_000_000),
    allowRecursion,
    ...(namespace !== undefined ? { namespace } : {}),
    autopath: (read('autopath') as boolean | undefined) ?? false,
    cache: {
      maxEntries: number('cache-size', '10000', 0, 10_000_000),
      successMaxTtl: number('cache-max-ttl', '3600', 0, 604800),
      denialMaxTtl: number('cache-denial-max-ttl', '1800', 0, 604800),
      staleWindow: seconds('serve-stale', '1h'),
    },
    logQueries: (read('log-queries') as boolean | undefined) ?? false,
    logLevel,
    tcpIdleTimeout: checked(
      'tcp-idle-timeout',
      (value) => integer(value, 1, 3600),
      (read('tcp-idle-timeout') as string | undefined) ?? '10',
    ),
  };
}

type Reader = (name: OptionName) => string | boolean | string[] | undefined;

/** The registries asked for; the bundled zones/ only when none is. */
function zonesAndRegistries(
  read: Reader,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
): Pick<Config, 'zonesDir' | 'kubernetes' | 'etcd' | 'nacos'> {
  const optional = (name: OptionName) => read(name) as string | undefined;
  const kubernetesFlag = optional('kubernetes');
  const kubeconfig = optional('kubeconfig');
  let kubernetes: KubernetesConfig | undefined;
  if (kubernetesFlag !== undefined || kubeconfig !== undefined) {
    if (kubernetesFlag) checked('kubernetes', (value) => new URL(value), kubernetesFlag);
    kubernetes = {};
    const fields: [keyof KubernetesConfig, string | undefined][] = [
      ['url', kubernetesFlag || undefined],
      ['kubeconfig', kubeconfig],
      ['context', optional('kube-context')],
      ['tokenFile', optional('kube-token-file')],
      ['caFile', optional('kube-ca-file')],
      ['labels', optional('labels')],
      ['namespaceLabels', optional('namespace-labels')],
    ];
    for (const [key, value] of fields) if (value !== undefined) kubernetes[key] = value;
  }
  let etcd: EtcdConfig | undefined;
  try {
    etcd = etcdConfigFrom(optional);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const nacos = nacosConfig(optional, checked);
  const zones = optional('zones');
  const registry = kubernetes || etcd || nacos;
  return {
    ...(zones !== undefined ? { zonesDir: zones } : registry ? {} : { zonesDir: EMBEDDED_ZONES_DIR }),
    ...(kubernetes ? { kubernetes } : {}),
    ...(etcd ? { etcd } : {}),
    ...(nacos ? { nacos } : {}),
  };
}

function nacosConfig(
  optional: (name: OptionName) => string | undefined,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
): NacosConfig | undefined {
  const url = optional('nacos');
  if (url === undefined) return undefined;
  checked('nacos', (value) => new URL(value), url);
  const api = optional('nacos-api') ?? 'v1';
  if (api !== 'v1' && api !== 'v2' && api !== 'v3') {
    throw new ConfigError(`--nacos-api: "${api}": expected v1, v2 or v3`);
  }
  const namespaces = checked(
    'nacos-namespace-map',
    parseNamespaceMap,
    optional('nacos-namespace-map') ?? 'default=public',
  );
  const username = optional('nacos-username');
  const passwordFile = optional('nacos-password-file');
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new ConfigError('--nacos-username and --nacos-password-file go together');
  }
  const millis = (name: OptionName, fallback: string) =>
    Math.round(checked(name, duration, optional(name) ?? fallback) * 1000);
  const minPollMs = millis('nacos-min-poll', '1s');
  if (minPollMs < 10 || minPollMs > 30_000) {
    throw new ConfigError(`--nacos-min-poll: expected a duration from 10ms to 30s`);
  }
  return {
    url,
    api,
    namespaces,
    group: optional('nacos-group') ?? 'DEFAULT_GROUP',
    ...(username !== undefined ? { username, passwordFile } : {}),
    minPollMs,
    relistMs: Math.max(100, millis('nacos-relist', '10s')),
  };
}

/** `prod=33ea21bc-…,default=public`: DNS namespaces (labels) and the Nacos namespace IDs they serve. */
function parseNamespaceMap(value: string): NacosConfig['namespaces'] {
  const pairs = splitList(value).map((pair) => {
    const at = pair.indexOf('=');
    const dns = (at === -1 ? pair : pair.slice(0, at)).trim().toLowerCase();
    if (at === -1 || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(dns)) {
      throw new Error(`"${pair}": expected dnsNamespace=nacosNamespaceId, the namespace a DNS label`);
    }
    return { dns, nacos: pair.slice(at + 1).trim() };
  });
  if (pairs.length === 0) throw new Error(`"${value}": expected at least one dnsNamespace=nacosNamespaceId`);
  const seen = new Set<string>();
  for (const { dns } of pairs) {
    if (seen.has(dns)) throw new Error(`"${dns}" is mapped twice`);
    seen.add(dns);
  }
  return pairs;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function integer(value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new Error(`"${value}": expected a whole number from ${min} to ${max}`);
  }
  return number;
}

/** `--kubernetes` may stand alone (kubeconfig or in-cluster): give it an empty value then. */
function withBareKubernetes(argv: string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--kubernetes' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
      ? '--kubernetes='
      : arg,
  );
}

/** A duration as `2s`, `500ms`, `5m`, `1h` or plain seconds; returns seconds. */
function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`"${value}": expected a duration such as 2s, 500ms, 5m or 1h`);
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * scale;
}

function parseBoolean(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${envName(name)}: "${value}": expected true or false`);
}
