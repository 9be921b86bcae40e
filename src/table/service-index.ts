// The merged service table with the indexes the resolvers need, so that every question is a few
// map look-ups. It is updated in place, one service at a time, and each update is applied in one
// synchronous step between two queries: a query, which reads it synchronously, sees the table
// before a change or after it, never half of it, and a change to one service in a table of 100 000
// costs that service's work, not the table's.
import { bulkLoad } from 'sorted-btree/extended/bulkLoad.js';
import { dashedIp, ipFamily, ipKey, normalizeIp, type IpFamily } from './ip.js';
import type { Endpoint, Pod, Service } from './types.js';

/**
 * A ready endpoint address as DNS sees it: the registry's own Endpoint (registries never change
 * one they have handed over), ready, of a known family, and with its IPv6 address in normal form.
 * Only an endpoint whose address had to be normalized is a copy: an object per address of the
 * table is what its memory is made of (50 000 addresses held 3.2 MB as objects of their own).
 */
export type ReadyEndpoint = Endpoint;

/** The label an endpoint is known by below its service: its hostname, else its dashed IP. */
export function endpointLabel(endpoint: ReadyEndpoint): string {
  return endpoint.hostname || dashedIp(endpoint.ip);
}

/** A ready endpoint address and the service it is an endpoint of: what a reverse look-up finds. */
export interface EndpointOwner {
  service: ServiceEntry;
  endpoint: ReadyEndpoint;
}

/**
 * One service as the resolvers see it. A table holds one per service, so it is kept small: arrays
 * of the exact size (the registry's own when every endpoint is ready), and no per-service map of
 * names unless the service has enough endpoints for a scan to cost more than the map.
 */
export class ServiceEntry {
  /** Ready endpoints by their name, built on the first look-up by name of a large service. */
  private byName: Map<string, ReadyEndpoint[]> | undefined;
  /**
   * Set when the index drops this entry (the service changed or went): whatever was derived from
   * it, such as a compiled answer, is out of date. A flag to read instead of a look-up per query.
   */
  retired = false;

  constructor(
    readonly service: Service,
    /** The backend whose definition this is: its staleness is this service's. */
    readonly backend: string,
    /** Ready endpoint addresses, each IP once. */
    readonly ready: readonly ReadyEndpoint[],
    /** ipKey() of each cluster IP. */
    readonly clusterIpKeys: readonly string[],
  ) {}

  /** The ready endpoints known by `name` (several addresses may share a hostname); empty if none. */
  named(name: string): readonly ReadyEndpoint[] {
    if (this.ready.length <= SCAN_LIMIT) {
      let found: ReadyEndpoint[] | undefined;
      for (const endpoint of this.ready) if (endpointLabel(endpoint) === name) (found ??= []).push(endpoint);
      return found ?? NONE;
    }
    if (!this.byName) {
      this.byName = new Map();
      for (const endpoint of this.ready) {
        const label = endpointLabel(endpoint);
        const sameName = this.byName.get(label);
        if (sameName) sameName.push(endpoint);
        else this.byName.set(label, [endpoint]);
      }
    }
    return this.byName.get(name) ?? NONE;
  }

  /** The ready endpoint with the address `key` (an ipKey), if this service has one. */
  endpointAt(key: string): ReadyEndpoint | undefined {
    return this.ready.find((endpoint) => ipKey(endpoint.ip) === key);
  }
}

/** Up to this many endpoints, a look-up by name scans them rather than keep a map. */
const SCAN_LIMIT = 16;
const NONE: readonly never[] = Object.freeze([]);

/** What a reverse (PTR) look-up of one address finds. */
export interface ReverseEntry {
  /** A service whose cluster IP this is: the PTR names the service. */
  clusterIpOf?: ServiceEntry;
  /** Otherwise: every ready endpoint with this address (of as many services), one PTR each. */
  endpointOf: readonly EndpointOwner[];
}

export interface IndexCounts {
  namespaces: number;
  services: number;
  endpoints: number;
  pods: number;
}

/** Several owners of one address: rare (a shared endpoint IP), so kept apart from the single case. */
class ReverseSlot {
  /** Every service with this cluster IP, oldest first; the first is answered. */
  clusterIpOf: ServiceEntry[] = [];
  /** Every service with a ready endpoint at this address. */
  endpointOf: ServiceEntry[] = [];
}

/**
 * Who has one address. Nearly every address has a single owner, one service, stored as it is (a
 * slot with two arrays for each of 250 000 addresses cost more memory than everything else in the
 * index): the address is its cluster IP if its clusterIpKeys say so, else one of its endpoints.
 */
type ReverseOwners = ServiceEntry | ReverseSlot;

type Role = 'clusterIp' | 'endpoint';

export class ServiceIndex {
  /** The SOA serial: moves forward with every change. */
  version: number;
  /** Counts services added and removed (not changed): what a missing service's answers depend on. */
  membership = 0;
  private readonly services = new Map<string, ServiceEntry>();
  private readonly reverse = new Map<string, ReverseOwners>();
  private podsByIp = new Map<string, Pod[]>();
  private podCount = 0;
  /**
   * The ipKey()s of every address with a PTR, per family, in order, to find reverse empty
   * non-terminals. A B+ tree, so that one key in or out costs microseconds whatever the table's
   * size: splicing one into, and one out of, a sorted array of 266 000 keys took 110-150 us.
   */
  private reverseKeys: Record<IpFamily, SortedKeys> = { 4: sortedKeys([]), 6: sortedKeys([]) };
  /** Reverse keys added or dropped inside batch(), placed in the trees when it ends. */
  private pendingKeys: string[] | undefined;
  /** Namespaces the registries list, and how many services each namespace holds. */
  private listedNamespaces = new Set<string>();
  private readonly servicesPerNamespace = new Map<string, number>();
  private namespaceSet: Set<string> | undefined;
  private endpointCount = 0;

  constructor(version: number) {
    this.version = version;
  }

  /** Every namespace that exists: listed by a registry, or holding a service or pod. */
  get namespaces(): ReadonlySet<string> {
    if (!this.namespaceSet) {
      const all = new Set(this.listedNamespaces);
      for (const namespace of this.servicesPerNamespace.keys()) all.add(namespace);
      for (const pods of this.podsByIp.values()) for (const pod of pods) all.add(pod.namespace);
      this.namespaceSet = all;
    }
    return this.namespaceSet;
  }

  get counts(): IndexCounts {
    return {
      namespaces: this.namespaces.size,
      services: this.services.size,
      endpoints: this.endpointCount,
      pods: this.podCount,
    };
  }

  service(namespace: string, name: string): ServiceEntry | undefined {
    return this.services.get(serviceKey(namespace, name));
  }

  /** The ServiceImport `namespace/name`, served in multicluster zones only. */
  imported(namespace: string, name: string): ServiceEntry | undefined {
    return this.services.get(importKey(namespace, name));
  }

  allServices(): IterableIterator<ServiceEntry> {
    return this.services.values();
  }

  /** What the address (an ipKey) reverses to, or undefined when nothing has it. */
  reverseOf(key: string): ReverseEntry | undefined {
    const owners = this.reverse.get(key);
    if (!owners) return undefined;
    const endpointOf = (services: readonly ServiceEntry[]) =>
      services.map((service) => ({ service, endpoint: service.endpointAt(key)! }));
    if (owners instanceof ReverseSlot) {
      // A Service's cluster IP names it before any import's clusterset IP (MCS DNS spec §2.3.3).
      const clusterIpOf = owners.clusterIpOf.find((e) => !e.service.imported) ?? owners.clusterIpOf[0];
      return { clusterIpOf, endpointOf: endpointOf(owners.endpointOf) };
    }
    if (owners.clusterIpKeys.includes(key)) return { clusterIpOf: owners, endpointOf: [] };
    return { endpointOf: endpointOf([owners]) };
  }

  /** Whether some address with a PTR record has a key starting with `prefix` (a reverse ENT). */
  hasReverseBelow(family: IpFamily, prefix: string): boolean {
    const next = this.reverseKeys[family].getPairOrNextHigher(prefix);
    return next !== undefined && next[0].startsWith(prefix);
  }

  podsWithIp(ip: string): Pod[] {
    return this.podsByIp.get(ipKey(ip)) ?? [];
  }

  // ---- updates, applied by the table ----

  /**
   * Runs `update` (a series of setService calls) and then brings the ordered reverse keys up to
   * date once: a few keys go in or out one by one, many (a first load) mean one sort and a bulk
   * load, several times faster than 250 000 insertions.
   */
  batch(update: () => void): void {
    if (this.pendingKeys) {
      update();
      return;
    }
    this.pendingKeys = [];
    try {
      update();
    } finally {
      const pending = this.pendingKeys;
      this.pendingKeys = undefined;
      if (pending.length > BULK_LIMIT) this.loadReverseKeys();
      else for (const key of new Set(pending)) this.placeReverseKey(key);
    }
  }

  /** Puts `backend`'s `service` under its key (replacing what was there), or removes the key. */
  setService(key: string, service: Service | undefined, backend = ''): void {
    const old = this.services.get(key);
    if (old?.service === service && old?.backend === backend) return;
    if (old) this.unindex(key, old);
    if (service) this.index(key, ...buildEntry(service, backend));
    if (!old !== !service) this.membership++;
    this.namespaceSet = undefined;
  }

  setListedNamespaces(namespaces: Iterable<string>): void {
    this.listedNamespaces = new Set(namespaces);
    this.namespaceSet = undefined;
  }

  setPods(pods: readonly Pod[]): void {
    const byIp = new Map<string, Pod[]>();
    for (const pod of pods) {
      for (const ip of pod.ips) {
        const key = ipKey(ip);
        const list = byIp.get(key);
        if (list) list.push(pod);
        else byIp.set(key, [pod]);
      }
    }
    this.podsByIp = byIp;
    this.podCount = pods.length;
    this.namespaceSet = undefined;
  }

  /** Indexes `entry` under `key`; `endpointKeys` are the ipKey()s of its ready endpoints, in order. */
  private index(key: string, entry: ServiceEntry, endpointKeys: readonly string[]): void {
    this.services.set(key, entry);
    const { namespace } = entry.service;
    this.servicesPerNamespace.set(namespace, (this.servicesPerNamespace.get(namespace) ?? 0) + 1);
    this.endpointCount += entry.ready.length;
    for (const key of entry.clusterIpKeys) this.addOwner(key, entry, 'clusterIp');
    for (const endpointKey of endpointKeys) this.addOwner(endpointKey, entry, 'endpoint');
  }

  private unindex(key: string, entry: ServiceEntry): void {
    this.services.delete(key);
    entry.retired = true;
    const { namespace } = entry.service;
    const left = (this.servicesPerNamespace.get(namespace) ?? 1) - 1;
    if (left > 0) this.servicesPerNamespace.set(namespace, left);
    else this.servicesPerNamespace.delete(namespace);
    this.endpointCount -= entry.ready.length;
    for (const key of entry.clusterIpKeys) this.dropOwner(key, entry);
    for (const endpoint of entry.ready) this.dropOwner(ipKey(endpoint.ip), entry);
  }

  private addOwner(key: string, owner: ServiceEntry, role: Role): void {
    const owners = this.reverse.get(key);
    if (!owners) {
      this.reverse.set(key, owner);
      this.reverseKeyChanged(key);
      return;
    }
    const slot = owners instanceof ReverseSlot ? owners : toSlot(owners, key);
    slot[role === 'clusterIp' ? 'clusterIpOf' : 'endpointOf'].push(owner);
    this.reverse.set(key, slot);
  }

  /** Takes every ownership of `key` by `entry` away (it may hold it twice: cluster IP and endpoint). */
  private dropOwner(key: string, entry: ServiceEntry): void {
    const owners = this.reverse.get(key);
    if (!owners) return;
    let left: ReverseOwners | undefined;
    if (owners instanceof ReverseSlot) {
      const clusterIpOf = owners.clusterIpOf.filter((e) => e !== entry);
      const endpointOf = owners.endpointOf.filter((e) => e !== entry);
      const count = clusterIpOf.length + endpointOf.length;
      if (count === owners.clusterIpOf.length + owners.endpointOf.length) left = owners;
      // One owner left has one role, the one its keys say: it stands alone.
      else if (count === 1) left = clusterIpOf[0] ?? endpointOf[0];
      else if (count > 1) left = Object.assign(new ReverseSlot(), { clusterIpOf, endpointOf });
    } else if (owners !== entry) {
      left = owners;
    }
    if (left === owners) return;
    if (left) {
      this.reverse.set(key, left);
      return;
    }
    this.reverse.delete(key);
    this.reverseKeyChanged(key);
  }

  /** A reverse key appeared or went: place it now, or when the batch ends. */
  private reverseKeyChanged(key: string): void {
    if (this.pendingKeys) this.pendingKeys.push(key);
    else this.placeReverseKey(key);
  }

  /** Puts `key` into, or takes it out of, its tree, as the reverse map now says. */
  private placeReverseKey(key: string): void {
    const keys = this.reverseKeys[familyOfKey(key)];
    if (this.reverse.has(key)) keys.set(key, undefined);
    else keys.delete(key);
  }

  private loadReverseKeys(): void {
    const keys: Record<IpFamily, string[]> = { 4: [], 6: [] };
    for (const key of this.reverse.keys()) keys[familyOfKey(key)].push(key);
    this.reverseKeys = { 4: sortedKeys(keys[4].sort()), 6: sortedKeys(keys[6].sort()) };
  }
}

/** A slot holding the single owner of `key`, in the role its keys give it. */
function toSlot(owner: ServiceEntry, key: string): ReverseSlot {
  const slot = new ReverseSlot();
  if (owner.clusterIpKeys.includes(key)) slot.clusterIpOf.push(owner);
  else slot.endpointOf.push(owner);
  return slot;
}

/** Beyond this many reverse keys changed in one batch, one sort and bulk load beat inserting each. */
const BULK_LIMIT = 1024;

/** A B+ tree of strings (sorted-btree's BTree, typed through the function that makes it). */
type SortedKeys = ReturnType<typeof bulkLoad<string, undefined>>;

/** A B+ tree of the distinct, sorted `keys`. */
function sortedKeys(keys: string[]): SortedKeys {
  return bulkLoad(keys, new Array<undefined>(keys.length).fill(undefined), 64, compareKeys);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * The key of a ServiceImport: beside, never over, a Service of the same name (a cluster may export
 * a service and import it back). `+` cannot start a namespace, so the two never meet.
 */
export function importKey(namespace: string, name: string): string {
  return `+${namespace}/${name}`;
}

export function isImportKey(key: string): boolean {
  return key.startsWith('+');
}

/** The table's key of a service or an import. */
export function keyOf(service: Pick<Service, 'namespace' | 'name' | 'imported'>): string {
  return service.imported
    ? importKey(service.namespace, service.name)
    : serviceKey(service.namespace, service.name);
}

function familyOfKey(key: string): IpFamily {
  return key.length === 8 ? 4 : 6;
}

/** The index entry of `service`, and the ipKey()s of its ready endpoints (in order), to index it by. */
function buildEntry(service: Service, backend: string): [ServiceEntry, string[]] {
  const ready: ReadyEndpoint[] = [];
  const keys: string[] = [];
  /** Whether `ready` is every endpoint, each the registry's own object, in order. */
  let asGiven = true;
  /** The keys as a set, once there are too many to scan: each address is served once. */
  let seen: Set<string> | undefined;
  if (service.type !== 'ExternalName') {
    for (const endpoint of service.endpoints) {
      const family = ipFamily(endpoint.ip);
      if (!endpoint.ready || !family) {
        asGiven = false;
        continue;
      }
      const ip = family === 6 ? normalizeIp(endpoint.ip) : endpoint.ip;
      const key = ipKey(ip);
      if (seen ? seen.has(key) : keys.includes(key)) {
        asGiven = false;
        continue;
      }
      const own = ip === endpoint.ip;
      if (!own) asGiven = false;
      ready.push(own ? endpoint : { ...endpoint, ip });
      keys.push(key);
      if (seen) seen.add(key);
      else if (keys.length > SCAN_LIMIT) seen = new Set(keys);
    }
  }
  // Every endpoint as the registry gave it: its own array. Else a copy, which (unlike an array
  // grown by push, which keeps room for more) is exactly as long as its content.
  const entry = new ServiceEntry(
    service,
    backend,
    ready.length === 0 ? NONE : asGiven ? service.endpoints : ready.slice(),
    service.clusterIPs.length === 0 ? NONE : service.clusterIPs.map(ipKey),
  );
  return [entry, keys];
}
