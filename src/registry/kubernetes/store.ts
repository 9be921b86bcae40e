// The converted objects of one kind, keyed by namespace/name. An object that fails validation is
// logged once per distinct problem and, if an earlier version was good, that version stays served:
// one bad edit must not take a working name out of DNS.

import type { Logger } from 'pino';
import { keyOf } from '../../table/service-index.js';
import type { ClusterObject } from '../model.js';
import { describe, isRecord } from '../fields.js';
import type { WatchedKind } from './kinds.js';
import { isImportedSlice } from './endpointslice.js';
import { sliceKey } from './join.js';
import { convertKubernetesDocument } from './objects.js';

interface Stored {
  object: ClusterObject;
  /** Equal fingerprints mean DNS sees no difference (a pod's status conditions changing, say). */
  fingerprint: string;
}

export class ObjectStore {
  private readonly objects = new Map<string, Stored>();
  /** The last problem logged per rejected key, so a relist does not repeat it. */
  private rejected = new Map<string, string>();
  /** Store keys of the objects feeding each service ("namespace/name"): its Service and its slices. */
  private readonly byService = new Map<string, Set<string>>();
  /** Services whose objects changed since the last drainTouched(). */
  private touched = new Set<string>();
  private changedSinceDrain = false;

  constructor(
    private readonly kind: WatchedKind,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.objects.size;
  }

  values(): ClusterObject[] {
    return [...this.objects.values()].map((s) => s.object);
  }

  /** The objects of this kind that feed the service keyed `key` ("namespace/name"). */
  forService(key: string): ClusterObject[] {
    const keys = this.byService.get(key);
    if (!keys) return [];
    return [...keys].map((key) => this.objects.get(key)!.object);
  }

  /**
   * What changed since the last call: the services whose objects changed, and whether anything
   * did (namespaces and pods feed no single service).
   */
  drainTouched(): { services: Set<string>; changed: boolean } {
    const drained = { services: this.touched, changed: this.changedSinceDrain };
    this.touched = new Set();
    this.changedSinceDrain = false;
    return drained;
  }

  /** An ADDED or MODIFIED object. True when what DNS sees changed. */
  upsert(raw: unknown): boolean {
    const key = this.keyOf(raw);
    if (key === undefined) return false;
    return this.put(key, this.convert(raw, key, this.objects.get(key)));
  }

  /** A DELETED object. */
  remove(raw: unknown): boolean {
    const key = this.keyOf(raw);
    if (key === undefined) return false;
    this.rejected.delete(key);
    return this.put(key, undefined);
  }

  /** A full list: everything not in it is gone. True when what DNS sees changed. */
  replace(items: readonly unknown[]): boolean {
    const seen = new Set<string>();
    let changed = false;
    for (const raw of items) {
      const key = this.keyOf(raw);
      if (key === undefined) continue;
      seen.add(key);
      if (this.put(key, this.convert(raw, key, this.objects.get(key)))) changed = true;
    }
    for (const key of [...this.objects.keys()])
      if (!seen.has(key) && this.put(key, undefined)) changed = true;
    for (const key of this.rejected.keys()) if (!seen.has(key)) this.rejected.delete(key);
    return changed;
  }

  /** Stores `next` under `key` (or removes it); true, and the services it feeds noted, if DNS sees a change. */
  private put(key: string, next: Stored | undefined): boolean {
    const before = this.objects.get(key);
    if (before?.fingerprint === next?.fingerprint) {
      if (next) this.objects.set(key, { ...next, object: before!.object }); // keep identity: nothing changed
      return false;
    }
    if (before) this.unlink(key, before.object);
    if (next) {
      this.objects.set(key, next);
      this.link(key, next.object);
    } else {
      this.objects.delete(key);
    }
    this.changedSinceDrain = true;
    return true;
  }

  private link(key: string, object: ClusterObject): void {
    const service = serviceKeyOf(object);
    if (service === undefined) return;
    this.touched.add(service);
    let keys = this.byService.get(service);
    if (!keys) this.byService.set(service, (keys = new Set()));
    keys.add(key);
  }

  private unlink(key: string, object: ClusterObject): void {
    const service = serviceKeyOf(object);
    if (service === undefined) return;
    this.touched.add(service);
    const keys = this.byService.get(service);
    keys?.delete(key);
    if (keys?.size === 0) this.byService.delete(service);
  }

  /** The stored form of `raw`: converted, the previous good version if it is invalid, or nothing. */
  private convert(raw: unknown, key: string, previous: Stored | undefined): Stored | undefined {
    // The other watch of EndpointSlices holds it (this cluster's own slices versus imported ones):
    // not even its problems are this store's.
    if (this.kind.kind === 'EndpointSlice' && isImportedSlice(raw) !== !!this.kind.imported) return undefined;
    // List items come without apiVersion and kind; watch events carry them.
    const doc = isRecord(raw) ? { apiVersion: this.kind.apiVersion, kind: this.kind.kind, ...raw } : raw;
    const where = `${this.kind.kind} ${key}`;
    const { objects, skipped, problems } = convertKubernetesDocument(doc, where);
    const [problem] = problems;
    if (problem) {
      if (this.rejected.get(key) !== problem.problem) {
        this.rejected.set(key, problem.problem);
        this.logger.warn(
          { object: problem.object, problem: problem.problem },
          previous
            ? 'Kubernetes object rejected; its last good version keeps serving'
            : 'Kubernetes object rejected; it is not served until fixed',
        );
      }
      return previous;
    }
    this.rejected.delete(key);
    const [object] = objects;
    if (!object) {
      for (const s of skipped)
        this.logger.debug({ object: s.object, reason: s.reason }, 'Kubernetes object skipped');
      return undefined;
    }
    return { object, fingerprint: JSON.stringify(object) };
  }

  /** namespace/name, or name for cluster-scoped kinds; undefined (and a log line naming it) if unnamed. */
  private keyOf(raw: unknown): string | undefined {
    const metadata = isRecord(raw) ? raw.metadata : undefined;
    const name = isRecord(metadata) ? metadata.name : undefined;
    const namespace = isRecord(metadata) ? metadata.namespace : undefined;
    if (typeof name === 'string' && name !== '') {
      if (!this.kind.namespaced) return name;
      return `${typeof namespace === 'string' ? namespace : ''}/${name}`;
    }
    // Without a name there is no key to store it under, nor a previous version to keep serving.
    const problem = !isRecord(raw)
      ? `expected an object (a mapping), got ${describe(raw)}`
      : !isRecord(metadata)
        ? `metadata: expected a mapping, got ${describe(metadata)}`
        : `metadata.name: expected a non-empty string, got ${describe(name)}`;
    const where = this.kind.namespaced && typeof namespace === 'string' ? `${namespace}/` : '';
    const shown = name === undefined || name === null ? '(no name)' : describe(name);
    this.logger.warn(
      { object: `${this.kind.kind} ${where}${shown}`, problem },
      'Kubernetes object rejected; it is not served until fixed',
    );
    return undefined;
  }
}

/** The service an object feeds (the table's key for it): a Service its own, a slice the one it is labelled for. */
function serviceKeyOf(object: ClusterObject): string | undefined {
  if (object.kind === 'Service') return keyOf(object.service);
  if (object.kind === 'EndpointSlice') return sliceKey(object);
  return undefined;
}
