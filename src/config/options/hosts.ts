// Names answered before the upstreams from hosts-file entries (CoreDNS's hosts), and the CH TXT
// names that say which server answers (CoreDNS's chaos).
import { MAX_TXT_STRING } from '../../dns/record-write.js';
import type { OptionSpec, Reading } from './reading.js';

export const HOSTS_OPTIONS = {
  hosts: {
    type: 'string',
    multiple: true,
    metavar: '"IP NAME..."',
    help: 'a hosts-file line answered before the upstreams (A, AAAA and PTR); repeatable',
  },
  'hosts-file': {
    type: 'string',
    metavar: 'FILE',
    help: 'a hosts file (/etc/hosts format) answered before the upstreams; read again when it changes',
  },
  chaos: {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'answer CH TXT version.bind, version.server, authors.bind, hostname.bind and id.server under these zones (. for all)',
  },
  'chaos-version': {
    type: 'string',
    metavar: 'TEXT',
    help: 'the version.bind answer (default clusterdns-VERSION)',
  },
  'chaos-authors': {
    type: 'string',
    multiple: true,
    metavar: 'NAME',
    help: 'an authors.bind answer, one record each; repeatable (default none: authors.bind is not answered)',
  },
  'hosts-zones': {
    type: 'string',
    defaultValue: '.',
    metavar: 'ZONE,...',
    help: '--hosts and --hosts-file answer names under these zones only (default ., every name)',
  },
  'hosts-fallthrough': {
    type: 'string',
    defaultValue: '.',
    metavar: 'ZONE,...',
    help: 'names of --hosts-zones not listed go on to the upstreams under these zones, and are SERVFAIL under others, as CoreDNS hosts without fallthrough (default ., every name; "" none)',
  },
  'hosts-ttl': {
    type: 'string',
    defaultValue: '3600',
    metavar: 'SECONDS',
    help: 'TTL of answers from --hosts and --hosts-file',
  },
} satisfies Record<string, OptionSpec>;

type HostsOptionName = keyof typeof HOSTS_OPTIONS;

export interface HostsConfig {
  /**
   * Hosts-file entries answered before the upstreams: inline lines, and a file re-read on reload;
   * for names under `zones`, and a name of those not listed goes on down the chain if under
   * `fallthrough`, else is SERVFAIL (CoreDNS's hosts without fallthrough).
   */
  hosts: { lines: string[]; file?: string; ttl: number; zones: string[]; fallthrough: string[] };
  /** CH TXT version.bind and friends answered under these zones (the chaos plugin); absent: off. */
  chaos?: ChaosConfig;
}

export interface ChaosConfig {
  zones: string[];
  version?: string;
  authors: string[];
}

export function hostsConfig(reading: Reading<HostsOptionName>): HostsConfig {
  const hostsFile = reading.text('hosts-file');
  return {
    hosts: {
      lines: (reading.read('hosts') as string[] | undefined) ?? [],
      ...(hostsFile !== undefined ? { file: hostsFile } : {}),
      ttl: reading.number('hosts-ttl', 0, 604800),
      zones: reading.zoneList('hosts-zones')!,
      fallthrough: reading.zoneList('hosts-fallthrough')!,
    },
    ...chaosConfig(reading),
  };
}

function chaosConfig(reading: Reading<HostsOptionName>): { chaos?: ChaosConfig } {
  const { read, checked } = reading;
  const zones = reading.zoneList('chaos');
  if (zones === undefined) return {};
  // Each answer is one TXT character-string (RFC 1035 §3.3).
  const text = (name: HostsOptionName, value: string) =>
    checked(
      name,
      (v) => {
        if (Buffer.byteLength(v) > MAX_TXT_STRING)
          throw new Error(`"${v}": longer than ${MAX_TXT_STRING} bytes`);
        return v;
      },
      value,
    );
  const version = read('chaos-version') as string | undefined;
  return {
    chaos: {
      zones,
      ...(version !== undefined ? { version: text('chaos-version', version) } : {}),
      authors: ((read('chaos-authors') as string[] | undefined) ?? []).map((a) => text('chaos-authors', a)),
    },
  };
}
