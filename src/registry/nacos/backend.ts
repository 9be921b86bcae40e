// Serves Nacos services: per mapped namespace a loop lists the group's services (paged) and
// re-lists them periodically; per service either a poller reads its instance list at the interval
// the server advises (`cacheMillis`, bounded: the HTTP APIs), or a subscription over Nacos's gRPC
// protocol receives its instances when they change (`grpc`, Nacos 2.x and 3.x; grpc/). A poll that fails keeps that service's last good
// instances; a server that is down keeps the whole last good view, and the table is told the view
// is fresh only when the server answered. An answer over its size cap, or one that is not a list,
// counts as a failed poll: that service keeps its last good instances.

import type { Logger } from 'pino';
import type { Endpoint, PortSpec, Service, TableContent } from '../../table/types.js';
import { FirstSync } from '../first-sync.js';
import type { BackendSink, RegistryBackend } from '../backend.js';
import { setTimeout as delay } from 'node:timers/promises';
import { OversizedRead } from '../bounded-read.js';
import { backoffDelay } from '../kubernetes/backoff.js';
import { DEFAULT_MAX_BODY_BYTES, type NacosApi, NacosClient, type NacosCredentials } from './client.js';
import { type InstanceList, readInstanceList } from './instances.js';
import { isPublicNamespace, serviceLabel } from './names.js';
import { NacosGrpcSession, type SessionServer } from './grpc/session.js';
import { listServices as listServicesGrpc, subscribe, whichService } from './grpc/naming.js';

/** A DNS namespace served from a Nacos namespace ID ("" or "public" for the public namespace). */
export interface NamespaceMapping {
  dns: string;
  nacos: string;
}

export interface NacosBackendOptions {
  url: string;
  /** Which API to speak: an HTTP generation, or gRPC push (Nacos 2.x, 3.x). Default v1. */
  api?: NacosApi | 'grpc';
  /** grpc: every server of the cluster, tried in turn when a connection is lost. Default [url]. */
  servers?: { url: string; grpcPort?: number }[];
  /** grpc: the gRPC port of every server. Default the HTTP port + 1000, as the SDKs assume. */
  grpcPort?: number;
  /** grpc: health checks of the connection this often. Default 5 s. */
  healthCheckMs?: number;
  namespaces: NamespaceMapping[];
  /** Default DEFAULT_GROUP. */
  group?: string;
  credentials?: NacosCredentials;
  logger: Logger;
  /** Bounds on the poll interval the server advises. Default 1 s .. 30 s. */
  minPollMs?: number;
  maxPollMs?: number;
  /** Poll interval when the server advises none (3.x). Default 3 s, Nacos's defaultCacheMillis. */
  defaultPollMs?: number;
  /** Service lists are read again this often. Default 10 s. */
  relistMs?: number;
  /** Services per list page. Default 100. */
  pageSize?: number;
  requestTimeoutMs?: number;
  /** Largest answer read, in bytes. Default 16 MiB (client.ts). */
  maxBodyBytes?: number;
  /** Changes arriving within this window are delivered together. Default 5 ms. */
  coalesceMs?: number;
  /** An answer over its size cap was dropped with its connection. */
  onOversizedRead?: () => void;
}

export interface NacosBackendStatus {
  /** Every namespace listed and every service in it polled at least once. */
  synced: boolean;
  services: number;
  /** Services whose last poll failed: they serve their last good instances. */
  failing: string[];
  /** Services the server currently answers under its protection threshold (`ns/service`). */
  protectionThreshold: string[];
  /** How many times any service entered the protection threshold. */
  protectionThresholdReached: number;
  /** Successful logins (0 without credentials). */
  logins: number;
  /** ms since the epoch of the last answer from the server. */
  lastSyncAt?: number;
}

export const DEFAULT_GROUP = 'DEFAULT_GROUP';
export const DEFAULT_MIN_POLL_MS = 1000;
export const DEFAULT_MAX_POLL_MS = 30_000;
export const DEFAULT_POLL_MS = 3000;
export const DEFAULT_RELIST_MS = 10_000;

interface ServiceState {
  mapping: NamespaceMapping;
  /** The name as Nacos has it (case kept, group prefix stripped or not, as listed). */
  nacosName: string;
  label: string;
  controller: AbortController;
  /** The last good instances; undefined until the first successful poll. */
  endpoints?: Endpoint[];
  /**
   * The service last delivered, kept while its instances stay the same: the table tells changed
   * services by identity, so one change costs that service's work, not every service's.
   */
  service?: Service;
  fingerprint?: string;
  polled: boolean;
  failures: number;
  protected: boolean;
  /** Problems already logged, so a bad instance is named once, not on every poll. */
  logged: Set<string>;
  /** grpc: the connection and `lastRefTime` of the instances applied, so an older answer loses. */
  refGeneration?: number;
  lastRefTime?: number;
}

/** The SDKs' gRPC port: the HTTP port + 1000 (Nacos's RpcClient SDK_GRPC_PORT_DEFAULT_OFFSET). */
export const GRPC_PORT_OFFSET = 1000;

export class NacosBackend implements RegistryBackend {
  readonly name = 'nacos';
  private readonly client: NacosClient;
  /** grpc: one login client per server (logins go to the HTTP port), and one session per namespace. */
  private readonly loginClients: NacosClient[] = [];
  private readonly sessions = new Map<string, NacosGrpcSession>();
  private relistWake = new AbortController();
  private readonly logger: Logger;
  private readonly group: string;
  private readonly controller = new AbortController();
  private readonly services = new Map<string, ServiceState>();
  /** Names skipped (not DNS labels, or a case-fold collision), so each is logged once. */
  private readonly skipped = new Set<string>();
  private readonly listed = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly firstSync = new FirstSync();
  private sink?: BackendSink;
  private coalesceTimer?: NodeJS.Timeout;
  private closed = false;
  private lastSyncAt?: number;
  private protectionThresholdReached = 0;

  constructor(private readonly opts: NacosBackendOptions) {
    this.logger = opts.logger;
    this.group = opts.group ?? DEFAULT_GROUP;
    const client = (url: string) =>
      new NacosClient({
        url,
        // gRPC servers (2.x, 3.x) log in at the v1 path; the tokens are the cluster's.
        api: opts.api === 'grpc' || opts.api === undefined ? 'v1' : opts.api,
        ...(opts.credentials && { credentials: opts.credentials }),
        ...(opts.requestTimeoutMs !== undefined && { requestTimeoutMs: opts.requestTimeoutMs }),
        ...(opts.maxBodyBytes !== undefined && { maxBodyBytes: opts.maxBodyBytes }),
        signal: this.controller.signal,
      });
    this.client = client(opts.url);
    if (opts.api === 'grpc') {
      for (const server of opts.servers ?? [{ url: opts.url }]) this.loginClients.push(client(server.url));
    }
  }

  private get grpc(): boolean {
    return this.opts.api === 'grpc';
  }

  start(sink: BackendSink): Promise<void> {
    if (this.sink) throw new Error('NacosBackend.start() was already called');
    if (this.closed) throw new Error('NacosBackend was closed');
    this.sink = sink;
    this.logger.info(
      {
        server: this.grpc ? this.grpcServers().map((s) => `${s.host}:${s.port}`) : this.client.origin,
        api: this.opts.api ?? 'v1',
        group: this.group,
        namespaces: Object.fromEntries(this.opts.namespaces.map((m) => [m.dns, m.nacos])),
        ...(this.opts.credentials && { username: this.opts.credentials.username }),
      },
      'syncing from Nacos',
    );
    if (this.grpc) {
      for (const nacos of new Set(this.opts.namespaces.map((m) => grpcNamespace(m.nacos)))) {
        const session = this.newSession(nacos);
        this.sessions.set(nacos, session);
        session.start();
      }
    }
    for (const mapping of this.opts.namespaces) this.track(this.listLoop(mapping));
    return Promise.resolve();
  }

  private grpcServers(): SessionServer[] {
    return (this.opts.servers ?? [{ url: this.opts.url }]).map((server, i) => {
      const url = new URL(server.url);
      const tls = url.protocol === 'https:';
      const httpPort = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
      const tokens = this.loginClients[i]?.tokens;
      return {
        url: url.origin,
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: server.grpcPort ?? this.opts.grpcPort ?? httpPort + GRPC_PORT_OFFSET,
        tls,
        ...(tokens && { tokens }),
      };
    });
  }

  private newSession(namespace: string): NacosGrpcSession {
    return new NacosGrpcSession({
      namespaceId: namespace,
      servers: this.grpcServers(),
      logger: this.logger,
      requestTimeoutMs: this.opts.requestTimeoutMs ?? 5000,
      maxMessageBytes: this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ...(this.opts.healthCheckMs !== undefined && { healthCheckMs: this.opts.healthCheckMs }),
      onAnswer: () => this.answered(),
      onConnected: () => {
        // Relist at once: services deleted while disconnected go, new ones are subscribed.
        this.relistWake.abort();
        this.relistWake = new AbortController();
      },
      onPush: (info) => this.pushed(namespace, info),
    });
  }

  /** A NotifySubscriberRequest: the instances of every served service it names. */
  private pushed(namespace: string, info: unknown): void {
    const which = whichService(info);
    if (!which) throw new Error('the push names no service');
    if (which.groupName !== '' && which.groupName !== this.group) return;
    const session = this.sessions.get(namespace)!;
    for (const state of this.services.values()) {
      if (grpcNamespace(state.mapping.nacos) !== namespace || state.nacosName !== which.name) continue;
      try {
        this.accept(state, info, session.generation);
      } catch (error) {
        this.logger.warn(
          { namespace: state.mapping.dns, service: state.nacosName, err: (error as Error).message },
          'Nacos push refused; keeping the last good instances',
        );
        throw error;
      }
    }
  }

  /** Applies a ServiceInfo unless one newer on this connection was applied already. */
  private accept(state: ServiceState, info: unknown, generation: number): void {
    const list = readInstanceList(info);
    const refTime = whichService(info)?.lastRefTime ?? 0;
    if (state.refGeneration === generation && refTime < (state.lastRefTime ?? 0)) return;
    state.refGeneration = generation;
    state.lastRefTime = refTime;
    this.apply(state, list);
  }

  status(): NacosBackendStatus {
    const key = (s: ServiceState) => `${s.mapping.dns}/${s.label}`;
    const states = [...this.services.values()];
    return {
      synced: this.firstSync.done,
      services: states.length,
      failing: states.filter((s) => s.failures > 0).map(key),
      protectionThreshold: states.filter((s) => s.protected).map(key),
      protectionThresholdReached: this.protectionThresholdReached,
      logins: this.grpc
        ? this.loginClients.reduce((sum, c) => sum + (c.tokens?.logins ?? 0), 0)
        : (this.client.tokens?.logins ?? 0),
      ...(this.lastSyncAt !== undefined && { lastSyncAt: this.lastSyncAt }),
    };
  }

  whenSynced(timeoutMs: number): Promise<boolean> {
    return this.firstSync.wait(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort(new Error('Nacos backend closed'));
    for (const state of this.services.values()) state.controller.abort();
    clearTimeout(this.coalesceTimer);
    this.firstSync.abandon();
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private track(loop: Promise<void>): void {
    this.running.add(loop);
    void loop.finally(() => this.running.delete(loop));
  }

  private async listLoop(mapping: NamespaceMapping): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      let wait = this.opts.relistMs ?? DEFAULT_RELIST_MS;
      try {
        const names = await this.listServices(mapping, signal);
        if (failures > 0) this.logger.info({ namespace: mapping.dns }, 'Nacos service list readable again');
        failures = 0;
        this.reconcile(mapping, names);
        this.listed.add(mapping.dns);
        this.answered();
        this.checkSynced();
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        if (error instanceof OversizedRead) this.opts.onOversizedRead?.();
        if (failures === 1) {
          this.logger.warn(
            { namespace: mapping.dns, nacosNamespace: mapping.nacos, ...failure(error) },
            'listing Nacos services failed; serving the last good view',
          );
        }
        wait = backoffDelay(failures, { initialMs: this.minPoll, maxMs: this.maxPoll });
      }
      // A new gRPC connection relists at once (the wake); only the backend's end stops the loop.
      await this.pause(wait, AbortSignal.any([signal, this.relistWake.signal]));
      if (signal.aborted) return;
    }
  }

  private async listServices(mapping: NamespaceMapping, signal: AbortSignal): Promise<string[]> {
    const pageSize = this.opts.pageSize ?? 100;
    if (!this.grpc) return this.client.listServices(mapping.nacos, this.group, pageSize, signal);
    const namespace = grpcNamespace(mapping.nacos);
    const session = this.sessions.get(namespace)!;
    await session.waitConnected(1, signal);
    return listServicesGrpc(session, namespace, this.group, pageSize, signal);
  }

  /** Starts pollers for services that appeared, stops those of services that went. */
  private reconcile(mapping: NamespaceMapping, names: string[]): void {
    const wanted = new Map<string, string>();
    const skippedNow = new Set<string>();
    for (const name of [...new Set(names)].sort()) {
      const label = serviceLabel(name);
      const key = `${mapping.dns}/${name}`;
      let reason: string | undefined;
      if (label === undefined) reason = 'its name, lower-cased, is not a DNS label';
      else if (wanted.has(label)) reason = `"${wanted.get(label)}" already serves ${label}.${mapping.dns}`;
      if (reason === undefined) {
        wanted.set(label!, name);
        continue;
      }
      skippedNow.add(key);
      if (!this.skipped.has(key)) {
        this.skipped.add(key);
        this.logger.warn({ namespace: mapping.dns, service: name }, `Nacos service skipped: ${reason}`);
      }
    }
    for (const key of [...this.skipped]) {
      if (key.startsWith(`${mapping.dns}/`) && !skippedNow.has(key)) this.skipped.delete(key);
    }
    for (const [key, state] of this.services) {
      if (state.mapping !== mapping || wanted.get(state.label) === state.nacosName) continue;
      state.controller.abort();
      this.services.delete(key);
      if (this.grpc) this.unsubscribe(state);
      this.logger.info({ namespace: mapping.dns, service: state.nacosName }, 'Nacos service gone');
      this.changed();
    }
    for (const [label, nacosName] of wanted) {
      const key = `${mapping.dns}/${label}`;
      if (this.services.has(key)) continue;
      const state: ServiceState = {
        mapping,
        nacosName,
        label,
        controller: new AbortController(),
        polled: false,
        failures: 0,
        protected: false,
        logged: new Set(),
      };
      this.services.set(key, state);
      this.track(this.grpc ? this.subscribeLoop(state) : this.pollLoop(state));
    }
  }

  private async pollLoop(state: ServiceState): Promise<void> {
    const signal = AbortSignal.any([this.controller.signal, state.controller.signal]);
    const where = { namespace: state.mapping.dns, service: state.nacosName };
    while (!signal.aborted) {
      let wait: number;
      try {
        const body = await this.client.listInstances(
          state.mapping.nacos,
          this.group,
          state.nacosName,
          signal,
        );
        const list = readInstanceList(body);
        if (signal.aborted) return;
        if (state.failures > 0) this.logger.info(where, 'Nacos service polled again');
        state.failures = 0;
        this.apply(state, list);
        this.answered();
        wait = this.clamp(list.cacheMillis ?? this.opts.defaultPollMs ?? DEFAULT_POLL_MS);
      } catch (error) {
        if (signal.aborted) return;
        state.failures += 1;
        if (error instanceof OversizedRead) this.opts.onOversizedRead?.();
        if (state.failures === 1) {
          this.logger.warn(
            { ...where, ...failure(error) },
            'polling Nacos instances failed; keeping their last good list',
          );
        }
        wait = backoffDelay(state.failures, { initialMs: this.minPoll, maxMs: this.maxPoll });
      }
      if (!state.polled) {
        state.polled = true;
        this.checkSynced();
      }
      if (!(await this.pause(wait, signal))) return;
    }
  }

  /**
   * grpc: subscribes the service on every new connection; the answer holds its instances, and
   * later changes arrive as pushes (pushed()). A failed subscription is retried with backoff.
   */
  private async subscribeLoop(state: ServiceState): Promise<void> {
    const signal = AbortSignal.any([this.controller.signal, state.controller.signal]);
    const where = { namespace: state.mapping.dns, service: state.nacosName };
    const namespace = grpcNamespace(state.mapping.nacos);
    const session = this.sessions.get(namespace)!;
    let minGeneration = 1;
    while (!signal.aborted) {
      let generation: number;
      try {
        generation = await session.waitConnected(minGeneration, signal);
        const info = await subscribe(session, namespace, this.group, state.nacosName, true, signal);
        if (signal.aborted) return;
        this.accept(state, info, generation);
        if (state.failures > 0) this.logger.info(where, 'Nacos service subscribed again');
        state.failures = 0;
        minGeneration = generation + 1;
      } catch (error) {
        if (signal.aborted) return;
        state.failures += 1;
        if (error instanceof OversizedRead) this.opts.onOversizedRead?.();
        if (state.failures === 1) {
          this.logger.warn(
            { ...where, ...failure(error) },
            'subscribing to Nacos instances failed; keeping their last good list',
          );
        }
        if (
          !(await this.pause(backoffDelay(state.failures, { initialMs: 100, maxMs: this.maxPoll }), signal))
        ) {
          return;
        }
      }
      if (!state.polled) {
        state.polled = true;
        this.checkSynced();
      }
    }
  }

  private unsubscribe(state: ServiceState): void {
    const namespace = grpcNamespace(state.mapping.nacos);
    const session = this.sessions.get(namespace);
    if (!session?.connected) return;
    subscribe(session, namespace, this.group, state.nacosName, false, this.controller.signal).catch(
      () => undefined, // the next connection does not carry it anyway
    );
  }

  private apply(state: ServiceState, list: InstanceList): void {
    const where = { namespace: state.mapping.dns, service: state.nacosName };
    const problems = new Set(list.problems.map((p) => `${p.instance}: ${p.problem}`));
    for (const problem of problems) {
      if (!state.logged.has(problem)) this.logger.warn({ ...where, problem }, 'Nacos instance skipped');
    }
    state.logged = problems;
    if (list.reachProtectionThreshold !== state.protected) {
      state.protected = list.reachProtectionThreshold;
      if (state.protected) {
        this.protectionThresholdReached += 1;
        this.logger.warn(
          where,
          'Nacos protection threshold reached: the server lists unhealthy instances as healthy, and they are served',
        );
      } else {
        this.logger.info(where, 'Nacos protection threshold cleared');
      }
    }
    const fingerprint = JSON.stringify(list.endpoints);
    if (fingerprint === state.fingerprint) return;
    state.fingerprint = fingerprint;
    state.endpoints = list.endpoints;
    state.service = undefined;
    this.changed();
  }

  /** The server answered: the view is current (once it has been delivered at all). */
  private answered(): void {
    this.lastSyncAt = Date.now();
    if (this.firstSync.done) this.sink?.fresh();
  }

  private checkSynced(): void {
    if (this.firstSync.done || this.coalesceTimer) return;
    const allListed = this.opts.namespaces.every((m) => this.listed.has(m.dns));
    if (allListed && [...this.services.values()].every((s) => s.polled)) this.changed();
  }

  private changed(): void {
    if (this.closed) return;
    if (!this.firstSync.done) {
      const allListed = this.opts.namespaces.every((m) => this.listed.has(m.dns));
      if (!allListed || ![...this.services.values()].every((s) => s.polled)) return;
    }
    this.coalesceTimer ??= setTimeout(() => this.deliver(), this.opts.coalesceMs ?? 5);
    this.coalesceTimer.unref();
  }

  private deliver(): void {
    this.coalesceTimer = undefined;
    if (this.closed || !this.sink) return;
    const content = this.content();
    try {
      this.sink.content(content);
      if (!this.firstSync.done) {
        this.logger.info({ services: content.services.length }, 'Nacos synced');
      }
      this.sink.fresh();
      this.firstSync.complete();
    } catch (error) {
      this.logger.error({ err: error }, 'applying Nacos content failed');
    }
  }

  private content(): TableContent {
    const content: TableContent = {
      namespaces: [...new Set(this.opts.namespaces.map((m) => m.dns))],
      services: [],
      pods: [],
    };
    for (const state of this.services.values()) {
      if (state.endpoints === undefined) continue;
      state.service ??= {
        namespace: state.mapping.dns,
        name: state.label,
        type: 'Headless',
        clusterIPs: [],
        ports: uniquePorts(state.endpoints),
        endpoints: state.endpoints,
      };
      content.services.push(state.service);
    }
    return content;
  }

  private get minPoll(): number {
    return this.opts.minPollMs ?? DEFAULT_MIN_POLL_MS;
  }

  private get maxPoll(): number {
    return Math.max(this.minPoll, this.opts.maxPollMs ?? DEFAULT_MAX_POLL_MS);
  }

  private clamp(ms: number): number {
    return Math.min(this.maxPoll, Math.max(this.minPoll, ms));
  }

  /**
   * Waits `ms`; false once the backend (or the service) is stopped. Unlike a watch, polling holds
   * no connection open between requests: this timer is what keeps the process alive meanwhile
   * (during start-up nothing else does), and close() aborts it.
   */
  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await delay(ms, undefined, { signal });
      return true;
    } catch {
      return false;
    }
  }
}

/** gRPC requests name the public namespace "public" (2.x's and 3.x's default namespace ID). */
function grpcNamespace(id: string): string {
  return isPublicNamespace(id) ? 'public' : id;
}

/** The log fields of a failed read: its message, and for an oversized answer the path and the cap. */
function failure(error: unknown): Record<string, unknown> {
  if (error instanceof OversizedRead)
    return { err: error.message, url: error.url, limitBytes: error.limitBytes };
  return { err: (error as Error).message };
}

function uniquePorts(endpoints: Endpoint[]): PortSpec[] {
  const ports = new Map<string, PortSpec>();
  for (const port of endpoints.flatMap((e) => e.ports)) ports.set(`${port.name}/${port.port}`, port);
  return [...ports.values()];
}
