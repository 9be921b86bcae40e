// The list+watch loop for one kind. List (paged) to get every object and a resourceVersion, then
// watch from it; a watch the server ends is resumed from the last resourceVersion seen, 410 Gone
// means the history we need is lost and the kind is relisted and replaced wholesale, and any
// other failure keeps the last good objects and retries with backoff. Failures are paced as a
// streak that only a healthy spell ends (backoff.ts), so no answer the server can give, repeated,
// turns into a stream of relists; and every line and page read is capped in bytes (bounded-read.ts).

import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { OversizedRead } from '../bounded-read.js';
import { describe, isRecord } from '../fields.js';
import { ApiError, type ApiClient, type Query } from './api-client.js';
import { DEFAULT_BACKOFF, type PacerOptions, RetryPacer, sleep } from './backoff.js';
import { type WatchedKind, pathIn } from './kinds.js';
import { LineSplitter } from './ndjson.js';
import { ObjectStore } from './store.js';

/** `absent`: an optional custom resource the API server does not have (404); checked again later. */
export type KindPhase = 'starting' | 'listing' | 'watching' | 'backoff' | 'absent' | 'stopped';

export interface KindStatus {
  phase: KindPhase;
  /** Listed at least once: its objects are known. */
  listed: boolean;
  objects: number;
  resourceVersion?: string;
  lastError?: string;
  /** ms since the epoch. */
  lastErrorAt?: number;
  consecutiveFailures: number;
}

export interface ReflectorOptions {
  kind: WatchedKind;
  /** List and watch only this namespace's objects (its own path); undefined: every namespace's. */
  namespace?: string;
  client: ApiClient;
  logger: Logger;
  labelSelector?: string;
  pageSize: number;
  backoff: PacerOptions;
  inactivityTimeoutMs: number;
  /** Largest watch event line read, in bytes. */
  maxLineBytes: number;
  signal: AbortSignal;
  /** The objects changed; `arrivedAt` (performance.now()) is when the data that changed them arrived. */
  onChange: (arrivedAt: number) => void;
  /** A list completed or a watch event or bookmark arrived: the kind is current. */
  onProgress: () => void;
  /** phase, listed or lastError changed. */
  onStatus: () => void;
  /** A line or page over its cap was dropped with its connection. */
  onOversizedRead?: () => void;
}

/** History lost: the only way back is a fresh list. */
class Gone extends Error {
  override name = 'Gone';
}

/** An optional kind's resource is not installed (its CRD is missing). */
class Absent extends Error {
  override name = 'Absent';
}

/** No byte arrived on a watch for too long: the connection is presumed dead. */
class Inactive extends Error {
  override name = 'Inactive';
}

/** The watch outlived the timeoutSeconds it asked for: the server should have ended it. */
class PastDeadline extends Error {
  override name = 'PastDeadline';
}

/** A stream that ends this soon without an event counts as a failure, so a broken server is not hammered. */
const SUSPICIOUS_STREAM_MS = 1000;
/** Expired continue tokens tolerated in a row before treating it as a failure. */
const LIST_RESTARTS = 3;
/** Grace past a watch's timeoutSeconds before the client ends it itself, as client-go's request timeout does. */
const WATCH_DEADLINE_GRACE_MS = 30_000;
/** A Retry-After is honoured up to this. */
const MAX_RETRY_AFTER_MS = 300_000;

export class Reflector {
  readonly store: ObjectStore;
  private currentPhase: KindPhase = 'starting';
  private listed = false;
  private resourceVersion?: string;
  private lastError?: string;
  private lastErrorAt?: number;
  /** The last list found the (optional) resource missing: said once until it is listed. */
  private wasAbsent = false;
  private readonly pacer: RetryPacer;
  private readonly log: Logger;
  /** The collection listed and watched. */
  private readonly path: string;

  constructor(private readonly opts: ReflectorOptions) {
    this.path = opts.namespace === undefined ? opts.kind.path : pathIn(opts.kind, opts.namespace);
    this.log = opts.logger.child({
      resource: opts.kind.name,
      ...(opts.namespace !== undefined && { namespace: opts.namespace }),
    });
    this.store = new ObjectStore(opts.kind, this.log);
    this.pacer = new RetryPacer(opts.backoff);
  }

  status(): KindStatus {
    return {
      phase: this.currentPhase,
      listed: this.listed,
      objects: this.store.size,
      resourceVersion: this.resourceVersion,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      consecutiveFailures: this.pacer.failures,
    };
  }

  get phase(): KindPhase {
    return this.currentPhase;
  }

  get isListed(): boolean {
    return this.listed;
  }

  /** Runs until the signal aborts; never rejects. */
  async run(): Promise<void> {
    const { signal } = this.opts;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        const { events, durationMs } = await this.watch();
        if (events === 0 && durationMs < SUSPICIOUS_STREAM_MS) {
          const wait = this.pacer.failed();
          this.log.debug(
            { retryInMs: wait },
            'watch ended at once without events; waiting before re-watching',
          );
          await sleep(wait, signal);
        }
      } catch (error) {
        if (signal.aborted) break;
        let wait: number;
        if (error instanceof Absent) {
          // Nothing of the kind exists until its CRD is installed; look again as slowly as a failing
          // server is retried, without counting a failure (it is a cluster's choice, not a fault).
          this.absent(error);
          needList = true;
          try {
            await sleep(this.opts.backoff.maxMs ?? DEFAULT_BACKOFF.maxMs, signal);
          } catch {
            break;
          }
          continue;
        }
        if (error instanceof Gone) {
          needList = true;
          // Relisting is the cure, so do it now; only a server that keeps answering 410 is paced.
          wait = this.pacer.failed({ promptFirst: true });
          this.log.info(
            { resourceVersion: this.resourceVersion, ...(wait > 0 && { retryInMs: wait }) },
            `${error.message}; relisting`,
          );
        } else {
          const retryAfter = error instanceof ApiError ? error.retryAfterMs : undefined;
          wait = this.pacer.failed({ atLeastMs: Math.min(retryAfter ?? 0, MAX_RETRY_AFTER_MS) });
          if (error instanceof OversizedRead) this.oversized(error, wait);
          else this.recordError(error, wait);
        }
        if (wait > 0) this.setPhase('backoff');
        try {
          await sleep(wait, signal);
        } catch {
          break;
        }
      }
    }
    this.setPhase('stopped');
  }

  /** Lists every page and replaces the store. All pages share the first page's resourceVersion. */
  private async list(): Promise<void> {
    this.setPhase('listing');
    const items: unknown[] = [];
    let resourceVersion: string | undefined;
    let next: string | undefined;
    let restarts = 0;
    for (;;) {
      let page: { items: unknown[]; resourceVersion: string; continue?: string };
      try {
        page = parseListPage(
          await this.opts.client.getJson(
            this.path,
            this.query({ limit: String(this.opts.pageSize), continue: next }),
            this.opts.signal,
          ),
          this.path,
        );
      } catch (error) {
        // The continue token outlived the server's snapshot: the pages so far cannot be completed.
        if (
          next !== undefined &&
          error instanceof ApiError &&
          error.status === 410 &&
          restarts < LIST_RESTARTS
        ) {
          restarts += 1;
          this.log.info('list continue token expired; restarting the list from the beginning');
          items.length = 0;
          next = resourceVersion = undefined;
          continue;
        }
        if (this.opts.kind.optional && error instanceof ApiError && error.status === 404) {
          throw new Absent(error.message);
        }
        throw error;
      }
      resourceVersion ??= page.resourceVersion;
      items.push(...page.items);
      if (!page.continue) break;
      next = page.continue;
    }

    const arrivedAt = performance.now();
    const changed = this.store.replace(items);
    this.resourceVersion = resourceVersion;
    this.wasAbsent = false;
    const first = !this.listed;
    this.listed = true;
    this.succeeded();
    this.log[first ? 'info' : 'debug'](
      { objects: this.store.size, resourceVersion },
      'Kubernetes objects listed',
    );
    this.opts.onProgress();
    if (changed || first) this.opts.onChange(arrivedAt);
  }

  /**
   * One watch request, read until the server ends it. Resolves on a normal end; rejects with Gone,
   * Inactive, an ApiError, or a parse error.
   */
  private async watch(): Promise<{ events: number; durationMs: number }> {
    const started = performance.now();
    const controller = new AbortController();
    const stop = () => controller.abort(this.opts.signal.reason);
    this.opts.signal.addEventListener('abort', stop, { once: true });
    // Covers the wait for headers too. Bookmarks (about once a minute from a real API server) keep
    // a healthy but quiet watch under the limit.
    const timer = setTimeout(
      () => controller.abort(new Inactive(`no data on the watch for ${this.opts.inactivityTimeoutMs} ms`)),
      this.opts.inactivityTimeoutMs,
    );
    timer.unref();
    // Spread over 5-10 minutes so many watches do not all re-open together.
    const timeoutSeconds = randomInt(300, 601);
    // A server that never ends the stream (a proxy holding it open) is not read forever.
    const deadline = setTimeout(
      () => controller.abort(new PastDeadline('watch open past its timeoutSeconds')),
      timeoutSeconds * 1000 + WATCH_DEADLINE_GRACE_MS,
    );
    deadline.unref();
    let events = 0;
    const query = this.query({
      watch: '1',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
      resourceVersion: this.resourceVersion,
    });
    try {
      const res = await this.opts.client.stream(this.path, query, controller.signal);
      timer.refresh();
      this.setPhase('watching');
      const lines = new LineSplitter(this.opts.maxLineBytes, this.opts.client.urlFor(this.path, query));
      for await (const chunk of res) {
        timer.refresh();
        for (const line of lines.push(chunk as Buffer)) if (this.handleLine(line)) events += 1;
      }
      for (const line of lines.flush()) if (this.handleLine(line)) events += 1;
      return { events, durationMs: performance.now() - started };
    } catch (error) {
      if (error instanceof ApiError && error.status === 410)
        throw new Gone(`watch history expired (${error.message})`);
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && reason instanceof PastDeadline) {
        return { events, durationMs: performance.now() - started };
      }
      if (controller.signal.aborted && reason instanceof Inactive) throw reason;
      throw error;
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
      this.opts.signal.removeEventListener('abort', stop);
      controller.abort(); // releases the socket if we stopped reading early
    }
  }

  /** Applies one event line. True for a well-formed event (it proves the stream is alive and sane). */
  private handleLine(line: string): boolean {
    const arrivedAt = performance.now();
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw new Error(`malformed watch event line skipped: ${JSON.stringify(line.slice(0, 200))}`);
    }
    if (!isRecord(event) || typeof event.type !== 'string' || !isRecord(event.object)) {
      // Well-formed JSON, so the stream itself is sound: skip the event rather than re-watch into it
      // again (a server replays the same history after a re-watch).
      const problem = !isRecord(event)
        ? `expected an event (a mapping), got ${describe(event)}`
        : typeof event.type !== 'string'
          ? `type: expected a string, got ${describe(event.type)}`
          : `object: expected a mapping, got ${describe(event.object)}`;
      this.log.warn(
        { kind: this.opts.kind.kind, problem, line: line.slice(0, 200) },
        'Kubernetes watch event skipped',
      );
      return false;
    }
    const { type, object } = event;
    if (type === 'ERROR') {
      const code = typeof object.code === 'number' ? object.code : 0;
      const message = typeof object.message === 'string' ? object.message : 'no message';
      if (code === 410) throw new Gone(`watch history expired (${message})`);
      throw new ApiError(
        `watch ERROR event: ${code} ${message}`,
        code,
        typeof object.reason === 'string' ? object.reason : undefined,
      );
    }

    let changed = false;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        changed = this.store.upsert(object);
        break;
      case 'DELETED':
        changed = this.store.remove(object);
        break;
      case 'BOOKMARK':
        break;
      default:
        this.log.warn({ type }, 'watch event of an unknown type ignored');
        return true;
    }
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    if (typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== '') {
      this.resourceVersion = metadata.resourceVersion;
    }
    this.succeeded();
    this.opts.onProgress();
    if (changed) this.opts.onChange(arrivedAt);
    return true;
  }

  /**
   * The resource is not installed: it holds nothing (so the rest of the table syncs and serves),
   * said once at warn level until it appears, at debug level on each later check.
   */
  private absent(error: Absent): void {
    const first = !this.wasAbsent;
    this.wasAbsent = true;
    const arrivedAt = performance.now();
    const changed = this.store.replace([]);
    const firstList = !this.listed;
    this.listed = true;
    this.resourceVersion = undefined;
    this.setPhase('absent');
    this.log[first ? 'warn' : 'debug'](
      {
        path: this.path,
        problem: error.message,
        retryInMs: this.opts.backoff.maxMs ?? DEFAULT_BACKOFF.maxMs,
      },
      `${this.opts.kind.kind} is not installed on this API server (its CRD is missing); serving none until it is`,
    );
    this.opts.onProgress();
    if (changed || firstList) this.opts.onChange(arrivedAt);
  }

  private query(extra: Query): Query {
    return { labelSelector: this.opts.labelSelector, ...extra };
  }

  /** Clears the error shown in status; the backoff streak lasts until a healthy spell (RetryPacer). */
  private succeeded(): void {
    if (this.lastError === undefined) return;
    this.log.info({ after: this.lastError }, 'Kubernetes API reachable again');
    this.lastError = undefined;
    this.opts.onStatus();
  }

  private oversized(error: OversizedRead, retryInMs: number): void {
    this.lastError = error.message;
    this.lastErrorAt = Date.now();
    this.opts.onOversizedRead?.();
    this.log.warn(
      { url: error.url, limitBytes: error.limitBytes, retryInMs, failures: this.pacer.failures },
      `Kubernetes ${error.what} over its size cap; connection dropped, the last good objects keep serving`,
    );
  }

  private recordError(error: unknown, retryInMs: number): void {
    const message = error instanceof Error ? error.message : String(error);
    this.lastError = message;
    this.lastErrorAt = Date.now();
    const hint =
      error instanceof ApiError ? hintFor(error, this.opts.kind, this.path, this.opts.namespace) : undefined;
    this.log.warn(
      { problem: message, retryInMs, failures: this.pacer.failures, ...(hint && { hint }) },
      this.listed
        ? 'Kubernetes watch failed; serving the last good objects meanwhile'
        : 'Kubernetes list failed; not ready until it succeeds',
    );
  }

  private setPhase(phase: KindPhase): void {
    if (this.currentPhase === phase) return;
    this.currentPhase = phase;
    this.opts.onStatus();
  }
}

/** What a user can do about an error status. */
function hintFor(
  error: ApiError,
  kind: WatchedKind,
  path: string,
  namespace: string | undefined,
): string | undefined {
  switch (error.status) {
    case 401:
      return 'the API server rejected the credentials: check the service account token or kubeconfig user';
    case 403:
      return namespace === undefined
        ? `the identity may not list/watch ${kind.name}: grant it (see deploy/kubernetes/clusterrole.yaml)`
        : `the identity may not list/watch ${kind.name} in the namespace ${namespace}: grant it with a Role there (see deploy/kubernetes/examples/sidecar.yaml)`;
    case 404:
      return `${path} does not exist on this API server (EndpointSlices need Kubernetes 1.21 or newer)`;
    case 429:
      return 'the API server is throttling requests';
    default:
      return undefined;
  }
}

function parseListPage(
  body: unknown,
  path: string,
): { items: unknown[]; resourceVersion: string; continue?: string } {
  const metadata = isRecord(body) && isRecord(body.metadata) ? body.metadata : undefined;
  if (
    !isRecord(body) ||
    !metadata ||
    typeof metadata.resourceVersion !== 'string' ||
    !Array.isArray(body.items ?? [])
  ) {
    throw new Error(`GET ${path}: the answer is not a list (no items or metadata.resourceVersion)`);
  }
  const next =
    typeof metadata.continue === 'string' && metadata.continue !== '' ? metadata.continue : undefined;
  return {
    items: (body.items as unknown[] | null) ?? [],
    resourceVersion: metadata.resourceVersion,
    continue: next,
  };
}
