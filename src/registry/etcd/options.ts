// The etcd flags the server and `clusterdns register` share, and their checks. Errors name the flag.

import { type EtcdConnectionConfig, checkConnection, parseEndpoints } from './connection.js';
import { normalizePrefix } from './skydns.js';

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
