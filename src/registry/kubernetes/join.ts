// Joins converted objects into one TableContent: slices attach to their service by name, and
// namespaces are collected from everything that lives in one.

import type { Endpoint, Pod, PortSpec, Service, TableContent } from '../../table/types.js';
import { serviceKey } from '../../table/service-index.js';
import type { ClusterObject } from '../model.js';

export type ServiceObject = Extract<ClusterObject, { kind: 'Service' }>;
export type SliceObject = Extract<ClusterObject, { kind: 'EndpointSlice' }>;

export function joinKubernetesObjects(objects: readonly ClusterObject[]): TableContent {
  const namespaces = new Set<string>();
  const groups = new Map<string, { service: ServiceObject; slices: SliceObject[] }>();
  const pods = new Map<string, Pod>();

  // Services first, so a slice listed before its service still finds it. The first definition wins.
  for (const object of objects) {
    if (object.kind !== 'Service') continue;
    const key = serviceKey(object.service.namespace, object.service.name);
    if (!groups.has(key)) groups.set(key, { service: object, slices: [] });
  }

  for (const object of objects) {
    switch (object.kind) {
      case 'Namespace':
        namespaces.add(object.name);
        break;
      case 'Service':
        namespaces.add(object.service.namespace);
        break;
      case 'EndpointSlice':
        namespaces.add(object.namespace);
        // A slice whose service is gone (or not yet listed anywhere) has nothing to serve.
        groups.get(serviceKey(object.namespace, object.serviceName))?.slices.push(object);
        break;
      case 'Pod': {
        namespaces.add(object.pod.namespace);
        const key = `${object.pod.namespace}/${object.pod.name}`;
        if (!pods.has(key)) pods.set(key, { ...object.pod, ips: [...object.pod.ips] });
        break;
      }
    }
  }

  const services: Service[] = [];
  for (const group of groups.values()) services.push(joinService(group.service, group.slices));

  return {
    namespaces: [...namespaces].sort(),
    services: services.sort(byNamespaceAndName),
    pods: [...pods.values()].sort(byNamespaceAndName),
  };
}

/** One service with the endpoints of its slices, each address once. */
export function joinService(object: ServiceObject, slices: readonly SliceObject[]): Service {
  const service: Service = { ...object.service, clusterIPs: [...object.service.clusterIPs], endpoints: [] };
  const entry = { service, byIP: new Map<string, Endpoint>() };
  addEndpoints(entry, object.service.endpoints);
  for (const slice of slices) addEndpoints(entry, slice.endpoints);
  return service;
}

/**
 * During a rollout the same address can sit in two slices of one service; DNS must list it once.
 * The copies are merged: ports are united, missing details filled in, and it is ready if any copy is.
 */
function addEndpoints(entry: { service: Service; byIP: Map<string, Endpoint> }, endpoints: Endpoint[]): void {
  for (const endpoint of endpoints) {
    const existing = entry.byIP.get(endpoint.ip);
    if (!existing) {
      const copy: Endpoint = { ...endpoint, ports: uniquePorts(endpoint.ports) };
      entry.byIP.set(endpoint.ip, copy);
      entry.service.endpoints.push(copy);
      continue;
    }
    existing.ready ||= endpoint.ready;
    existing.ports = uniquePorts([...existing.ports, ...endpoint.ports]);
    for (const key of ['hostname', 'nodeName', 'podName'] as const) {
      const value = endpoint[key];
      if (existing[key] === undefined && value !== undefined) existing[key] = value;
    }
  }
}

function uniquePorts(ports: PortSpec[]): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const p of ports) {
    const key = `${p.name}/${p.protocol}/${p.port}`;
    if (!seen.has(key)) seen.set(key, { ...p });
  }
  return [...seen.values()];
}

function byNamespaceAndName(
  a: { namespace: string; name: string },
  b: { namespace: string; name: string },
): number {
  return a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
