// One immutable version of the service table with the indexes the resolvers need, so that every
// question is a few map look-ups. A snapshot is built once per change and never mutated: a query
// holds the snapshot it started with and cannot see half an update.
import { dashedIp, ipFamily, ipKey, normalizeIp, type IpFamily } from './ip.js';
import type { PortSpec, Pod, Service, TableContent } from './types.js';

/** A ready endpoint address as DNS sees it. */
export interface ReadyEndpoint {
  /** The label it is known by below its service: the hostname, else the dashed IP. */
  name: string;
  ip: string;
  family: IpFamily;
  ports: PortSpec[];
  weight?: number;
  priority?: number;
}

export interface ServiceEntry {
  service: Service;
  /** Ready endpoint addresses, each IP once. */
  ready: ReadyEndpoint[];
  /** Ready endpoints by their name (several addresses may share a hostname). */
  byName: Map<string, ReadyEndpoint[]>;
  /** ipKey() of each cluster IP and of each ready endpoint (same order as `ready`), for the reverse index. */
  clusterIpKeys: string[];
  endpointKeys: string[];
}

/** What a reverse (PTR) look-up of one address finds. */
export interface ReverseEntry {
  /** A service whose cluster IP this is: the PTR names the service. */
  clusterIpOf?: ServiceEntry;
  /** Otherwise: every service that has this address as a ready endpoint, one PTR each. */
  endpointOf: { entry: ServiceEntry; endpoint: ReadyEndpoint }[];
}

export interface SnapshotCounts {
  namespaces: number;
  services: number;
  endpoints: number;
  pods: number;
}

export class Snapshot {
  readonly namespaces: ReadonlySet<string>;
  private readonly services = new Map<string, ServiceEntry>();
  private readonly reverse = new Map<string, ReverseEntry>();
  private readonly podsByIp = new Map<string, Pod[]>();
  /** Sorted ipKey()s of every address with a PTR, per family, to find reverse empty non-terminals. */
  private readonly reverseKeys: Record<IpFamily, string[]> = { 4: [], 6: [] };
  readonly counts: SnapshotCounts;

  /**
   * `previous`: the snapshot this one replaces. A service a backend handed over unchanged (the same
   * object) keeps its entry, so a change to one service in a large table rebuilds one entry.
   */
  constructor(
    readonly version: number,
    content: TableContent,
    previous?: Snapshot,
  ) {
    const namespaces = new Set(content.namespaces);
    let endpoints = 0;
    for (const service of content.services) {
      namespaces.add(service.namespace);
      const key = serviceKey(service.namespace, service.name);
      if (this.services.has(key)) continue; // the first definition wins; the backend warned
      const prior = previous?.services.get(key);
      const entry = prior?.service === service ? prior : buildEntry(service);
      endpoints += entry.ready.length;
      this.services.set(key, entry);
      this.indexReverse(entry);
    }
    for (const pod of content.pods) {
      namespaces.add(pod.namespace);
      for (const ip of pod.ips) {
        const key = ipKey(ip);
        const list = this.podsByIp.get(key);
        if (list) list.push(pod);
        else this.podsByIp.set(key, [pod]);
      }
    }
    for (const key of this.reverse.keys()) this.reverseKeys[key.length === 8 ? 4 : 6].push(key);
    this.reverseKeys[4].sort();
    this.reverseKeys[6].sort();
    this.namespaces = namespaces;
    this.counts = {
      namespaces: namespaces.size,
      services: this.services.size,
      endpoints,
      pods: content.pods.length,
    };
  }

  service(namespace: string, name: string): ServiceEntry | undefined {
    return this.services.get(serviceKey(namespace, name));
  }

  allServices(): IterableIterator<ServiceEntry> {
    return this.services.values();
  }

  /** What the address (an ipKey) reverses to, or undefined when nothing has it. */
  reverseOf(key: string): ReverseEntry | undefined {
    return this.reverse.get(key);
  }

  /** Whether some address with a PTR record has a key starting with `prefix` (a reverse ENT). */
  hasReverseBelow(family: IpFamily, prefix: string): boolean {
    const keys = this.reverseKeys[family];
    let low = 0;
    let high = keys.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((keys[mid] as string) < prefix) low = mid + 1;
      else high = mid;
    }
    return low < keys.length && (keys[low] as string).startsWith(prefix);
  }

  podsWithIp(ip: string): Pod[] {
    return this.podsByIp.get(ipKey(ip)) ?? [];
  }

  private indexReverse(entry: ServiceEntry): void {
    for (const key of entry.clusterIpKeys) {
      const reverse = this.reverseEntry(key);
      reverse.clusterIpOf ??= entry;
    }
    entry.ready.forEach((endpoint, i) => {
      this.reverseEntry(entry.endpointKeys[i]!).endpointOf.push({ entry, endpoint });
    });
  }

  private reverseEntry(key: string): ReverseEntry {
    let reverse = this.reverse.get(key);
    if (!reverse) {
      reverse = { endpointOf: [] };
      this.reverse.set(key, reverse);
    }
    return reverse;
  }
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function buildEntry(service: Service): ServiceEntry {
  const ready: ReadyEndpoint[] = [];
  const byName = new Map<string, ReadyEndpoint[]>();
  if (service.type !== 'ExternalName') {
    const seen = new Set<string>();
    for (const endpoint of service.endpoints) {
      const family = ipFamily(endpoint.ip);
      if (!endpoint.ready || !family) continue;
      const ip = normalizeIp(endpoint.ip);
      if (seen.has(ip)) continue;
      seen.add(ip);
      const name = endpoint.hostname || dashedIp(ip);
      const view: ReadyEndpoint = { name, ip, family, ports: endpoint.ports };
      if (endpoint.weight !== undefined) view.weight = endpoint.weight;
      if (endpoint.priority !== undefined) view.priority = endpoint.priority;
      ready.push(view);
      const sameName = byName.get(name);
      if (sameName) sameName.push(view);
      else byName.set(name, [view]);
    }
  }
  return {
    service,
    ready,
    byName,
    clusterIpKeys: service.clusterIPs.map(ipKey),
    endpointKeys: ready.map((endpoint) => ipKey(endpoint.ip)),
  };
}
