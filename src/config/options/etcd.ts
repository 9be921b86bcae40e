// The etcd flags the server and `clusterdns register` share, and their checks: how to reach etcd
// (endpoints, TLS files, a user whose password is read from a file, never from the command line)
// and the SkyDNS key prefix. Errors name the flag.

export const DEFAULT_ETCD_PREFIX = '/skydns';

export const ETCD_OPTIONS = {
  etcd: {
    type: 'string',
    metavar: 'URL,...',
    help: 'serve SkyDNS-layout keys from etcd (http:// or https:// client URLs)',
  },
  'etcd-prefix': {
    type: 'string',
    metavar: 'KEY',
    help: `etcd key prefix of the SkyDNS layout (default ${DEFAULT_ETCD_PREFIX})`,
  },
  'etcd-ca-file': { type: 'string', metavar: 'FILE', help: 'CA bundle for https:// --etcd URLs' },
  'etcd-cert-file': {
    type: 'string',
    metavar: 'FILE',
    help: 'client certificate for etcd (with --etcd-key-file)',
  },
  'etcd-key-file': { type: 'string', metavar: 'FILE', help: 'client key for --etcd-cert-file' },
  'etcd-username': { type: 'string', metavar: 'NAME', help: 'etcd user (with --etcd-password-file)' },
  'etcd-password-file': { type: 'string', metavar: 'FILE', help: "file holding the etcd user's password" },
} as const;

export type EtcdOptionName = keyof typeof ETCD_OPTIONS;

export interface EtcdConfig extends EtcdConnectionConfig {
  /** Normalized, e.g. `/skydns`. */
  prefix: string;
}

/** The etcd settings given, or undefined when `--etcd` is not; throws naming the bad flag. */
export function etcdConfigFrom(read: (name: EtcdOptionName) => string | undefined): EtcdConfig | undefined {
  const urls = read('etcd');
  if (urls === undefined) {
    const stray = (Object.keys(ETCD_OPTIONS) as EtcdOptionName[]).find((name) => read(name) !== undefined);
    if (stray) throw new Error(`--${stray} needs --etcd URL`);
    return undefined;
  }
  const flag = <T>(name: EtcdOptionName, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      throw new Error(`--${name}: ${(error as Error).message}`, { cause: error });
    }
  };
  const config: EtcdConfig = {
    endpoints: flag('etcd', () => parseEndpoints(urls)),
    prefix: flag('etcd-prefix', () => normalizePrefix(read('etcd-prefix') ?? DEFAULT_ETCD_PREFIX)),
  };
  const files: [keyof EtcdConnectionConfig, EtcdOptionName][] = [
    ['caFile', 'etcd-ca-file'],
    ['certFile', 'etcd-cert-file'],
    ['keyFile', 'etcd-key-file'],
    ['username', 'etcd-username'],
    ['passwordFile', 'etcd-password-file'],
  ];
  for (const [key, name] of files) {
    const value = read(name);
    if (value !== undefined) (config as unknown as Record<string, string>)[key] = value;
  }
  checkConnection(config);
  return config;
}

export interface EtcdConnectionConfig {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  username?: string;
  passwordFile?: string;
  /** Largest gRPC message accepted from etcd. Default ETCD_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
}

/** Checks `--etcd URL[,URL...]`; throws a message naming the bad URL. */
function parseEndpoints(text: string): string[] {
  const endpoints = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (endpoints.length === 0) throw new Error('expected one or more URLs such as http://127.0.0.1:2379');
  for (const endpoint of endpoints) {
    if (!endpoint.includes('://')) {
      throw new Error(`"${endpoint}" has no scheme; expected e.g. http://${endpoint}`);
    }
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Error(`"${endpoint}" is not a URL; expected e.g. http://127.0.0.1:2379`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`"${endpoint}" must start with http:// or https://`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
      throw new Error(`"${endpoint}" must be only a scheme, host and port`);
    }
  }
  return endpoints;
}

/** Checks that the TLS and user settings come in the pairs they need. */
function checkConnection(config: EtcdConnectionConfig): void {
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) {
    throw new Error('--etcd-cert-file and --etcd-key-file go together: give both or neither');
  }
  if ((config.username === undefined) !== (config.passwordFile === undefined)) {
    throw new Error('--etcd-username and --etcd-password-file go together: give both or neither');
  }
  const https = config.endpoints.some((e) => e.startsWith('https:'));
  if (!https && (config.caFile || config.certFile)) {
    throw new Error('--etcd-ca-file and --etcd-cert-file need https:// --etcd URLs');
  }
}

/** `/skydns` with one leading and no trailing slash; every key of ours starts with `${prefix}/`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.length < 2 || trimmed.includes('//')) {
    throw new Error(`"${prefix}": expected a key prefix such as /skydns`);
  }
  return trimmed;
}
