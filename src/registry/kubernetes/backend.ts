// Serves the service table from a live Kubernetes API: one list+watch loop per kind, their objects
// joined into TableContent and handed over whenever they change. Content is first delivered once
// every kind has listed, so a half-synced table (services without their namespaces, say) is
// never served.

import type { Logger } from 'pino';
import { FirstSync } from '../first-sync.js';
import type { BackendSink, RegistryBackend, ViewChanges } from '../backend.js';
import type { Service } from '../../table/types.js';
import type { ClusterObject } from '../model.js';
import { isImportKey } from '../../table/service-index.js';
import { ApiClient } from './api-client.js';
import { DEFAULT_BACKOFF, type PacerOptions } from './backoff.js';
import type { KubernetesConnection } from './connection.js';
import { KINDS, type KindName } from './kinds.js';
import {
  type ServiceObject,
  type SliceObject,
  joinKubernetesObjects,
  joinService,
  namedByPods,
  podsInZones,
} from './join.js';
import { type KindStatus, Reflector } from './reflector.js';
import { MC_SERVICE_NAME_LABEL } from './service-import.js';
import { DEFAULT_RATE_LIMIT, type RateLimit } from './throttle.js';

export interface KubernetesBackendOptions {
  connection: KubernetesConnection;
  logger: Logger;
  /** Watch pods too (needed for `--pods verified`); they are the largest and busiest kind. */
  watchPods: boolean;
  /** Watch Nodes too, for the zone of each pod's node (topology-aware answers; needs watchPods). */
  watchNodes?: boolean;
  /** False: no EndpointSlices, so endpoint and headless names do not exist (CoreDNS `noendpoints`). */
  watchEndpoints?: boolean;
  /** Name endpoints without a hostname by their pod (CoreDNS `endpoint_pod_names`). */
  endpointPodNames?: boolean;
  /**
   * Watch ServiceImports and imported EndpointSlices too (KEP-1645): a multicluster zone is served.
   * Off, neither is watched, so a cluster without the MCS CRDs is never asked for them.
   */
  multicluster?: boolean;
  /** Label selector for services and their EndpointSlices, e.g. "app=web,tier!=batch". */
  labelSelector?: string;
  /** Label selector for namespaces; objects in other namespaces are not served. */
  namespaceLabelSelector?: string;
  /**
   * Watch only these namespaces, each through its own paths (what a namespaced Role allows), and
   * take them as existing without listing Namespace objects, which a Role cannot grant. Undefined
   * watches the whole cluster. Cannot go with `namespaceLabelSelector`, which needs the cluster's
   * Namespace objects.
   */
  namespaces?: readonly string[];
  /** Objects per list page. Default 500. */
  pageSize?: number;
  /**
   * Retry pacing after failures. Default 200 ms doubling to 30 s, half of it random; a streak of
   * failures is forgotten after 2 minutes without one.
   */
  backoff?: PacerOptions;
  /** A watch silent this long is presumed dead and re-opened. Default 90 s (bookmarks come about every 60 s). */
  inactivityTimeoutMs?: number;
  /**
   * Changes arriving within this window are delivered together. Default 0: the events of one read
   * from the API server (a burst arrives as one chunk) are applied together on the next timer turn,
   * about a millisecond later; applying a change costs microseconds, so waiting longer only delays it.
   */
  coalesceMs?: number;
  /** Client-side request rate limit. Default 20 per second, bursts of 40. */
  rateLimit?: RateLimit;
  /** Cap on list requests in flight. Default 8. */
  maxInFlight?: number;
  /** Largest watch event line, in bytes. Default DEFAULT_MAX_LINE_BYTES. */
  maxLineBytes?: number;
  /** Largest list page, in bytes. Default DEFAULT_MAX_PAGE_BYTES. */
  maxPageBytes?: number;
  /** A watch line or list page over its cap was dropped with its connection. */
  onOversizedRead?: () => void;
  /** Called per delivered content with the time from the arrival of the oldest change it contains. */
  onProgrammingLatency?: (ms: number) => void;
}

export interface KubernetesBackendStatus {
  /** Every watched kind has listed at least once: the content is complete. */
  synced: boolean;
  /** Every watched kind has listed and none is backing off after a failure. */
  connected: boolean;
  /** ms since the epoch of the last successful list, watch event or bookmark. */
  lastSyncAt?: number;
  /** By kind ("services"), or by kind and namespace ("services/shop") when watching some namespaces. */
  kinds: Record<string, KindStatus>;
  /** Watch lines and list pages dropped for passing their size caps. */
  oversizedReads: number;
}

export const DEFAULT_PAGE_SIZE = 500;
export const DEFAULT_INACTIVITY_TIMEOUT_MS = 90_000;
export const DEFAULT_COALESCE_MS = 0;
/**
 * One watch event is one object, and etcd refuses objects over ~1.5 MiB (its --max-request-bytes);
 * its JSON form may be larger than the stored protobuf, so the cap leaves ten times that.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
/**
 * While every watch is open the view is current even when nothing changes, so the table hears so
 * this often; --max-stale then counts from the moment a watch broke, not from the last event.
 */
const FRESH_HEARTBEAT_MS = 250;

export class KubernetesBackend implements RegistryBackend {
  readonly name = 'kubernetes';
  /** ms from the arrival of the change to its delivery, for the last delivered content. */
  lastProgrammingLatencyMs?: number;

  private readonly opts: KubernetesBackendOptions;
  private readonly logger: Logger;
  private readonly client: ApiClient;
  private readonly controller = new AbortController();
  /** Per kind: one reflector for the cluster, or one per watched namespace. */
  private readonly reflectors = new Map<KindName, Reflector[]>();
  private readonly statusListeners = new Set<(status: KubernetesBackendStatus) => void>();
  private readonly firstSync = new FirstSync();
  private sink?: BackendSink;
  private running: Promise<void>[] = [];
  private coalesceTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  /** performance.now() of the oldest change not yet delivered. */
  private pendingSince?: number;
  private lastSyncAt?: number;
  private synced = false;
  private connected = false;
  /** The synced/connected pair listeners were last told about. */
  private notified = 'false/false';
  private closed = false;
  private oversizedReads = 0;

  constructor(opts: KubernetesBackendOptions) {
    if (opts.namespaces && opts.namespaceLabelSelector) {
      throw new Error(
        "a namespace label selector needs the cluster's Namespace objects; it cannot go with a list of namespaces",
      );
    }
    if (opts.namespaces?.length === 0) throw new Error('the list of namespaces to watch is empty');
    this.opts = opts;
    this.logger = opts.logger;
    this.client = new ApiClient({
      connection: opts.connection,
      rateLimit: opts.rateLimit ?? DEFAULT_RATE_LIMIT,
      maxInFlight: opts.maxInFlight,
      ...(opts.maxPageBytes !== undefined && { maxBodyBytes: opts.maxPageBytes }),
    });
  }

  /** Starts syncing and resolves at once; the sink gets the full content once synced, then on every change. */
  start(sink: BackendSink): Promise<void> {
    if (this.sink) throw new Error('KubernetesBackend.start() was already called');
    if (this.closed) throw new Error('KubernetesBackend was closed');
    this.sink = sink;
    const scoped = this.opts.namespaces;
    // Namespaces are cluster-scoped objects: with a list of namespaces they are taken from the list
    // (CoreDNS's `namespaces` exposes only those, and a namespaced Role cannot list the others).
    const names: KindName[] = scoped ? ['services'] : ['namespaces', 'services'];
    if (this.opts.watchEndpoints !== false) names.push('endpointslices');
    if (this.opts.watchPods) names.push('pods');
    if (this.opts.watchNodes) names.push('nodes');
    if (this.opts.multicluster) names.push('serviceimports');
    if (this.opts.multicluster && this.opts.watchEndpoints !== false) names.push('importedslices');
    const selectors: Partial<Record<KindName, string | undefined>> = {
      namespaces: this.opts.namespaceLabelSelector,
      services: this.opts.labelSelector,
      endpointslices: this.opts.labelSelector,
      importedslices: MC_SERVICE_NAME_LABEL,
    };
    const reflector = (name: KindName, namespace: string | undefined) =>
      new Reflector({
        kind: KINDS[name],
        ...(namespace !== undefined && { namespace }),
        client: this.client,
        logger: this.logger,
        labelSelector: selectors[name] || undefined,
        pageSize: this.opts.pageSize ?? DEFAULT_PAGE_SIZE,
        backoff: { ...DEFAULT_BACKOFF, ...this.opts.backoff },
        inactivityTimeoutMs: this.opts.inactivityTimeoutMs ?? DEFAULT_INACTIVITY_TIMEOUT_MS,
        maxLineBytes: this.opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
        signal: this.controller.signal,
        onChange: (arrivedAt) => this.changed(arrivedAt),
        onProgress: () => this.progressed(),
        onStatus: () => this.statusChanged(),
        onOversizedRead: () => {
          this.oversizedReads += 1;
          this.opts.onOversizedRead?.();
        },
      });
    for (const name of names) {
      this.reflectors.set(
        name,
        // Nodes belong to no namespace: one cluster-wide watch even when namespaces are scoped.
        scoped && KINDS[name].namespaced
          ? scoped.map((ns) => reflector(name, ns))
          : [reflector(name, undefined)],
      );
    }
    this.logger.info(
      {
        server: this.opts.connection.server.origin,
        source: this.opts.connection.source,
        credentials: this.opts.connection.credentials.description,
        kinds: names,
        ...(scoped && { namespaces: scoped }),
        ...(this.opts.labelSelector && { labelSelector: this.opts.labelSelector }),
        ...(this.opts.namespaceLabelSelector && { namespaceLabelSelector: this.opts.namespaceLabelSelector }),
      },
      'syncing from the Kubernetes API',
    );
    this.running = this.allReflectors().map((r) => r.run());
    this.heartbeat = setInterval(() => {
      if (this.firstSync.done && this.connected) sink.fresh();
    }, FRESH_HEARTBEAT_MS);
    this.heartbeat.unref();
    return Promise.resolve();
  }

  status(): KubernetesBackendStatus {
    const kinds: Record<string, KindStatus> = {};
    const scoped = this.opts.namespaces;
    for (const [name, reflectors] of this.reflectors) {
      reflectors.forEach(
        (r, i) => (kinds[scoped && KINDS[name].namespaced ? `${name}/${scoped[i]!}` : name] = r.status()),
      );
    }
    return {
      synced: this.synced,
      connected: this.connected,
      lastSyncAt: this.lastSyncAt,
      kinds,
      oversizedReads: this.oversizedReads,
    };
  }

  /** Called when `synced` or `connected` changes. Returns a function that unsubscribes. */
  onStatus(listener: (status: KubernetesBackendStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** True once the first full content was delivered; false if `timeoutMs` passes or it closes first. */
  whenSynced(timeoutMs: number): Promise<boolean> {
    return this.firstSync.wait(timeoutMs);
  }

  /** Stops every request and timer; resolves when the loops have ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort(new Error('Kubernetes backend closed'));
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    clearInterval(this.heartbeat);
    this.firstSync.abandon();
    await Promise.all(this.running);
    this.client.close();
    this.statusListeners.clear();
  }

  /** A kind listed or saw an event: the registry vouches for what we hold, once all kinds have listed. */
  private progressed(): void {
    this.lastSyncAt = Date.now();
    if (this.firstSync.done) this.sink?.fresh();
  }

  private changed(arrivedAt: number): void {
    if (this.pendingSince === undefined || arrivedAt < this.pendingSince) this.pendingSince = arrivedAt;
    if (!this.synced) {
      if (!this.allReflectors().every((r) => r.isListed)) return;
      this.synced = true;
      this.logger.info(this.counts(), 'Kubernetes API synced');
      this.statusChanged();
    }
    this.coalesceTimer ??= setTimeout(() => this.deliver(), this.opts.coalesceMs ?? DEFAULT_COALESCE_MS);
    this.coalesceTimer.unref();
  }

  /**
   * Hands the table what changed: the whole view the first time (and when a namespace selector's
   * namespaces change, which can hide or show anything), afterwards only the services whose Service
   * or slices changed, re-joined from the stores.
   */
  private deliver(): void {
    this.coalesceTimer = undefined;
    if (this.closed || !this.sink) return;
    const touched = new Set<string>();
    const changedKinds = new Set<KindName>();
    for (const [name, reflectors] of this.reflectors) {
      for (const reflector of reflectors) {
        const drained = reflector.store.drainTouched();
        for (const key of drained.services) touched.add(key);
        if (drained.changed) changedKinds.add(name);
      }
    }
    const whole =
      !this.firstSync.done || (changedKinds.has('namespaces') && !!this.opts.namespaceLabelSelector);
    const latency = performance.now() - (this.pendingSince ?? performance.now());
    this.pendingSince = undefined;
    try {
      if (whole) {
        const content = joinKubernetesObjects(this.objects());
        if (this.opts.endpointPodNames) content.services = content.services.map(namedByPods);
        this.sink.content(content);
      } else {
        this.sink.changes(this.changesFor(touched, changedKinds));
      }
      // Only now may the table trust it: marking it fresh before the first content arrived would
      // answer NXDOMAIN from an empty view.
      this.sink.fresh();
      this.firstSync.complete();
    } catch (error) {
      this.logger.error({ err: error }, 'applying Kubernetes content failed');
    }
    this.lastProgrammingLatencyMs = latency;
    this.opts.onProgrammingLatency?.(latency);
    this.logger.debug(
      { whole, services: touched.size, latencyMs: Math.round(latency) },
      'Kubernetes changes delivered',
    );
  }

  private changesFor(touched: Set<string>, changedKinds: Set<KindName>): ViewChanges {
    const services = new Map<string, Service | undefined>();
    const selected = this.opts.namespaceLabelSelector ? this.namespaceNames() : undefined;
    for (const key of touched) {
      const [serviceKind, sliceKind]: [KindName, KindName] = isImportKey(key)
        ? ['serviceimports', 'importedslices']
        : ['services', 'endpointslices'];
      const [service] = this.forService(serviceKind, key) as ServiceObject[];
      const visible = service && (!selected || selected.has(service.service.namespace));
      const slices = this.forService(sliceKind, key) as SliceObject[];
      const joined = visible ? joinService(service, slices) : undefined;
      services.set(key, joined && this.opts.endpointPodNames ? namedByPods(joined) : joined);
    }
    const changes: ViewChanges = { services };
    if (changedKinds.has('namespaces')) changes.namespaces = [...this.namespaceNames()].sort();
    const pods = this.reflectors.get('pods');
    if (pods && (changedKinds.has('pods') || changedKinds.has('nodes'))) {
      changes.pods = podsInZones(
        pods
          .flatMap((r) => r.store.values())
          .flatMap((o) => (o.kind === 'Pod' && (!selected || selected.has(o.pod.namespace)) ? [o.pod] : [])),
        this.nodeZones(),
      );
    }
    return changes;
  }

  /** Node name → topology zone, from the Node watch (empty without one). */
  private nodeZones(): Map<string, string> {
    const zones = new Map<string, string>();
    for (const object of (this.reflectors.get('nodes') ?? []).flatMap((r) => r.store.values()))
      if (object.kind === 'Node' && object.zone !== undefined) zones.set(object.name, object.zone);
    return zones;
  }

  private allReflectors(): Reflector[] {
    return [...this.reflectors.values()].flat();
  }

  /** The objects of one kind that feed the service `key`, from whichever namespace's reflector holds them. */
  private forService(name: KindName, key: string): ClusterObject[] {
    return (this.reflectors.get(name) ?? []).flatMap((r) => r.store.forService(key));
  }

  /** The namespaces that exist: the watched list, or the cluster's Namespace objects. */
  private namespaceNames(): Set<string> {
    if (this.opts.namespaces) return new Set(this.opts.namespaces);
    const names = new Set<string>();
    for (const object of this.reflectors.get('namespaces')!.flatMap((r) => r.store.values()))
      if (object.kind === 'Namespace') names.add(object.name);
    return names;
  }

  /**
   * Every stored object; with a namespace selector, only those in the namespaces it selected; with
   * a list of namespaces, a Namespace object for each, so that `ns.svc.zone` exists for them.
   */
  private objects(): ClusterObject[] {
    const all = this.allReflectors().flatMap((r) => r.store.values());
    if (this.opts.namespaces) {
      return [...this.opts.namespaces.map((name): ClusterObject => ({ kind: 'Namespace', name })), ...all];
    }
    if (!this.opts.namespaceLabelSelector) return all;
    const selected = new Set(all.flatMap((o) => (o.kind === 'Namespace' ? [o.name] : [])));
    return all.filter((o) => o.kind === 'Namespace' || o.kind === 'Node' || selected.has(namespaceOf(o)));
  }

  private counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [name, reflectors] of this.reflectors)
      counts[name] = reflectors.reduce((sum, r) => sum + r.store.size, 0);
    return counts;
  }

  /** Tells listeners when `synced` or `connected` changed since they were last told. */
  private statusChanged(): void {
    if (this.closed) return;
    const before = this.connected;
    // A relist after 410 is routine, not a loss of connectivity; backoff after a failure is.
    this.connected = this.allReflectors().every(
      (r) => r.isListed && (r.phase === 'watching' || r.phase === 'listing' || r.phase === 'absent'),
    );
    if (this.synced && this.connected !== before) {
      if (this.connected) this.logger.info('Kubernetes API watches healthy');
      else this.logger.warn('Kubernetes API connection degraded; serving the last good content');
    }
    const key = `${this.synced}/${this.connected}`;
    if (key === this.notified) return;
    this.notified = key;
    const status = this.status();
    for (const listener of this.statusListeners) listener(status);
  }
}

function namespaceOf(object: ClusterObject): string {
  switch (object.kind) {
    case 'Namespace':
      return object.name;
    case 'Service':
      return object.service.namespace;
    case 'EndpointSlice':
      return object.namespace;
    case 'Pod':
      return object.pod.namespace;
    case 'Node':
      return '';
  }
}
