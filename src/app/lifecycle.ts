// The server's lifecycle: ops endpoints → backends → table → resolvers → listeners; on the way down
// lameduck (still answering, /ready at 503), then listeners, upstreams, backends, endpoints.
//
// A reload builds the parts whose settings changed and swaps them in: the resolver chain always,
// the backends and table only when their settings changed, and a listener only when its address
// (or the TCP settings) changed; until the new parts are ready the old ones keep serving.
//
// Under --workers a server is split in two (see part.ts): this process runs one half or both.
import { isDeepStrictEqual } from 'node:util';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { formatHostPort } from '../config/address.js';
import type { Config } from '../config/config.js';
import { BackendStatus } from '../ops/backend-status.js';
import { packageVersion } from '../ops/build-info.js';
import { newCounters, type Counters } from '../ops/counters.js';
import { OpsEndpoints } from '../ops/http.js';
import { createMetrics, type ServerMetrics } from '../ops/metrics/metrics.js';
import { QueryMetrics } from '../ops/metrics/query-metrics.js';
import { pluginsEnabled } from '../ops/metrics/plugins.js';
import type { RegistryBackend } from '../registry/backend.js';
import type { Forwarder } from '../resolve/forward/forwarder.js';
import { sumForwarderStats } from '../resolve/forward/stats-sum.js';
import { ZoneSet } from '../dns/zones.js';
import { RateLimiter } from '../server/rate-limit.js';
import { ServiceTable } from '../table/table.js';
import { startBackends } from './backends.js';
import { allResolvers, buildChains, closeChains, type Chains } from './chains.js';
import { changedSections, withEndpointsOf } from './config-diff.js';
import { readHosts } from './host-files.js';
import { Listeners, serverLabel, type BoundListener } from './listeners.js';
import { WHOLE, type Part } from './part.js';
import { buildResolvers, LINK_PLUGINS } from './resolvers.js';

/** After lameduck: how long answers still being worked on (an upstream round trip) may take. */
export const SHUTDOWN_GRACE_MS = 5000;

export class ClusterDns {
  table = new ServiceTable();
  readonly counters: Counters = newCounters();
  backendStatus = new BackendStatus();
  private backends: RegistryBackend[] = [];
  private readonly listeners: Listeners;
  /** Every block's chain on this port; the primary's config is this.config. */
  private chains: Chains | undefined;
  private queryMetrics: QueryMetrics | undefined;
  private metrics: ServerMetrics | undefined;
  private endpoints: OpsEndpoints | undefined;
  private listening = false;
  private draining = false;
  /** --rrl's limiter, shared by every UDP listener; rebuilt when its settings change. */
  private rateLimiter: RateLimiter | undefined;
  private endLameduck: (() => void) | undefined;

  constructor(
    private config: Config,
    private readonly logger: Logger,
    private readonly part: Part = WHOLE,
  ) {
    this.listeners = new Listeners({
      logger,
      counters: this.counters,
      rateLimiter: () => this.rateLimiter,
      queryMetrics: () => this.queryMetrics,
    });
  }

  async start(): Promise<BoundListener[]> {
    const part = this.part;
    this.rateLimiter = rateLimiterFor(this.config);
    try {
      const zones = ZoneSet.parse(this.config.zones);
      // First, so /health answers and /ready says what it waits for while registries sync. A
      // worker serves no endpoint: the primary scrapes its metrics.
      if (part.kind === 'answering') this.createMetrics(zones);
      else await this.startEndpoints(zones);
      // The primary of --workers builds no chain, but a hosts file it cannot read is told now
      // rather than once the registries have synced and each worker has booted to find it.
      if (part.kind === 'registries')
        for (const config of [this.config, ...this.config.blocks]) readHosts(config, this.logger);
      if (part.kind === 'answering') this.table = part.table();
      else this.backends = await this.startBackends(this.config, this.table, this.backendStatus);
      if (part.kind === 'registries') {
        part.tableInUse(this.table);
        this.listening = true;
        return [];
      }
      this.chains = this.buildChains(this.config, this.table);
      await this.listeners.listen(this.config, this.chains);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.listening = true;
    const { forwarder, loop, upstreams } = this.chains.primary;
    if (forwarder && (part.kind === 'whole' || part.checkLoop)) {
      try {
        await loop.check(forwarder, upstreams.map(formatHostPort).join(', '));
      } catch (error) {
        await this.close();
        throw error;
      }
    }
    return this.bound();
  }

  /** The sockets bound now, UDP then TCP per address. */
  bound(): BoundListener[] {
    return this.listeners.bound();
  }

  /** This server's metrics, when on: what the primary sums from a worker. */
  get metricsRegistry(): Registry | undefined {
    return this.metrics?.registry;
  }

  /**
   * The `server` labels of this server: its listeners', or, in a --workers primary that has none,
   * the configured addresses its workers listen on.
   */
  private serverLabels(): string[] {
    const bound = this.listeners.serverLabels();
    return bound.length > 0 ? bound : this.config.listen.map(serverLabel);
  }

  /** The lameduck period of the configuration running now. */
  get lameduckMs(): number {
    return this.config.lameduckMs;
  }

  /**
   * Serve `next` instead of the running config. Everything new is built before anything is
   * swapped; on failure the new parts are closed and the old config keeps serving.
   */
  async reload(next: Config, force = false): Promise<{ changed: string[] }> {
    const old = this.config;
    const changed = changedSections(old, next);
    if (force && changed.length === 0) changed.push('resolvers');
    if (changed.length === 0) return { changed };
    if (changed.includes('endpoints')) {
      // The endpoints hold probes and scrapes; moving them under a running orchestrator would
      // fail its probes, so they change with a restart.
      this.logger.warn('health, ready, metrics and log-format changes take effect at the next restart');
    }
    const part = this.part;
    const newBackends = changed.includes('backends');
    // A worker's new backends are the primary's: their table has come over already.
    const table = !newBackends ? this.table : part.kind === 'answering' ? part.table() : new ServiceTable();
    const backendStatus = newBackends ? new BackendStatus() : this.backendStatus;
    let backends: RegistryBackend[] = [];
    let chains: Chains | undefined;
    const listenersBefore = this.listeners.keys();
    const relisten = changed.includes('listeners') && part.kind !== 'registries';
    const added: string[] = [];
    try {
      if (newBackends && part.kind !== 'answering')
        backends = await this.startBackends(next, table, backendStatus);
      if (part.kind !== 'registries') chains = this.buildChains(next, table, newBackends || force);
      const tcpChanged =
        this.config.tcpIdleTimeout !== next.tcpIdleTimeout ||
        this.config.tcpMaxConnections !== next.tcpMaxConnections;
      if (relisten) added.push(...(await this.listeners.listen(next, chains ?? this.chains!, tcpChanged)));
    } catch (error) {
      await Promise.all(backends.map((backend) => backend.close()));
      if (chains) closeChains(chains);
      await Promise.all(added.map((key) => this.listeners.close(key)));
      throw error;
    }
    const previous = this.chains;
    const oldBackends = this.backends;
    if (chains) {
      this.chains = chains;
      this.listeners.serveAll(chains);
    }
    if (!isDeepStrictEqual(old.rrl, next.rrl)) this.rateLimiter = rateLimiterFor(next);
    this.config = withEndpointsOf(old, next);
    if (newBackends) {
      this.table = table;
      this.backendStatus = backendStatus;
      this.backends = backends;
      if (part.kind === 'registries') part.tableInUse(table);
      await Promise.all(oldBackends.map((backend) => backend.close()));
    }
    if (relisten) {
      const keep = new Set(next.listen.map(formatHostPort));
      await Promise.all(
        [...listenersBefore].filter((key) => !keep.has(key)).map((key) => this.listeners.close(key)),
      );
    }
    if (previous && chains) closeChains(previous, chains);
    this.logger.info({ changed }, 'configuration reloaded');
    return { changed };
  }

  /** The forwarders of every block on this port. */
  private forwarders(): Forwarder[] {
    const all = this.chains ? allResolvers(this.chains) : [];
    return all.flatMap((resolvers) => (resolvers.forwarder ? [resolvers.forwarder] : []));
  }

  /** Counters of every part, for logs. */
  stats() {
    return {
      server: { ...this.counters },
      forward: sumForwarderStats(this.forwarders().map((forwarder) => forwarder.stats())),
      recursionRefused: this.chains?.primary.gate?.refused ?? 0,
      searchPath: this.chains ? { ...this.chains.primary.searchPath.stats } : undefined,
    };
  }

  /** What keeps /ready from 200, by name: unsynced or stale backends, listeners, shutdown. */
  notReady(): string[] {
    const names = this.table.notReady();
    if (!this.listening) names.push('listeners');
    if (this.part.kind === 'registries') names.push(...this.part.notReady());
    if (this.draining) names.push('lameduck');
    return names;
  }

  /** Where the ops endpoints listen (their ports when asked for port 0). */
  endpointAddresses(): Map<'health' | 'ready' | 'metrics', AddressInfo> {
    return this.endpoints?.bound ?? new Map();
  }

  /**
   * The first step of a graceful stop: /ready turns 503 so load balancers and Kubernetes stop
   * sending clients here, while queries are still answered for `ms` (CoreDNS's `lameduck`).
   * endLameduck() cuts it short (a second signal).
   */
  async lameduck(ms: number): Promise<void> {
    this.draining = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.endLameduck = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  skipLameduck(): void {
    this.endLameduck?.();
  }

  async close(): Promise<void> {
    this.draining = true;
    this.listening = false;
    await Promise.all(this.listeners.keys().map((key) => this.listeners.close(key, SHUTDOWN_GRACE_MS)));
    if (this.chains) closeChains(this.chains);
    await Promise.all(this.backends.map((backend) => backend.close()));
    await this.endpoints?.close();
  }

  private async startEndpoints(zones: ZoneSet): Promise<void> {
    this.createMetrics(zones);
    const part = this.part;
    const metrics = this.metrics?.registry;
    const registry =
      metrics && part.kind === 'registries'
        ? { contentType: metrics.contentType, metrics: () => part.metrics(metrics) }
        : metrics;
    this.endpoints = new OpsEndpoints(
      this.config,
      {
        notReady: () => this.notReady(),
        ...(registry ? { registry } : {}),
        ...(this.metrics ? { observeHealthRequest: this.metrics.observeHealthRequest } : {}),
      },
      this.logger,
    );
    await this.endpoints.start();
  }

  private createMetrics(zones: ZoneSet): void {
    if (this.config.metrics) {
      // The `zone` label: the served zones, and the zones of every server block on the port.
      const blockZones = [this.config, ...this.config.blocks].flatMap((config) => config.blockZones);
      const labelled = new Set([
        ...zones.zones.map((zone) => zone.name),
        ...blockZones.filter((zone) => zone !== '.'),
      ]);
      this.queryMetrics = new QueryMetrics([...labelled], LINK_PLUGINS);
      this.metrics = createMetrics({
        queries: this.queryMetrics,
        counters: this.counters,
        server: () => this.listeners.serverLabels()[0] ?? '',
        forward: () => sumForwarderStats(this.forwarders().map((forwarder) => forwarder.stats())),
        searchPath: () => this.chains?.primary.searchPath.stats,
        recursionRefused: () => this.chains?.primary.gate?.refused ?? 0,
        backends: () => {
          const notReady = new Set(this.table.notReady());
          return this.backendStatus.all().map((state) => ({
            ...state,
            ...this.table.viewSize(state.name),
            synced: state.delivered && !notReady.has(state.name),
          }));
        },
        tableVersion: () => this.table.current.version,
        precompiled: () => this.chains?.primary.precompiled,
        plugins: () => this.serverLabels().flatMap((server) => pluginsEnabled(this.config, server)),
        version: packageVersion(),
      });
    }
  }

  /**
   * The chains of a config's blocks over `table`; a block whose settings did not change keeps its
   * running chain (its cache with it) unless `fresh`.
   */
  private buildChains(config: Config, table: ServiceTable, fresh = true): Chains {
    const running = !fresh && this.chains && { config: this.config, ...this.chains };
    return buildChains(
      config,
      (block, elsewhere) =>
        buildResolvers(block, table, {
          logger: this.logger,
          counters: this.counters,
          part: this.part,
          queryMetrics: this.queryMetrics,
          elsewhere,
        }),
      running || undefined,
    );
  }

  private startBackends(
    config: Config,
    table: ServiceTable,
    status: BackendStatus,
  ): Promise<RegistryBackend[]> {
    return startBackends(config, table, status, this.logger, this.metrics);
  }
}

function rateLimiterFor(config: Config): RateLimiter | undefined {
  return config.rrl ? new RateLimiter(config.rrl) : undefined;
}
