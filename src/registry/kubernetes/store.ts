// The converted objects of one kind, keyed by namespace/name. An object that fails validation is
// logged once per distinct problem and, if an earlier version was good, that version stays served:
// one bad edit must not take a working name out of DNS.

import type { Logger } from 'pino';
import type { ClusterObject } from '../model.js';
import { isRecord } from '../fields.js';
import type { WatchedKind } from './kinds.js';
import { convertKubernetesDocument } from './objects.js';

interface Stored {
  object: ClusterObject;
  /** Equal fingerprints mean DNS sees no difference (a pod's status conditions changing, say). */
  fingerprint: string;
}

export class ObjectStore {
  private objects = new Map<string, Stored>();
  /** The last problem logged per rejected key, so a relist does not repeat it. */
  private rejected = new Map<string, string>();

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

  /** An ADDED or MODIFIED object. True when what DNS sees changed. */
  upsert(raw: unknown): boolean {
    const key = this.keyOf(raw);
    if (key === undefined) return false;
    const next = this.convert(raw, key, this.objects.get(key));
    return this.put(this.objects, key, next);
  }

  /** A DELETED object. */
  remove(raw: unknown): boolean {
    const key = this.keyOf(raw);
    if (key === undefined) return false;
    this.rejected.delete(key);
    return this.objects.delete(key);
  }

  /** A full list: everything not in it is gone. True when what DNS sees changed. */
  replace(items: readonly unknown[]): boolean {
    const fresh = new Map<string, Stored>();
    const seen = new Set<string>();
    for (const raw of items) {
      const key = this.keyOf(raw);
      if (key === undefined) continue;
      seen.add(key);
      this.put(fresh, key, this.convert(raw, key, this.objects.get(key)));
    }
    for (const key of this.rejected.keys()) if (!seen.has(key)) this.rejected.delete(key);
    const changed =
      fresh.size !== this.objects.size ||
      [...fresh].some(([key, s]) => this.objects.get(key)?.fingerprint !== s.fingerprint);
    this.objects = fresh;
    return changed;
  }

  private put(into: Map<string, Stored>, key: string, next: Stored | undefined): boolean {
    const before = into.get(key);
    if (next === undefined) return into.delete(key);
    into.set(key, next);
    return before?.fingerprint !== next.fingerprint;
  }

  /** The stored form of `raw`: converted, the previous good version if it is invalid, or nothing. */
  private convert(raw: unknown, key: string, previous: Stored | undefined): Stored | undefined {
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

  /** namespace/name, or name for cluster-scoped kinds; undefined (and a log line) if unnamed. */
  private keyOf(raw: unknown): string | undefined {
    const metadata = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : {};
    const { name, namespace } = metadata;
    if (typeof name !== 'string' || name === '') {
      this.logger.warn({ resource: this.kind.name }, 'Kubernetes object without metadata.name skipped');
      return undefined;
    }
    if (!this.kind.namespaced) return name;
    return `${typeof namespace === 'string' ? namespace : ''}/${name}`;
  }
}
