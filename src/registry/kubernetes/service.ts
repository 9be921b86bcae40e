// v1 Service → Service. Only what DNS serves is read: type, cluster IPs, external name, ports, and
// the external addresses k8s_external serves.

import type { Service, TrafficDistribution } from '../../table/types.js';
import { type Fields, child, domainName, fail, ip, label, list, optionalRecord } from '../fields.js';
import { servicePort } from './ports.js';

const TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];

export function convertService(object: Fields, namespace: string, name: string): Service {
  const spec = optionalRecord(object.spec, 'spec');
  const service: Service = {
    namespace,
    name: label(name, 'metadata.name'),
    type: 'ClusterIP',
    clusterIPs: [],
    ports: list(spec.ports, 'spec.ports').map((p, i) => servicePort(p, child('spec.ports', i))),
    endpoints: [],
    ...externalIPs(object, spec),
    ...trafficDistribution(spec.trafficDistribution),
  };

  const type = spec.type ?? 'ClusterIP';
  if (typeof type !== 'string' || !TYPES.includes(type)) fail('spec.type', TYPES.join(', '), type);
  if (type === 'ExternalName') {
    return {
      ...service,
      type: 'ExternalName',
      externalName: domainName(spec.externalName, 'spec.externalName'),
    };
  }

  // clusterIPs is authoritative when present (dual-stack); older objects only carry clusterIP.
  const fromList = list(spec.clusterIPs, 'spec.clusterIPs');
  const [path, ips] =
    fromList.length > 0
      ? ['spec.clusterIPs', fromList]
      : ['spec.clusterIP', spec.clusterIP ? [spec.clusterIP] : []];
  if (ips.length === 0) {
    fail('spec.clusterIP', 'a cluster IP ("None" for a headless service) on a ClusterIP service', undefined);
  }
  if (ips[0] === 'None') return { ...service, type: 'Headless' };
  const at = (i: number) => (path === 'spec.clusterIPs' ? child(path, i) : path);
  return { ...service, clusterIPs: ips.map((value, i) => ip(value, at(i))) };
}

/**
 * `spec.externalIPs`, then each `status.loadBalancer.ingress[].ip`, in that order as CoreDNS reads
 * them (plugin/kubernetes/object/service.go). An ingress given by hostname only (some cloud load
 * balancers) has no address to serve and is skipped.
 */
function externalIPs(object: Fields, spec: Fields): Pick<Service, 'externalIPs'> {
  const ips = list(spec.externalIPs, 'spec.externalIPs').map((value, i) =>
    ip(value, child('spec.externalIPs', i)),
  );
  const loadBalancer = optionalRecord(
    optionalRecord(object.status, 'status').loadBalancer,
    'status.loadBalancer',
  );
  list(loadBalancer.ingress, 'status.loadBalancer.ingress').forEach((entry, i) => {
    const path = child('status.loadBalancer.ingress', i);
    const address = optionalRecord(entry, path).ip;
    if (address !== undefined && address !== null && address !== '') ips.push(ip(address, child(path, 'ip')));
  });
  return ips.length ? { externalIPs: ips } : {};
}

/**
 * `spec.trafficDistribution` (KEP-4444, KEP-3015): PreferSameZone and PreferSameNode are kept,
 * PreferClose is the old name of PreferSameZone; any other value (a future one, or none) asks for
 * no preference, as kube-proxy reads a value it does not know.
 */
export function trafficDistribution(value: unknown): { trafficDistribution?: TrafficDistribution } {
  if (value === 'PreferSameZone' || value === 'PreferClose') return { trafficDistribution: 'PreferSameZone' };
  if (value === 'PreferSameNode') return { trafficDistribution: 'PreferSameNode' };
  return {};
}
