// The service table: the current snapshot, rebuilt from every backend's latest content whenever one
// of them changes, and swapped in one assignment so a query sees the old table or the new one.
import { Snapshot } from './snapshot.js';
import { emptyContent, type TableContent } from './types.js';

export type TableListener = (snapshot: Snapshot, previous: Snapshot) => void;

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
 * has gone longer than its allowance without a successful sync (SERVFAIL for everything).
 */
export type ServingState = 'ready' | 'unsynced' | 'stale';

interface BackendSync {
  synced: boolean;
  lastSyncAt: number;
  maxStaleMs: number;
}

export class ServiceTable {
  private readonly contents = new Map<string, TableContent>();
  private snapshot: Snapshot;
  private readonly listeners = new Set<TableListener>();
  private readonly syncs = new Map<string, BackendSync>();
  private readonly conflictListeners = new Set<ConflictListener>();
  private reportedConflicts = new Set<string>();

  constructor(private readonly clock: () => number = Date.now) {
    this.snapshot = new Snapshot(this.nextVersion(0), { namespaces: [], services: [], pods: [] });
  }

  get current(): Snapshot {
    return this.snapshot;
  }

  /** Replace what `backend` contributes. Backends registered earlier win on a duplicate service. */
  setContent(backend: string, content: TableContent): Snapshot {
    this.contents.set(backend, content);
    const merged: TableContent = { namespaces: [], services: [], pods: [] };
    // Loops, not push(...spread): a spread of 100 000 services overflows the call stack.
    for (const part of this.contents.values()) {
      for (const namespace of part.namespaces) merged.namespaces.push(namespace);
      for (const service of part.services) merged.services.push(service);
      for (const pod of part.pods) merged.pods.push(pod);
    }
    if (this.contents.size > 1) this.findConflicts();
    const previous = this.snapshot;
    this.snapshot = new Snapshot(this.nextVersion(previous.version), merged, previous);
    for (const listener of this.listeners) listener(this.snapshot, previous);
    return this.snapshot;
  }

  /**
   * Fixes a backend's place in the merge before it delivers anything: views merge in the order
   * backends were reserved, so the configured priority holds however their first syncs race.
   */
  reserve(backend: string): void {
    if (!this.contents.has(backend)) this.contents.set(backend, emptyContent());
  }

  /** Declare a backend that must sync before its names are trusted; Infinity never goes stale. */
  expectBackend(backend: string, maxStaleMs = Infinity): void {
    this.syncs.set(backend, { synced: false, lastSyncAt: 0, maxStaleMs });
  }

  /** A backend reached its registry and holds current content (a list, a watch event, a bookmark). */
  markSynced(backend: string): void {
    const sync = this.syncs.get(backend);
    if (!sync) return;
    sync.synced = true;
    sync.lastSyncAt = this.clock();
  }

  get servingState(): ServingState {
    let state: ServingState = 'ready';
    for (const sync of this.syncs.values()) {
      if (!sync.synced) return 'unsynced';
      if (this.clock() - sync.lastSyncAt > sync.maxStaleMs) state = 'stale';
    }
    return state;
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

  /** Services defined by more than one backend, each reported once while it lasts. */
  private findConflicts(): void {
    const owner = new Map<string, string>();
    const current = new Set<string>();
    for (const [backend, part] of this.contents) {
      for (const service of part.services) {
        const key = `${service.namespace}/${service.name}`;
        const winner = owner.get(key);
        if (winner === undefined) {
          owner.set(key, backend);
          continue;
        }
        if (winner === backend) continue;
        const conflict = `${key} ${winner} ${backend}`;
        current.add(conflict);
        if (this.reportedConflicts.has(conflict)) continue;
        for (const listener of this.conflictListeners)
          listener({ service: key, served: winner, ignored: backend });
      }
    }
    this.reportedConflicts = current;
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
