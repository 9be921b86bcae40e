// Joins converted objects into one TableContent: slices attach to their service by name, pods take
// the zone of their node, and namespaces are collected from everything that lives in one.

import type { Endpoint, Pod, PortSpec, Service, TableContent } from '../../table/types.js';
import { importKey, keyOf, serviceKey } from '../../table/service-index.js';
import type { ClusterObject } from '../model.js';

export type ServiceObject = Extract<ClusterObject, { kind: 'Service' }>;
export type SliceObject = Extract<ClusterObject, { kind: 'EndpointSlice' }>;

export function joinKubernetesObjects(objects: readonly ClusterObject[]): TableContent {
  const join = new ObjectJoin();
  for (const object of objects) join.add(object);
  return join.content([...join.services()]);
}

/**
 * The join taken an object at a time, so that a caller may pause between objects: the zone files'
 * join of 10 000 services is some 30 ms at once, too long to hold the thread that answers queries.
 */
export class ObjectJoin {
  private readonly namespaces = new Set<string>();
  private readonly groups = new Map<string, { service: ServiceObject; slices: SliceObject[] }>();
  private readonly slices: SliceObject[] = [];
  private readonly pods = new Map<string, Pod>();
  /** Node name → its topology zone (nodes without one are not kept). */
  private readonly nodeZones = new Map<string, string>();

  /** Takes one object; a service or pod already taken keeps its first definition. */
  add(object: ClusterObject): void {
    switch (object.kind) {
      case 'Namespace':
        this.namespaces.add(object.name);
        break;
      case 'Service': {
        this.namespaces.add(object.service.namespace);
        const key = keyOf(object.service);
        if (!this.groups.has(key)) this.groups.set(key, { service: object, slices: [] });
        break;
      }
      case 'EndpointSlice':
        this.namespaces.add(object.namespace);
        this.slices.push(object);
        break;
      case 'Pod': {
        this.namespaces.add(object.pod.namespace);
        const key = `${object.pod.namespace}/${object.pod.name}`;
        if (!this.pods.has(key)) this.pods.set(key, object.pod);
        break;
      }
      case 'Node':
        if (object.zone !== undefined && !this.nodeZones.has(object.name))
          this.nodeZones.set(object.name, object.zone);
        break;
    }
  }

  /**
   * Every service with its endpoints, one at a time. Slices attach only now, so a slice taken
   * before its service still finds it; one whose service is gone (or not yet listed anywhere) has
   * nothing to serve.
   */
  *services(): Generator<Service> {
    for (const slice of this.slices.splice(0)) this.groups.get(sliceKey(slice))?.slices.push(slice);
    for (const group of this.groups.values()) yield joinService(group.service, group.slices);
  }

  /** The content of `services` (from services()), sorted: the same objects give it in one order. */
  content(services: Service[]): TableContent {
    return {
      namespaces: [...this.namespaces].sort(),
      services: services.sort(byNamespaceAndName),
      pods: podsInZones([...this.pods.values()], this.nodeZones).sort(byNamespaceAndName),
    };
  }
}

/** The table key of the service (or import) a slice feeds. */
export function sliceKey(slice: SliceObject): string {
  return slice.imported
    ? importKey(slice.namespace, slice.serviceName)
    : serviceKey(slice.namespace, slice.serviceName);
}

/**
 * Each pod with the zone of the node it runs on. Without nodes (every table that does not ask for
 * topology) the pods are handed back as they are; a pod whose zone is already right is not copied.
 */
export function podsInZones(pods: Pod[], nodeZones: ReadonlyMap<string, string>): Pod[] {
  if (nodeZones.size === 0) return pods;
  return pods.map((pod) => {
    const zone = pod.nodeName === undefined ? undefined : nodeZones.get(pod.nodeName);
    if (zone === pod.zone) return pod;
    const placed: Pod = { ...pod };
    if (zone === undefined) delete placed.zone;
    else placed.zone = zone;
    return placed;
  });
}

/**
 * One service with the endpoints of its slices, each address once. A service with nothing to
 * join (no slices, its own endpoints already distinct) is handed back as it is: the same object
 * for the same input keeps the table's change detection cheap, and a table of 100 000 services
 * is not held twice.
 */
export function joinService(object: ServiceObject, slices: readonly SliceObject[]): Service {
  const own = object.service.endpoints;
  if (slices.length === 0 && own.every(hasDistinctPorts) && distinctAddresses(own)) return object.service;
  const endpoints: Endpoint[] = [];
  /** Where each address sits in `endpoints`. */
  const at = new Map<string, number>();
  /** Endpoints copied here, which merging may change; the others are the sources' own objects. */
  const copies = new Set<Endpoint>();
  for (const source of [own, ...slices.map((slice) => slice.endpoints)]) {
    for (const endpoint of source) {
      const i = at.get(endpoint.ip);
      if (i === undefined) {
        at.set(endpoint.ip, endpoints.length);
        endpoints.push(
          hasDistinctPorts(endpoint) ? endpoint : { ...endpoint, ports: uniquePorts(endpoint.ports) },
        );
        continue;
      }
      let existing = endpoints[i]!;
      if (!copies.has(existing)) copies.add((existing = endpoints[i] = { ...existing }));
      mergeInto(existing, endpoint);
    }
  }
  return { ...object.service, endpoints };
}

/**
 * CoreDNS's `endpoint_pod_names`: an endpoint without a hostname is named by the pod it targets,
 * when that name is one DNS label (at most 63 characters); else by its dashed IP as always
 * (https://coredns.io/plugins/kubernetes/). The service is handed back as it is when nothing changes.
 */
export function namedByPods(service: Service): Service {
  const named = (endpoint: Endpoint) =>
    endpoint.hostname === undefined && endpoint.podName !== undefined && endpoint.podName.length <= 63;
  if (!service.endpoints.some(named)) return service;
  return {
    ...service,
    endpoints: service.endpoints.map((endpoint) =>
      named(endpoint) ? { ...endpoint, hostname: endpoint.podName } : endpoint,
    ),
  };
}

/**
 * During a rollout the same address can sit in two slices of one service; DNS must list it once.
 * The copies are merged: ports are united, missing details filled in, and it is ready if any copy is.
 */
function mergeInto(existing: Endpoint, endpoint: Endpoint): void {
  existing.ready ||= endpoint.ready;
  existing.ports = uniquePorts([...existing.ports, ...endpoint.ports]);
  for (const key of ['hostname', 'nodeName', 'zone', 'podName'] as const) {
    const value = endpoint[key];
    if (existing[key] === undefined && value !== undefined) existing[key] = value;
  }
}

function distinctAddresses(endpoints: readonly Endpoint[]): boolean {
  if (endpoints.length < 2) return true;
  return new Set(endpoints.map((endpoint) => endpoint.ip)).size === endpoints.length;
}

function hasDistinctPorts(endpoint: Endpoint): boolean {
  return endpoint.ports.length < 2 || uniquePorts(endpoint.ports).length === endpoint.ports.length;
}

/** Each port once; port specs are shared, never changed in place. */
function uniquePorts(ports: PortSpec[]): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const p of ports) {
    const key = `${p.name}/${p.protocol}/${p.port}`;
    if (!seen.has(key)) seen.set(key, p);
  }
  return seen.size === ports.length ? ports : [...seen.values()];
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
