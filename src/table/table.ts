// The service table: every backend's latest view, merged in priority order into one ServiceIndex.
// A backend hands over its whole view; the table finds the services that changed (by identity:
// backends hand back the very same Service object for an unchanged service) and updates only
// those in the index, in one synchronous step, so a query sees the table before or after a change.
import { ServiceIndex, keyOf } from './service-index.js';
import type { Pod, Service, TableContent } from './types.js';

export type TableListener = (index: ServiceIndex) => void;
/** Two backends define one service: `served`'s definition is served, `ignored`'s is not. */
export interface Conflict {
  service: string;
  served: string;
  ignored: string;
}
export type ConflictListener = (conflict: Conflict) => void;

/**
 * Whether the table can be trusted for negative answers: `unsynced` until every backend has synced
 * once (a missing name may just not have arrived: SERVFAIL, never NXDOMAIN), `stale` when a backend
 * has gone longer than its allowance without a successful sync (SERVFAIL for its names, and for any
 * name not found, which may be one of them).
 */
export type ServingState = 'ready' | 'unsynced' | 'stale';

interface BackendSync {
  synced: boolean;
  lastSyncAt: number;
  maxStaleMs: number;
}

/** One backend's view, keyed for diffing. */
interface BackendView {
  namespaces: readonly string[];
  services: Map<string, Service>;
  pods: readonly Pod[];
}

/** What changed in one backend's view: the same shape backends deliver (see registry/backend.ts). */
export interface ViewChanges {
  services: Map<string, Service | undefined>;
  namespaces?: string[];
  pods?: Pod[];
}

/**
 * One step of the table's history, enough for another table to take the same step: what the
 * answering processes of `--workers` receive (see workers/). `changes` carries the version the
 * step gave, so both tables serve the same SOA serial.
 */
export type TableOp =
  | { op: 'reserve'; backend: string }
  | { op: 'expect'; backend: string; maxStaleMs: number }
  | { op: 'synced'; backend: string; at: number }
  | { op: 'changes'; backend: string; changes: ViewChanges; version: number };

export type TableFollower = (op: TableOp) => void;

export class ServiceTable {
  private readonly views = new Map<string, BackendView>();
  private readonly index: ServiceIndex;
  private readonly listeners = new Set<TableListener>();
  private readonly syncs = new Map<string, BackendSync>();
  private readonly conflictListeners = new Set<ConflictListener>();
  /** Per service key, the `served ignored` backend pairs already reported. */
  private readonly reportedConflicts = new Map<string, Set<string>>();
  private readonly followers = new Set<TableFollower>();

  constructor(private readonly clock: () => number = Date.now) {
    this.index = new ServiceIndex(this.nextVersion(0));
  }

  get current(): ServiceIndex {
    return this.index;
  }

  /** Replace what `backend` contributes. Backends reserved earlier win on a duplicate service. */
  setContent(backend: string, content: TableContent): ServiceIndex {
    const before = this.views.get(backend);
    const services = new Map<string, Service>();
    for (const service of content.services) {
      const key = keyOf(service);
      if (!services.has(key)) services.set(key, service); // the first definition wins; the backend warned
    }
    const changed = new Map<string, Service | undefined>();
    for (const [key, service] of services)
      if (before?.services.get(key) !== service) changed.set(key, service);
    for (const key of before?.services.keys() ?? []) if (!services.has(key)) changed.set(key, undefined);
    const view: BackendView = { namespaces: content.namespaces, services, pods: content.pods };
    this.views.set(backend, view);
    const namespaces = !before || !sameItems(before.namespaces, content.namespaces);
    const pods = !before || !sameItems(before.pods, content.pods);
    return this.applyToIndex(backend, {
      services: changed,
      ...(namespaces ? { namespaces: content.namespaces } : {}),
      ...(pods ? { pods: content.pods } : {}),
    });
  }

  /** Apply what changed in `backend`'s view since its last delivery. */
  applyChanges(backend: string, changes: ViewChanges): ServiceIndex {
    let view = this.views.get(backend);
    if (!view) this.views.set(backend, (view = { namespaces: [], services: new Map(), pods: [] }));
    for (const [key, service] of changes.services) {
      if (service) view.services.set(key, service);
      else view.services.delete(key);
    }
    if (changes.namespaces) view.namespaces = changes.namespaces;
    if (changes.pods) view.pods = changes.pods;
    return this.applyToIndex(backend, changes);
  }

  /** Brings the index up to date with a change already in `backend`'s view, and tells followers. */
  private applyToIndex(backend: string, changes: ViewChanges): ServiceIndex {
    const index = this.apply(backend, changes.services, {
      namespaces: changes.namespaces !== undefined,
      pods: changes.pods !== undefined,
    });
    if (this.followers.size > 0) this.tell({ op: 'changes', backend, changes, version: index.version });
    return index;
  }

  /**
   * Calls `follower` with every step this table takes from now on, synchronously, in order; with
   * replay() first, another table can be kept equal to this one (see take()).
   */
  follow(follower: TableFollower): () => void {
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  /** The steps that bring an empty table to this one's state: backends in order, syncs, views. */
  replay(): TableOp[] {
    const ops: TableOp[] = [];
    for (const backend of this.views.keys()) ops.push({ op: 'reserve', backend });
    for (const [backend, sync] of this.syncs) {
      ops.push({ op: 'expect', backend, maxStaleMs: sync.maxStaleMs });
      if (sync.synced) ops.push({ op: 'synced', backend, at: sync.lastSyncAt });
    }
    for (const [backend, view] of this.views) {
      const services = new Map<string, Service | undefined>(view.services);
      const changes = { services, namespaces: [...view.namespaces], pods: [...view.pods] };
      ops.push({ op: 'changes', backend, changes, version: this.index.version });
    }
    return ops;
  }

  /** Takes a step another table took (from its follow() or replay()). */
  take(step: TableOp): void {
    switch (step.op) {
      case 'reserve':
        return this.reserve(step.backend);
      case 'expect':
        return this.expectBackend(step.backend, step.maxStaleMs);
      case 'synced':
        return this.markSynced(step.backend, step.at);
      case 'changes':
        this.applyChanges(step.backend, step.changes);
        this.index.version = step.version;
    }
  }

  private tell(step: TableOp): void {
    for (const follower of this.followers) follower(step);
  }

  /** Brings the index up to date with the views for the keys and lists that changed. */
  private apply(
    _backend: string,
    changed: Map<string, Service | undefined>,
    lists: { namespaces: boolean; pods: boolean },
  ): ServiceIndex {
    this.index.batch(() => {
      for (const key of changed.keys()) {
        const [backend, service] = this.winner(key) ?? [];
        this.index.setService(key, service, backend);
      }
    });
    if (lists.namespaces) {
      this.index.setListedNamespaces([...this.views.values()].flatMap((view) => view.namespaces));
    }
    if (lists.pods) {
      const pods: Pod[] = [];
      for (const view of this.views.values()) for (const pod of view.pods) pods.push(pod);
      this.index.setPods(pods);
    }
    if (this.views.size > 1 && changed.size > 0) this.findConflicts(changed.keys());
    this.index.version = this.nextVersion(this.index.version);
    for (const listener of this.listeners) listener(this.index);
    return this.index;
  }

  /** How much one backend contributes, for metrics; walks its view, so read it at scrape time. */
  viewSize(backend: string): { services: number; endpoints: number; pods: number } {
    const view = this.views.get(backend);
    let endpoints = 0;
    for (const service of view?.services.values() ?? []) endpoints += service.endpoints.length;
    return { services: view?.services.size ?? 0, endpoints, pods: view?.pods.length ?? 0 };
  }

  /**
   * Fixes a backend's place in the merge before it delivers anything: views merge in the order
   * backends were reserved, so the configured priority holds however their first syncs race.
   */
  reserve(backend: string): void {
    if (!this.views.has(backend)) this.views.set(backend, { namespaces: [], services: new Map(), pods: [] });
    this.tell({ op: 'reserve', backend });
  }

  /** The definition served for `key`: the first backend's in priority order, with its name. */
  private winner(key: string): [string, Service] | undefined {
    for (const [backend, view] of this.views) {
      const service = view.services.get(key);
      if (service) return [backend, service];
    }
    return undefined;
  }

  /** Declare a backend that must sync before its names are trusted; Infinity never goes stale. */
  expectBackend(backend: string, maxStaleMs = Infinity): void {
    this.syncs.set(backend, { synced: false, lastSyncAt: 0, maxStaleMs });
    this.tell({ op: 'expect', backend, maxStaleMs });
  }

  /**
   * A backend reached its registry and holds current content (a list, a watch event, a bookmark),
   * at `at` (now, unless a step of another table is being taken).
   */
  markSynced(backend: string, at = this.clock()): void {
    const sync = this.syncs.get(backend);
    if (!sync) return;
    sync.synced = true;
    sync.lastSyncAt = at;
    this.tell({ op: 'synced', backend, at });
  }

  get servingState(): ServingState {
    let state: ServingState = 'ready';
    for (const sync of this.syncs.values()) {
      if (!sync.synced) return 'unsynced';
      if (this.clock() - sync.lastSyncAt > sync.maxStaleMs) state = 'stale';
    }
    return state;
  }

  /** Whether `backend` has gone longer than its allowance without vouching for its view. */
  isStale(backend: string): boolean {
    const sync = this.syncs.get(backend);
    return !!sync && sync.synced && this.clock() - sync.lastSyncAt > sync.maxStaleMs;
  }

  /** Backends not serving current data, by name, for readiness reports. */
  notReady(): string[] {
    const now = this.clock();
    return [...this.syncs.entries()]
      .filter(([, sync]) => !sync.synced || now - sync.lastSyncAt > sync.maxStaleMs)
      .map(([name]) => name);
  }

  /** Called once per service that two backends define (the first in priority order is served). */
  onConflict(listener: ConflictListener): () => void {
    this.conflictListeners.add(listener);
    return () => this.conflictListeners.delete(listener);
  }

  /** Changed services now defined by more than one backend, each reported once while it lasts. */
  private findConflicts(changed: Iterable<string>): void {
    for (const key of changed) {
      const owners = [...this.views].filter(([, view]) => view.services.has(key)).map(([name]) => name);
      const [served, ...ignored] = owners;
      const now = new Set(ignored.map((other) => `${served} ${other}`));
      const before = this.reportedConflicts.get(key);
      for (const pair of now) {
        if (before?.has(pair)) continue;
        const [winner, other] = pair.split(' ') as [string, string];
        for (const listener of this.conflictListeners)
          listener({ service: key, served: winner, ignored: other });
      }
      if (now.size > 0) this.reportedConflicts.set(key, now);
      else this.reportedConflicts.delete(key);
    }
  }

  onChange(listener: TableListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The SOA serial: the Unix time of the change, as CoreDNS uses, but always moving forward even
   * when two changes land in the same second or the clock steps back (RFC 1982 serials must grow).
   */
  private nextVersion(previous: number): number {
    const now = Math.floor(this.clock() / 1000);
    return (now > previous ? now : previous + 1) >>> 0;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a === b || (a.length === b.length && a.every((item, i) => item === b[i]));
}
