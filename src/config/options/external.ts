// Services' external addresses answered under zones of their own (CoreDNS's k8s_external,
// https://coredns.io/plugins/k8s_external/).
import { LABEL_RULE, isDnsLabel } from '../../dns/label-rules.js';
import { parseZone } from '../../dns/zones.js';
import type { OptionSpec, Reading } from './reading.js';

export const EXTERNAL_OPTIONS = {
  'external-zone': {
    type: 'string',
    multiple: true,
    metavar: 'ZONE',
    help: "answer <service>.<namespace>.ZONE with the service's externalIPs and load balancer IPs (A, AAAA, SRV), as CoreDNS k8s_external; repeatable",
  },
  'external-ttl': {
    defaultValue: '5',
    type: 'string',
    metavar: 'SECONDS',
    help: 'TTL of --external-zone records, 0-3600 (default 5)',
  },
  'external-apex': {
    defaultValue: 'dns',
    type: 'string',
    metavar: 'LABEL',
    help: "the label under each --external-zone holding the name server's name, ns1.LABEL.ZONE (default dns)",
  },
  'external-headless': {
    type: 'boolean',
    help: 'answer headless services in --external-zone with their ready endpoints, and <endpoint>.<service>.<namespace>.ZONE',
  },
  'external-fallthrough': {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'names of --external-zone under these zones (. for all) that do not exist go on to --hosts and the upstreams',
  },
} satisfies Record<string, OptionSpec>;

export interface ExternalZoneConfig {
  zones: string[];
  ttl: number;
  /** The label of `ns1.<apex>.<zone>`. */
  apex: string;
  headless: boolean;
  /** Zones ('.' for all) whose NXDOMAIN names go on down the chain. */
  fallthrough?: string[];
}

export function externalZoneConfig(reading: Reading<keyof typeof EXTERNAL_OPTIONS>): {
  external?: ExternalZoneConfig;
} {
  const { read, list, flag, checked, zoneList, number } = reading;
  const zones = list('external-zone') ?? [];
  if (zones.length === 0) return {};
  const forward = (value: string) => {
    const zone = parseZone(value);
    // CoreDNS's k8s_external also answers PTR for the external IPs; that is not served here.
    if (zone.kind !== 'forward')
      throw new Error(`zone "${value}": expected a forward zone such as example.org`);
    return zone.name;
  };
  const apex = read('external-apex') as string;
  const fallthrough = zoneList('external-fallthrough');
  return {
    external: {
      zones: zones.map((zone) => checked('external-zone', forward, zone)),
      ttl: number('external-ttl', 0, 3600),
      apex: checked('external-apex', dnsLabel, apex),
      headless: flag('external-headless'),
      ...(fallthrough ? { fallthrough } : {}),
    },
  };
}

function dnsLabel(value: string): string {
  const label = value.toLowerCase();
  if (!isDnsLabel(label)) throw new Error(`"${value}": expected ${LABEL_RULE}`);
  return label;
}
