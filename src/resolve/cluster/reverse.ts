// PTR names in the reverse zones: a cluster IP names its service, a ready endpoint address names
// the endpoint under every service that has it (Kubernetes DNS spec §2.3.3, §2.4.3). IPv6 is only
// answered in its full 32-nibble form; a shorter name with addresses below it is an empty
// non-terminal (NODATA), anything else NXDOMAIN.
import { RRType, type ResourceRecord } from '../../dns/types.js';
import { endpointLabel, type ReverseEntry, type ServiceEntry } from '../../table/service-index.js';
import type { ClusterZoneOptions, LookupResult, NameQuery } from './lookup.js';
import { NXDOMAIN } from './lookup.js';
import { importedEndpointName } from './multicluster.js';

export function lookupReverse(
  query: NameQuery,
  family: 4 | 6,
  zoneLabels: readonly string[],
  primaryZone: string,
  options: ClusterZoneOptions,
): LookupResult {
  // Address labels, most specific first: the asked labels plus the zone's own, minus the arpa suffix.
  const labels = [...query.relative, ...zoneLabels.slice(0, -2)];
  const key = addressKeyPrefix(labels, family);
  if (key === undefined) return NXDOMAIN;
  const full = family === 4 ? 8 : 32;
  if (key.length < full) {
    return query.snapshot.hasReverseBelow(family, key)
      ? { exists: true, answers: [], additional: [] }
      : NXDOMAIN;
  }
  const entry = query.snapshot.reverseOf(key);
  if (!entry) return NXDOMAIN;
  const exposed = (service: ServiceEntry) =>
    options.namespaces === undefined || options.namespaces.has(service.service.namespace);
  const targets = ptrTargets(entry, exposed, false, primaryZone);
  // An import's address has a PTR only where this cluster gives it none (MCS DNS spec §2.3.3, §2.4.3).
  const clusterset = options.multiclusterZones?.[0];
  if (targets.length === 0 && clusterset !== undefined)
    targets.push(...ptrTargets(entry, exposed, true, clusterset));
  if (targets.length === 0) return NXDOMAIN;
  if (query.qtype !== RRType.PTR) return { exists: true, answers: [], additional: [] };
  const answers: ResourceRecord[] = targets.map((target) => ({
    name: query.owner,
    ttl: options.ttl,
    data: { type: 'PTR', target },
  }));
  return { exists: true, answers, additional: [] };
}

/**
 * The names an address reverses to among services (or, `imported`, ServiceImports): the service
 * whose cluster IP it is, else every endpoint with it (an imported one as `<hostname>.<clusterid>`).
 */
function ptrTargets(
  entry: ReverseEntry,
  exposed: (service: ServiceEntry) => boolean,
  imported: boolean,
  zone: string,
): string[] {
  const ours = (service: ServiceEntry) => !!service.service.imported === imported && exposed(service);
  const { clusterIpOf } = entry;
  if (clusterIpOf && ours(clusterIpOf)) {
    const { name, namespace } = clusterIpOf.service;
    return [`${name}.${namespace}.svc.${zone}`];
  }
  const targets: string[] = [];
  for (const { service, endpoint } of entry.endpointOf) {
    if (!ours(service)) continue;
    const label = imported ? importedEndpointName(endpoint) : endpointLabel(endpoint);
    targets.push(`${label}.${service.service.name}.${service.service.namespace}.svc.${zone}`);
  }
  return targets;
}

/** The ipKey() prefix a reverse name stands for, or undefined when a label is not an octet/nibble. */
function addressKeyPrefix(labels: string[], family: 4 | 6): string | undefined {
  let key = '';
  if (family === 4) {
    if (labels.length > 4) return undefined;
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i] as string;
      if (!/^(0|[1-9][0-9]{0,2})$/.test(label) || Number(label) > 255) return undefined;
      key += Number(label).toString(16).padStart(2, '0');
    }
    return key;
  }
  if (labels.length > 32) return undefined;
  for (let i = labels.length - 1; i >= 0; i--) {
    const label = labels[i] as string;
    if (!/^[0-9a-f]$/.test(label)) return undefined;
    key += label;
  }
  return key;
}
