// Names in a multicluster zone (KEP-1645's `clusterset.local`), answered from ServiceImports only,
// as the Multi-Cluster Services DNS specification gives them:
// https://github.com/kubernetes/enhancements/blob/master/keps/sig-multicluster/1645-multi-cluster-services-api/specification.md
// `<svc>.<ns>.svc` (§2.3.1 a ClusterSetIP import's IPs, §2.4.1 a headless import's ready endpoints
// from every cluster), `_<port>._<proto>.<svc>.<ns>.svc` (§2.3.2, §2.4.2) and, for headless
// imports only, `<hostname>.<clusterid>.<svc>.<ns>.svc` (§2.4.1; §2.3.4 forbids it for ClusterSetIP).
// A Service of this cluster is not a name here, nor is a pod: the zone is the clusterset's.
import { RRType } from '../../dns/types.js';
import { endpointLabel, type ReadyEndpoint } from '../../table/service-index.js';
import {
  NODATA,
  NXDOMAIN,
  addressesAndSrv,
  found,
  namespaceExposed,
  portRecords,
  serviceRecords,
  srvBelow,
  stripUnderscore,
  type ClusterZoneOptions,
  type LookupResult,
  type NameQuery,
} from './lookup.js';
import { DNS_VERSION_TTL } from './records.js';
import { ANY_PORT, endpointCandidates } from './srv.js';

/**
 * The MCS DNS schema this zone follows (specification §1, §2.2). CoreDNS answers its cluster-local
 * 1.1.0 here too; the specification's own version is the one a clusterset client can rely on.
 */
export const MULTICLUSTER_SCHEMA_VERSION = '1.0.0';

/** An imported endpoint's name below its service: `<hostname>.<clusterid>` (specification §2.4.1). */
export function importedEndpointName(endpoint: ReadyEndpoint): string {
  return `${endpointLabel(endpoint)}.${endpoint.clusterId ?? ''}`;
}

export function lookupMulticluster(query: NameQuery, options: ClusterZoneOptions): LookupResult {
  const { relative, qtype, owner } = query;
  if (relative.length === 1 && relative[0] === 'dns-version') {
    if (qtype !== RRType.TXT) return NODATA;
    const texts = [MULTICLUSTER_SCHEMA_VERSION];
    return found([{ name: owner, ttl: DNS_VERSION_TTL, data: { type: 'TXT', texts } }]);
  }
  const kind = relative[relative.length - 1];
  const parts = relative.slice(0, -1);
  if (kind === 'svc') return lookupImport(query, parts, options);
  // `pod.<zone>` is kept as the empty non-terminal every cluster zone has; no pod names exist below.
  if (kind === 'pod' && parts.length === 0) return NODATA;
  return NXDOMAIN;
}

function lookupImport(query: NameQuery, parts: string[], options: ClusterZoneOptions): LookupResult {
  const count = parts.length;
  if (count === 0) return NODATA; // svc.<zone>
  const namespace = parts[count - 1]!;
  if (!namespaceExposed(query, options, namespace)) return NXDOMAIN;
  if (count === 1) return NODATA; // <ns>.svc.<zone>
  const entry = query.snapshot.imported(namespace, parts[count - 2]!);
  if (!entry) return NXDOMAIN;
  const headless = entry.service.type === 'Headless';
  if (options.ignoreEmptyService && !headless && entry.ready.length === 0) return NXDOMAIN;
  // §2.4.1: a headless import without a ready endpoint anywhere is NXDOMAIN.
  if (headless && entry.ready.length === 0) return NXDOMAIN;
  const serviceName = `${entry.service.name}.${namespace}.svc.${query.zoneAsAsked}`;
  // An import is never ExternalName (service-import.ts): its addresses, or its SRV over every port.
  if (count === 2)
    return serviceRecords(query, entry, entry.ready, serviceName, options.ttl, importedEndpointName);
  const [first, second] = parts as [string, string];
  if (count === 3) {
    // `<clusterid>.<svc>` of a headless import and `_<proto>.<svc>` are empty non-terminals.
    const clusterBelow = headless && entry.ready.some((endpoint) => endpoint.clusterId === first);
    return srvBelow(entry, first) || clusterBelow ? NODATA : NXDOMAIN;
  }
  if (count !== 4) return NXDOMAIN;
  if (first.startsWith('_') && second.startsWith('_')) {
    const filter = { name: stripUnderscore(first), protocol: stripUnderscore(second) };
    return portRecords(query, entry, entry.ready, filter, serviceName, options.ttl, importedEndpointName);
  }
  if (!headless) return NXDOMAIN; // §2.3.4: no per-cluster names for a ClusterSetIP import
  const endpoints = entry.named(first).filter((endpoint) => endpoint.clusterId === second);
  if (endpoints.length === 0) return NXDOMAIN;
  return addressesAndSrv(
    query,
    endpoints,
    () => endpointCandidates(endpoints, ANY_PORT, serviceName, importedEndpointName),
    options.ttl,
  );
}
