// SRV answers as CoreDNS's kubernetes plugin gives them: priority 0, weight floor(100/N) but at
// least 1 where N counts every (address × port) candidate before duplicates are removed, one SRV per
// (target, port), and the targets' addresses as glue in the additional section.
import type { ResourceRecord } from '../../dns/types.js';
import { endpointLabel, type ReadyEndpoint, type ServiceEntry } from '../../table/service-index.js';
import type { PortSpec } from '../../table/types.js';
import { addressRecord } from './records.js';

/** A port filter from `_port._proto` labels; an empty part matches anything (a bare SRV query). */
export interface PortFilter {
  name: string;
  protocol: string;
}

export const ANY_PORT: PortFilter = { name: '', protocol: '' };

export function portMatches(port: PortSpec, filter: PortFilter): boolean {
  return (
    (filter.name === '' || filter.name === port.name) &&
    (filter.protocol === '' || filter.protocol === port.protocol.toLowerCase())
  );
}

export interface Candidate {
  target: string;
  ip: string;
  /** Undefined for an endpoint without ports: it counts in N but yields no record. */
  port?: number;
  /** The registry's own SRV weight and priority, when it has them. */
  weight?: number;
  priority?: number;
}

export interface SrvResult {
  answers: ResourceRecord[];
  additional: ResourceRecord[];
}

/** Candidates of a ClusterIP service: its matching ports × its cluster IPs, all at the service name. */
export function clusterIpCandidates(entry: ServiceEntry, filter: PortFilter, target: string): Candidate[] {
  const candidates: Candidate[] = [];
  for (const port of entry.service.ports) {
    if (!portMatches(port, filter)) continue;
    for (const ip of entry.service.clusterIPs) candidates.push({ target, ip, port: port.port });
  }
  return candidates;
}

/**
 * Candidates of endpoints: each endpoint's matching ports, at `<endpoint>.<service name>`, where
 * `<endpoint>` is `nameOf` the endpoint (in a multicluster zone `<hostname>.<clusterid>`).
 */
export function endpointCandidates(
  endpoints: readonly ReadyEndpoint[],
  filter: PortFilter,
  serviceName: string,
  nameOf: (endpoint: ReadyEndpoint) => string = endpointLabel,
): Candidate[] {
  const candidates: Candidate[] = [];
  for (const endpoint of endpoints) {
    const target = `${nameOf(endpoint)}.${serviceName}`;
    const { weight, priority } = endpoint;
    if (endpoint.ports.length === 0) {
      // CoreDNS keeps a port-less endpoint as a "no port" sentinel that only a bare query matches.
      if (filter.name === '' && filter.protocol === '') candidates.push({ target, ip: endpoint.ip });
      continue;
    }
    for (const port of endpoint.ports) {
      if (portMatches(port, filter))
        candidates.push({ target, ip: endpoint.ip, port: port.port, weight, priority });
    }
  }
  return candidates;
}

export function srvRecords(owner: string, candidates: Candidate[], ttl: number): SrvResult {
  const weight = Math.max(1, Math.floor(100 / candidates.length));
  const answers: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  const seenSrv = new Set<string>();
  const seenGlue = new Set<string>();
  for (const candidate of candidates) {
    const { target, ip, port } = candidate;
    if (port === undefined) continue;
    const srvKey = `${target.toLowerCase()} ${port}`;
    if (!seenSrv.has(srvKey)) {
      seenSrv.add(srvKey);
      answers.push({
        name: owner,
        ttl,
        data: {
          type: 'SRV',
          priority: candidate.priority ?? 0,
          weight: candidate.weight ?? weight,
          port,
          target,
        },
      });
    }
    const glueKey = `${target.toLowerCase()} ${ip}`;
    if (!seenGlue.has(glueKey)) {
      seenGlue.add(glueKey);
      additional.push(addressRecord(target, ip, ttl));
    }
  }
  return { answers, additional };
}
