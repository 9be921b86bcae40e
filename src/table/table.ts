// The service table: the current snapshot, rebuilt from every backend's latest content whenever one
// of them changes, and swapped in one assignment so a query sees the old table or the new one.
import { Snapshot } from './snapshot.js';
import { emptyContent, type TableContent } from './types.js';

export type TableListener = (snapshot: Snapshot, previous: Snapshot) => void;

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
    for (const part of this.contents.values()) {
      merged.namespaces.push(...part.namespaces);
      merged.services.push(...part.services);
      merged.pods.push(...part.pods);
    }
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
