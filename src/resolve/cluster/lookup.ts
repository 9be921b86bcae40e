// Names in a cluster zone, read as CoreDNS's kubernetes plugin reads them (right to left after the
// zone): `svc.<zone>`, `<ns>.svc`, `<svc>.<ns>.svc`, `<endpoint>.<svc>.<ns>.svc`,
// `_<port>._<proto>.<svc>.<ns>.svc`, `<a-b-c-d>.<ns>.pod`, and with `zonal` the zone-scoped names
// of zonal.ts. Each look-up answers whether the name exists and which records of the asked type it
// has; the caller turns that into NXDOMAIN, NODATA or an answer.
import type { PodMode } from '../../config/options/cluster.js';
import { RRType, type ResourceRecord } from '../../dns/types.js';
import { ipFromDashed, ipFamily } from '../../table/ip.js';
import type { ReadyEndpoint, ServiceEntry, ServiceIndex } from '../../table/service-index.js';
import { DNS_SCHEMA_VERSION, DNS_VERSION_TTL, addressRecord, addressRecords, soaRecord } from './records.js';
import {
  ANY_PORT,
  clusterIpCandidates,
  endpointCandidates,
  srvRecords,
  type Candidate,
  type PortFilter,
} from './srv.js';
import { topologyChoice } from './topology.js';
import { zonalEndpoints, zonalName } from './zonal.js';

export interface ClusterZoneOptions {
  ttl: number;
  /** Exposed namespaces; undefined exposes every namespace in the table. */
  namespaces?: ReadonlySet<string>;
  pods: PodMode;
  /** NXDOMAIN for a ClusterIP service without ready endpoints (CoreDNS `ignore empty_service`). */
  ignoreEmptyService: boolean;
  /** Addresses of this server, served as `ns.dns.<zone>` and as the apex NS glue. */
  nsAddresses: readonly string[];
  /**
   * Multicluster zones (KEP-1645), in the order given: they answer from ServiceImports only (see
   * multicluster.ts). Absent or empty: imports are never served.
   */
  multiclusterZones?: readonly string[];
  /** Answer `<topology-zone>.pin|prefer._zone.<svc>.<ns>.svc` (CoreDNS `zonal`). */
  zonal?: boolean;
  /** Headless services' trafficDistribution picks endpoints close to the client (topology.ts). */
  topologyAware?: boolean;
}

export type LookupResult =
  | { exists: false }
  | {
      exists: true;
      answers: ResourceRecord[];
      additional: ResourceRecord[];
      /** An ExternalName CNAME whose target the caller chases for this qtype. */
      chase?: string;
    };

export const NXDOMAIN: LookupResult = { exists: false };
export const NODATA: LookupResult = { exists: true, answers: [], additional: [] };

export function found(answers: ResourceRecord[], additional: ResourceRecord[] = []): LookupResult {
  return { exists: true, answers, additional };
}

/** Everything one look-up needs about the question. */
export interface NameQuery {
  snapshot: ServiceIndex;
  qtype: number;
  /** The name as asked: owner of the records. */
  owner: string;
  /** The zone as it appears at the end of the asked name (case kept). */
  zoneAsAsked: string;
  /** Lower-case labels between the name and the zone, leftmost first. */
  relative: string[];
  /** The asking client's address, for topology-aware answers; '' when not known. */
  clientAddress: string;
}

/** Names every zone has: the apex and the name server's own name. */
export function lookupCommon(query: NameQuery, options: ClusterZoneOptions): LookupResult | undefined {
  const { relative, qtype, zoneAsAsked, snapshot, owner } = query;
  if (relative.length === 0) {
    if (qtype === RRType.SOA) return found([soaRecord(owner, snapshot.version, options.ttl)]);
    if (qtype === RRType.NS) {
      const nsName = `ns.dns.${zoneAsAsked}`;
      return found(
        [{ name: owner, ttl: options.ttl, data: { type: 'NS', target: nsName } }],
        options.nsAddresses.map((ip) => addressRecord(nsName, ip, options.ttl)),
      );
    }
    return NODATA;
  }
  if (relative.length === 1 && relative[0] === 'dns') return NODATA; // empty non-terminal above ns.dns
  if (relative.length === 2 && relative[0] === 'ns' && relative[1] === 'dns') {
    const family = addressFamily(qtype);
    return found(family ? addressRecords(owner, options.nsAddresses, family, options.ttl) : []);
  }
  return undefined;
}

export function lookupForward(query: NameQuery, options: ClusterZoneOptions): LookupResult {
  const { relative, qtype, owner } = query;
  if (relative.length === 1 && relative[0] === 'dns-version') {
    if (qtype !== RRType.TXT) return NODATA;
    return found([{ name: owner, ttl: DNS_VERSION_TTL, data: { type: 'TXT', texts: [DNS_SCHEMA_VERSION] } }]);
  }
  const kind = relative[relative.length - 1];
  const parts = relative.slice(0, -1);
  if (kind === 'svc') return lookupService(query, parts, options);
  if (kind === 'pod') return lookupPod(query, parts, options);
  return NXDOMAIN;
}

export function namespaceExposed(query: NameQuery, options: ClusterZoneOptions, namespace: string): boolean {
  return query.snapshot.namespaces.has(namespace) && (options.namespaces?.has(namespace) ?? true);
}

export function addressFamily(qtype: number): 4 | 6 | undefined {
  if (qtype === RRType.A) return 4;
  if (qtype === RRType.AAAA) return 6;
  return undefined;
}

function lookupService(query: NameQuery, parts: string[], options: ClusterZoneOptions): LookupResult {
  const count = parts.length;
  if (count === 0) return NODATA; // svc.<zone>
  const namespace = parts[count - 1] as string;
  if (!namespaceExposed(query, options, namespace)) return NXDOMAIN;
  if (count === 1) return NODATA; // <ns>.svc.<zone>
  const entry = query.snapshot.service(namespace, parts[count - 2] as string);
  if (!entry) return NXDOMAIN;
  const { service } = entry;
  if (options.ignoreEmptyService && service.type === 'ClusterIP' && entry.ready.length === 0) return NXDOMAIN;
  const serviceName = `${service.name}.${service.namespace}.svc.${query.zoneAsAsked}`;
  // The endpoints the service name and its SRV names answer with: close ones first (topology.ts).
  const ready = options.topologyAware
    ? (topologyChoice(query.snapshot, entry, query.clientAddress)?.endpoints ?? entry.ready)
    : entry.ready;
  if (count === 2) return serviceRecords(query, entry, ready, serviceName, options.ttl);
  // Names below an ExternalName service do not exist.
  if (service.type === 'ExternalName') return NXDOMAIN;
  if (count === 3) return endpointRecords(query, entry, parts[0] as string, serviceName, options.ttl);
  if (count === 4) {
    const filter = {
      name: stripUnderscore(parts[0] as string),
      protocol: stripUnderscore(parts[1] as string),
    };
    return portRecords(query, entry, ready, filter, serviceName, options.ttl);
  }
  // Zone-scoped names exist for headless services only; any other long name is NXDOMAIN.
  const zonal = options.zonal && service.type === 'Headless' ? zonalName(parts) : undefined;
  if (!zonal) return NXDOMAIN;
  const selected = zonalEndpoints(entry, zonal);
  return addressesAndSrv(
    query,
    selected,
    () => endpointCandidates(selected, ANY_PORT, serviceName),
    options.ttl,
  );
}

/**
 * `<svc>.<ns>.svc`: an ExternalName's CNAME, a headless service's `ready` endpoints (named by
 * `nameOf` as SRV targets), or the cluster IPs, with SRV over every port.
 */
export function serviceRecords(
  query: NameQuery,
  entry: ServiceEntry,
  ready: readonly ReadyEndpoint[],
  serviceName: string,
  ttl: number,
  nameOf?: (endpoint: ReadyEndpoint) => string,
): LookupResult {
  const { service } = entry;
  const { qtype, owner } = query;
  if (service.type === 'ExternalName') {
    const cname: ResourceRecord = {
      name: owner,
      ttl,
      data: { type: 'CNAME', target: service.externalName! },
    };
    if (qtype === RRType.CNAME) return found([cname]);
    // CoreDNS answers (and chases) the CNAME for A, AAAA and TXT; other types get NODATA.
    if (qtype === RRType.A || qtype === RRType.AAAA || qtype === RRType.TXT) {
      return { exists: true, answers: [cname], additional: [], chase: service.externalName! };
    }
    return NODATA;
  }
  if (service.type === 'Headless' && ready.length === 0) return NXDOMAIN; // spec §2.4.1
  if (service.type === 'Headless') {
    return addressesAndSrv(query, ready, () => endpointCandidates(ready, ANY_PORT, serviceName, nameOf), ttl);
  }
  return addressesAndSrv(
    query,
    service.clusterIPs.map((ip) => ({ ip })),
    () => clusterIpCandidates(entry, ANY_PORT, serviceName),
    ttl,
  );
}

/** A name with addresses and SRV targets: A/AAAA of the family asked, SRV, or NODATA for other types. */
export function addressesAndSrv(
  query: NameQuery,
  addresses: readonly { ip: string }[],
  srvCandidates: () => Candidate[],
  ttl: number,
): LookupResult {
  const family = addressFamily(query.qtype);
  if (family)
    return found(
      addressRecords(
        query.owner,
        addresses.map((address) => address.ip),
        family,
        ttl,
      ),
    );
  if (query.qtype !== RRType.SRV) return NODATA;
  const { answers, additional } = srvRecords(query.owner, srvCandidates(), ttl);
  return found(answers, additional);
}

function endpointRecords(
  query: NameQuery,
  entry: ServiceEntry,
  label: string,
  serviceName: string,
  ttl: number,
): LookupResult {
  const endpoints = entry.named(label);
  if (endpoints.length === 0) {
    return srvBelow(entry, label) ? NODATA : NXDOMAIN;
  }
  return addressesAndSrv(query, endpoints, () => endpointCandidates(endpoints, ANY_PORT, serviceName), ttl);
}

/**
 * `_tcp.<svc>` is an empty non-terminal when `_<port>._tcp.<svc>` names exist below it: it exists,
 * so NODATA, as NXDOMAIN would deny the names below (https://www.rfc-editor.org/rfc/rfc8020#section-2).
 */
export function srvBelow(entry: ServiceEntry, label: string): boolean {
  const protocol = stripUnderscore(label);
  return (
    label.startsWith('_') &&
    srvPorts(entry).some((port) => port.name !== '' && port.protocol.toLowerCase() === protocol)
  );
}

/**
 * `_<port>._<proto>.<svc>`: SRV for the matching ports; a headless service's targets are `ready`
 * (its ready endpoints, or the close ones of topology.ts), named by `nameOf`.
 */
export function portRecords(
  query: NameQuery,
  entry: ServiceEntry,
  ready: readonly ReadyEndpoint[],
  filter: PortFilter,
  serviceName: string,
  ttl: number,
  nameOf?: (endpoint: ReadyEndpoint) => string,
): LookupResult {
  const candidates =
    entry.service.type === 'Headless'
      ? endpointCandidates(ready, filter, serviceName, nameOf)
      : clusterIpCandidates(entry, filter, serviceName);
  if (candidates.length === 0) return NXDOMAIN;
  if (query.qtype !== RRType.SRV) return NODATA;
  const { answers, additional } = srvRecords(query.owner, candidates, ttl);
  return found(answers, additional);
}

/** The ports SRV names are made from: the service's, or for a headless service its endpoints'. */
export function srvPorts(entry: ServiceEntry) {
  return entry.service.type === 'Headless'
    ? entry.ready.flatMap((endpoint) => endpoint.ports)
    : entry.service.ports;
}

export function stripUnderscore(label: string): string {
  return label.startsWith('_') ? label.slice(1) : label;
}

function lookupPod(query: NameQuery, parts: string[], options: ClusterZoneOptions): LookupResult {
  const count = parts.length;
  if (count === 0) return NODATA; // pod.<zone>
  if (options.pods === 'disabled') return NXDOMAIN;
  const namespace = parts[count - 1] as string;
  if (!namespaceExposed(query, options, namespace)) return NXDOMAIN;
  if (count === 1) return NODATA; // <ns>.pod.<zone>
  if (count > 2) return NXDOMAIN;
  const ip = ipFromDashed(parts[0] as string);
  if (!ip) return NXDOMAIN;
  if (options.pods === 'verified') {
    const pods = query.snapshot.podsWithIp(ip).filter((pod) => pod.namespace === namespace);
    if (pods.length === 0) return NXDOMAIN;
  }
  const family = addressFamily(query.qtype);
  return found(
    family && ipFamily(ip) === family ? addressRecords(query.owner, [ip], family, options.ttl) : [],
  );
}
