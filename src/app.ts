// The server's lifecycle: ops endpoints → backends → table → resolvers → listeners; on the way down
// lameduck (still answering, /ready at 503), then listeners, upstreams, backends, endpoints.
//
// Clients outside --allow-query are answered REFUSED before the chain. The resolver chain, in order:
//   loop probe   answers our own forwarding-loop probe, so a loop is seen and broken
//   search path  short names and autopath, for clients whose namespace is known
//   hosts        --hosts and --hosts-file entries
//   cluster zone authoritative answers for the served zones (NXDOMAIN passes on under --fallthrough)
//   except       REFUSED for --forward-except zones
//   stub domains names under a --stub-domain zone go to its own upstreams
//   recursion    REFUSED for clients not allowed recursion; else
//   forwarder    cache, then the upstreams
// with --loadbalance rotating the address records of every answer, and --dns64 answering IPv6
// clients' AAAA questions for IPv4-only names with AAAA records synthesized from their A records.
//
// A reload builds the parts whose settings changed and swaps them in: the resolver chain always,
// the backends and table only when their settings changed, and a listener only when its address
// (or the TCP settings) changed; until the new parts are ready the old ones keep serving.
//
// Under --workers a server is split in two (see workers/): the primary's half holds the backends,
// the table and the ops endpoints; each worker's half holds a copy of the table, the resolvers and
// the listeners. The Part says which half this is, and what it asks of the other side.
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { hostname, networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from './config/address.js';
import { ConfigError, type Config } from './config/config.js';
import { lowerLabel, splitName } from './dns/labels.js';
import { BackendStatus } from './ops/backend-status.js';
import { newCounters, type Counters } from './ops/counters.js';
import { OpsEndpoints } from './ops/http.js';
import { createMetrics, type ServerMetrics } from './ops/metrics/metrics.js';
import { QueryMetrics } from './ops/metrics/query-metrics.js';
import { pluginsEnabled } from './ops/metrics/plugins.js';
import { PrecompiledAnswers } from './server/precompiled.js';
import { RewritingChain } from './resolve/rewrite/rewrite.js';
import { Dns64Chain } from './resolve/dns64/dns64.js';
import { parseRewriteRule } from './resolve/rewrite/rules.js';
import type { RegistryBackend } from './registry/backend.js';
import type { ServiceEntry } from './table/service-index.js';
import { createBackends } from './registry/create.js';
import { ResolverChain } from './resolve/chain.js';
import { FallthroughResolver } from './resolve/fallthrough.js';
import { ForwardExcept } from './resolve/forward-except.js';
import { HostsResolver, parseHosts } from './resolve/hosts/hosts.js';
import { LoadBalancedChain } from './resolve/load-balance.js';
import type { Resolver, UpstreamLookup } from './resolve/types.js';
import { ClusterZoneResolver } from './resolve/cluster/resolver.js';
import { topologyChoice } from './resolve/cluster/topology.js';
import { Forwarder } from './resolve/forward/forwarder.js';
import { sumForwarderStats } from './resolve/forward/stats-sum.js';
import { readResolvConf, upstreamsFromResolvConf, type ResolvConf } from './resolve/forward/resolv-conf.js';
import { LoopDetector } from './resolve/loop-detect.js';
import { ChaosResolver } from './resolve/chaos.js';
import { LocalResolver } from './resolve/local.js';
import { WhoamiResolver } from './resolve/whoami.js';
import { ExternalZoneResolver } from './resolve/external/external.js';
import { AddressPolicy, RecursionGate } from './resolve/recursion.js';
import { StubDomainResolver } from './resolve/stub-domains.js';
import { SearchPathResolver } from './resolve/search/search-path.js';
import { TemplateResolver, templateFirst } from './resolve/template/resolver.js';
import { ZoneSet } from './resolve/zones.js';
import { BlockDispatch } from './server/dispatch.js';
import { QueryHandler } from './server/handler.js';
import { QueryLogFilter } from './server/query-log.js';
import { DEFAULT_TCP_LIMITS, TcpListener } from './server/tcp.js';
import { isolated } from './server/isolate.js';
import { RateLimiter } from './server/rate-limit.js';
import { UdpListener } from './server/udp.js';
import { startListenerPair } from './server/listener-pair.js';
import { ServiceTable } from './table/table.js';

export interface BoundListener {
  transport: 'udp' | 'tcp';
  address: AddressInfo;
}

/** The `plugin` label of each link of the resolver chain, by position (CoreDNS's plugin names). */
const LINK_PLUGINS = [
  'loop',
  'local',
  'chaos',
  'autopath',
  'template',
  'hosts',
  'k8s_external',
  'kubernetes',
  'whoami',
  'forward',
];
/** After lameduck: how long answers still being worked on (an upstream round trip) may take. */
export const SHUTDOWN_GRACE_MS = 5000;

/** A chain link that never answers: holds a link's place (and its metrics label) when it is off. */
const ABSENT: Resolver = { resolve: () => undefined };

/** Which part of a server this process runs. */
export type Part = WholeServer | RegistryPart | AnsweringPart;

/** Everything in one process: no --workers. */
export interface WholeServer {
  kind: 'whole';
}

/** The primary's half under --workers: backends, table and ops endpoints; workers answer. */
export interface RegistryPart {
  kind: 'registries';
  /** The table is in use: at start, and when a reload swaps in a new one. */
  tableInUse(table: ServiceTable): void;
  /** What of the workers keeps /ready from 200, by name. */
  notReady(): string[];
  /** The /metrics body: this process's metrics summed with every worker's. */
  metrics(own: Registry): Promise<string>;
}

/** A worker's half: a copy of the table, the resolvers and the listeners. */
export interface AnsweringPart {
  kind: 'answering';
  /** The copy of the primary's table, as of now (a reload with new backends takes the new one). */
  table(): ServiceTable;
  /** Shared by every worker: the probe one sends may come back to another. */
  probeName: string;
  /** Whether this worker sends the loop probe at start (one of them does). */
  checkLoop: boolean;
  /** The probe came back here. */
  onLoopProbe(): void;
}

const WHOLE: WholeServer = { kind: 'whole' };

/** The parts built from the resolver settings; rebuilt whole on every reload. */
interface Resolvers {
  /** The names the chain takes (its server block's zones). */
  zones: string[];
  /** A handler per listener, each counting into its own listener's metrics. */
  newHandler: () => QueryHandler;
  precompiled: PrecompiledAnswers;
  forwarder: Forwarder | undefined;
  stubForwarders: Forwarder[];
  searchPath: SearchPathResolver;
  gate: RecursionGate | undefined;
  loop: LoopDetector;
  upstreams: HostPort[];
}

/** A server block's chain beside the primary one. */
interface BlockChain {
  config: Config;
  resolvers: Resolvers;
}

/** Every block's chain on a port: the primary block's, then the others'. */
interface Chains {
  primary: Resolvers;
  blocks: BlockChain[];
}

/**
 * The chain of the block whose zones hold `name` most closely (the primary's when none does): where
 * an ExternalName target is looked up. Queries are dispatched by server/dispatch.ts, on their bytes.
 */
function blockFor(chains: Chains, asked: string): Resolvers {
  const name = asked.toLowerCase();
  const all = [chains.primary, ...chains.blocks.map((block) => block.resolvers)];
  let best = chains.primary;
  let bestLength = -1;
  for (const resolvers of all) {
    for (const zone of resolvers.zones) {
      const length = zone === '.' ? 0 : zone.length;
      const holds = zone === '.' || name === zone || name.endsWith(`.${zone}`);
      if (length > bestLength && holds) {
        best = resolvers;
        bestLength = length;
      }
    }
  }
  return best;
}

interface Listening {
  udp: UdpListener;
  tcp: TcpListener;
  bound: BoundListener[];
  /** The metrics `server` label, as CoreDNS writes it. */
  server: string;
  family: 4 | 6;
  /** What the sockets call: swapped on reload, so a kept listener serves the new chain. */
  slot: { handler: Pick<QueryHandler, 'handle'> };
}

export class ClusterDns {
  table = new ServiceTable();
  readonly counters: Counters = newCounters();
  backendStatus = new BackendStatus();
  private backends: RegistryBackend[] = [];
  private readonly listeners = new Map<string, Listening>();
  /** The primary block's chain; its config is this.config. */
  private resolvers: Resolvers | undefined;
  /** The chains of the other server blocks on this port (config.blocks), in that order. */
  private blockChains: BlockChain[] = [];
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
  ) {}

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
      ({ primary: this.resolvers, blocks: this.blockChains } = this.buildChains(this.config, this.table));
      await this.listen(this.config, this.config.listen);
    } catch (error) {
      await this.close();
      throw error;
    }
    this.listening = true;
    const { forwarder, loop, upstreams } = this.resolvers;
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
    return [...this.listeners.values()].flatMap((listening) => listening.bound);
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
    const bound = new Set([...this.listeners.values()].map((listening) => listening.server));
    return bound.size > 0 ? [...bound] : this.config.listen.map(serverLabel);
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
    const listenersBefore = new Set(this.listeners.keys());
    const relisten = changed.includes('listeners') && part.kind !== 'registries';
    const added: string[] = [];
    try {
      if (newBackends && part.kind !== 'answering')
        backends = await this.startBackends(next, table, backendStatus);
      if (part.kind !== 'registries') chains = this.buildChains(next, table, newBackends || force);
      if (relisten) added.push(...(await this.listen(next, next.listen, true, chains)));
    } catch (error) {
      await Promise.all(backends.map((backend) => backend.close()));
      if (chains) this.closeChains(chains);
      await Promise.all(added.map((key) => this.closeListener(key)));
      throw error;
    }
    const previous: Chains | undefined = this.resolvers && {
      primary: this.resolvers,
      blocks: this.blockChains,
    };
    const oldBackends = this.backends;
    if (chains) {
      this.resolvers = chains.primary;
      this.blockChains = chains.blocks;
      for (const listening of this.listeners.values()) this.serveWith(listening, chains);
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
        [...listenersBefore].filter((key) => !keep.has(key)).map((key) => this.closeListener(key)),
      );
    }
    if (previous && chains) this.closeChains(previous, chains);
    this.logger.info({ changed }, 'configuration reloaded');
    return { changed };
  }

  /** The forwarders of every block on this port. */
  private forwarders(): Forwarder[] {
    const all = [this.resolvers, ...this.blockChains.map((block) => block.resolvers)];
    return all.flatMap((resolvers) => (resolvers?.forwarder ? [resolvers.forwarder] : []));
  }

  /** Counters of every part, for logs. */
  stats() {
    return {
      server: { ...this.counters },
      forward: sumForwarderStats(this.forwarders().map((forwarder) => forwarder.stats())),
      recursionRefused: this.resolvers?.gate?.refused ?? 0,
      searchPath: this.resolvers ? { ...this.resolvers.searchPath.stats } : undefined,
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
    await Promise.all([...this.listeners.keys()].map((key) => this.closeListener(key, SHUTDOWN_GRACE_MS)));
    if (this.resolvers) this.closeChains({ primary: this.resolvers, blocks: this.blockChains });
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
        server: () => this.listeners.values().next().value?.server ?? '',
        forward: () => sumForwarderStats(this.forwarders().map((forwarder) => forwarder.stats())),
        searchPath: () => this.resolvers?.searchPath.stats,
        recursionRefused: () => this.resolvers?.gate?.refused ?? 0,
        backends: () => {
          const notReady = new Set(this.table.notReady());
          return this.backendStatus.all().map((state) => ({
            ...state,
            ...this.table.viewSize(state.name),
            synced: state.delivered && !notReady.has(state.name),
          }));
        },
        tableVersion: () => this.table.current.version,
        precompiled: () => this.resolvers?.precompiled,
        plugins: () => this.serverLabels().flatMap((server) => pluginsEnabled(this.config, server)),
        version: packageVersion(),
      });
    }
  }

  /**
   * Point a listener at the chains, with handlers counting into its own metrics: the primary
   * block's handler alone when it is the port's only block, else a dispatch by zone.
   */
  private serveWith(listening: Listening, chains: Chains): void {
    const recorder = this.queryMetrics?.recorder(listening.server, listening.family);
    const handlerOf = (resolvers: Resolvers) => {
      const handler = resolvers.newHandler();
      if (recorder) handler.recordTo(recorder);
      return handler;
    };
    const primary = handlerOf(chains.primary);
    listening.slot.handler = chains.blocks.length
      ? new BlockDispatch(
          [
            { zones: chains.primary.zones, handler: primary },
            ...chains.blocks.map(({ resolvers }) => ({
              zones: resolvers.zones,
              handler: handlerOf(resolvers),
            })),
          ],
          primary,
        )
      : primary;
  }

  /**
   * The chains of a config's blocks. A block whose config is what it was, over the same table,
   * keeps its running chain (its cache with it), unless `fresh`; the others are built.
   */
  private buildChains(config: Config, table: ServiceTable, fresh = true): Chains {
    const running = new Map<string, BlockChain>();
    if (!fresh && this.resolvers) {
      for (const chain of [{ config: this.config, resolvers: this.resolvers }, ...this.blockChains])
        running.set(chain.config.blockZones.join(' '), chain);
    }
    const built: Resolvers[] = [];
    const reuse = (block: Config): Resolvers | undefined => {
      const before = running.get(block.blockZones.join(' '));
      return before && isDeepStrictEqual({ ...before.config, blocks: [] }, { ...block, blocks: [] })
        ? before.resolvers
        : undefined;
    };
    const build = (block: Config): Resolvers => {
      const kept = reuse(block);
      if (kept) return kept;
      const resolvers = this.buildResolvers(block, table, lookUpElsewhere);
      built.push(resolvers);
      return resolvers;
    };
    // A block's ExternalName targets outside its zones go where the server sends their names.
    let chains: Chains | undefined;
    const lookUpElsewhere: UpstreamLookup = {
      lookup: (name, type) => {
        const owner = chains && blockFor(chains, name);
        return owner?.forwarder?.lookup(name, type) ?? Promise.resolve(undefined);
      },
    };
    try {
      chains = {
        primary: build(config),
        blocks: config.blocks.map((block) => ({ config: block, resolvers: build(block) })),
      };
    } catch (error) {
      for (const resolvers of built) closeForwarders(resolvers);
      throw error;
    }
    return chains;
  }

  /** Close the forwarders of `chains`, but those `kept` (a reload's chains) still use. */
  private closeChains(chains: Chains, kept?: Chains): void {
    const inUse = new Set(kept ? [kept.primary, ...kept.blocks.map((block) => block.resolvers)] : []);
    for (const resolvers of [chains.primary, ...chains.blocks.map((block) => block.resolvers)])
      if (!inUse.has(resolvers)) closeForwarders(resolvers);
  }

  /** Close one address's sockets; answers still being worked on get `graceMs` to finish. */
  private async closeListener(key: string, graceMs = 0): Promise<void> {
    const listening = this.listeners.get(key);
    if (!listening) return;
    this.listeners.delete(key);
    await Promise.all([listening.udp.close(), listening.tcp.close(graceMs)]);
  }

  /**
   * Starts every backend and waits, at most --startup-timeout, for all to sync. Serving starts
   * either way: names of a backend that has not synced answer SERVFAIL, never a false NXDOMAIN.
   */
  private async startBackends(
    config: Config,
    table: ServiceTable,
    status: BackendStatus,
  ): Promise<RegistryBackend[]> {
    const backends = await createBackends(config, this.logger, {
      ...(this.metrics ? { onProgrammingLatency: this.metrics.observeProgrammingLatency } : {}),
      onRestart: (name) => status.restarted(name),
      onOversizedRead: (name) => status.oversizedRead(name),
    });
    try {
      for (const backend of backends) {
        table.reserve(backend.name);
        status.add(backend.name);
      }
      table.onConflict((conflict) =>
        this.logger.warn(
          conflict,
          `service defined by two registries: ${conflict.served}'s definition is served, ${conflict.ignored}'s ignored`,
        ),
      );
      for (const backend of backends) {
        // A zone directory is read whole before start() resolves; live registries sync later.
        if (backend.name !== 'file') table.expectBackend(backend.name, config.maxStaleMs);
        await backend.start({
          content: (content) => {
            const snapshot = table.setContent(backend.name, content);
            status.delivered(backend.name);
            this.logger.info(
              { backend: backend.name, version: snapshot.version, ...snapshot.counts },
              'service table updated',
            );
          },
          changes: (changes) => {
            const index = table.applyChanges(backend.name, changes);
            status.delivered(backend.name);
            this.logger.debug(
              { backend: backend.name, version: index.version, services: changes.services.size },
              'service table changed',
            );
          },
          fresh: () => {
            table.markSynced(backend.name);
            status.fresh(backend.name);
          },
        });
      }
    } catch (error) {
      await Promise.all(backends.map((backend) => backend.close()));
      throw error;
    }
    const synced = await Promise.all(backends.map((backend) => backend.whenSynced(config.startupTimeoutMs)));
    const waiting = backends.filter((_, i) => !synced[i]).map((backend) => backend.name);
    if (waiting.length > 0) {
      this.logger.warn(
        { backends: waiting, waitedMs: config.startupTimeoutMs },
        'serving before every registry synced: their zone names answer SERVFAIL until they do',
      );
    }
    return backends;
  }

  private buildResolvers(config: Config, table: ServiceTable, elsewhere?: UpstreamLookup): Resolvers {
    const zones = ZoneSet.parse(config.zones);
    const resolvConf = this.readHostResolvConf(config);
    const upstreams = this.upstreams(config, resolvConf);
    const forwarder = upstreams.length
      ? new Forwarder({
          servers: upstreams,
          timeoutMs: config.upstreamTimeoutMs,
          maxConcurrent: config.maxConcurrent,
          ...config.upstreamPool,
          logger: this.logger.child({ part: 'forward' }),
          cache: config.cache,
        })
      : undefined;
    const hosts = readHosts(config, this.logger);
    const policy = new AddressPolicy(config.allowRecursion);
    const allowQuery = config.allowQuery ? new AddressPolicy(config.allowQuery) : undefined;
    const refusedLog = (client: string, refused: number) =>
      this.logger.warn(
        { client, refused },
        'a client outside --allow-recursion asked for a name outside the zones: REFUSED (add its range to --allow-recursion; logged once a minute)',
      );
    const gate = forwarder ? new RecursionGate(policy, forwarder, refusedLog) : undefined;
    const stubForwarders = config.stubDomains.map(
      ({ zone, upstreams: servers }) =>
        new Forwarder({
          servers,
          timeoutMs: config.upstreamTimeoutMs,
          maxConcurrent: config.maxConcurrent,
          ...config.upstreamPool,
          logger: this.logger.child({ part: 'forward', zone }),
          cache: config.cache,
        }),
    );
    // The recursion policy guards each stub zone as it guards the default upstreams.
    const stubs = stubForwarders.length
      ? new StubDomainResolver(
          config.stubDomains.map(({ zone }, i) => ({
            zone,
            forwarder: new RecursionGate(policy, stubForwarders[i]!, refusedLog),
          })),
        )
      : undefined;
    const outside = new ResolverChain(
      present([
        hosts,
        config.forwardExcept ? new ForwardExcept(config.forwardExcept) : undefined,
        stubs,
        gate,
      ]),
    );
    const nsAddresses = serverAddresses(config.listen);
    const clusterZone = new ClusterZoneResolver(table, {
      zones,
      ttl: config.ttl,
      ...(config.namespaces ? { namespaces: new Set(config.namespaces) } : {}),
      pods: config.pods,
      ignoreEmptyService: config.ignoreEmptyService,
      ...(config.zonal ? { zonal: true } : {}),
      ...(config.topologyAware ? { topologyAware: true } : {}),
      nsAddresses,
      ...(forwarder ? { upstream: forwarder } : elsewhere ? { upstream: elsewhere } : {}),
    });
    const cluster = config.fallthrough
      ? new FallthroughResolver(clusterZone, outside, config.fallthrough)
      : clusterZone;
    // CoreDNS's order: autopath, template, hosts, kubernetes, forward. The search path tries its
    // names through the links after it, so templates answer them too.
    const template = config.templates.length
      ? new TemplateResolver(config.templates, {
          logger: this.logger.child({ part: 'template' }),
          chain: (): Resolver => resolver,
        })
      : undefined;
    const external = config.external ? this.externalZone(config, table, nsAddresses, outside) : ABSENT;
    const searchPath = new SearchPathResolver(table, {
      zones,
      ...(config.namespace ? { namespace: config.namespace } : {}),
      namespaceFromPods: config.pods === 'verified',
      autopath: config.autopath,
      hostSearch: (resolvConf?.search ?? []).filter(
        (domain) => !zones.find(splitName(domain).map(lowerLabel)),
      ),
      ttl: config.ttl,
      cluster: template ? templateFirst(template, cluster) : cluster,
      outside: template ? templateFirst(template, outside) : outside,
    });
    const part = this.part;
    const loop =
      part.kind === 'answering' ? new LoopDetector(part.probeName, part.onLoopProbe) : new LoopDetector();
    // The same links always, so each keeps its metrics `plugin` label (LINK_PLUGINS) whatever is off.
    const chaos = config.chaos
      ? new ChaosResolver({
          zones: config.chaos.zones,
          version: config.chaos.version ?? `clusterdns-${packageVersion()}`,
          authors: config.chaos.authors,
          hostname: hostname(),
        })
      : ABSENT;
    const local = config.local ? new LocalResolver() : ABSENT;
    // whoami answers what nothing before it does; CoreDNS runs it after forward, which answers all.
    const whoami = config.whoami && !forwarder ? new WhoamiResolver() : ABSENT;
    const links = [
      loop,
      local,
      chaos,
      searchPath,
      template ?? ABSENT,
      hosts ?? ABSENT,
      external,
      cluster,
      whoami,
      outside,
    ];
    const chain = config.loadbalance ? new LoadBalancedChain(links) : new ResolverChain(links);
    // Without rules the handler asks the chain itself: rewrite costs nothing when it is off.
    const resolver = config.rewrite.length
      ? new RewritingChain(
          chain,
          config.rewrite.map((words) => parseRewriteRule(words)),
        )
      : chain;
    // dns64 sees the rewritten chain's answers, as CoreDNS runs dns64 before rewrite; off, it costs nothing.
    const front = config.dns64 ? new Dns64Chain(resolver, config.dns64) : resolver;
    // Shared by every listener's handler, rebuilt with the resolvers on reload.
    const precompiled = new PrecompiledAnswers({
      table,
      zones,
      cluster,
      clusterLink: links.indexOf(cluster),
      negativeAnswers: !config.autopath && !config.fallthrough,
      rotatesAddresses: config.loadbalance,
      udpSize: config.bufsize,
      // A headless service's topology-aware answers are compiled per variant (server/precompiled.ts).
      ...(config.topologyAware
        ? {
            clientVariant: (service: ServiceEntry, address: string) =>
              topologyChoice(table.current, service, address)?.variant,
          }
        : {}),
      ...(this.queryMetrics ? { answerSlots: this.queryMetrics.answerSlots } : {}),
      // Forwarded answers are the same for every client unless the search path knows clients'
      // namespaces (a short name may then name a service for one client and not another).
      ...(forwarder && !config.namespace && config.pods !== 'verified'
        ? { forwarded: { link: links.indexOf(outside), forwarder } }
        : {}),
    });
    const newHandler = () =>
      new QueryHandler({
        resolver: front,
        logger: this.logger,
        counters: this.counters,
        ...(config.logQueries ? { queryLog: new QueryLogFilter(config.queryLog) } : {}),
        recursionAvailable: (address) =>
          (forwarder !== undefined || stubForwarders.length > 0) && policy.allows(address),
        precompiled,
        udpSize: config.bufsize,
        ...(allowQuery ? { allowQuery } : {}),
      });
    return {
      zones: config.blockZones,
      newHandler,
      forwarder,
      stubForwarders,
      searchPath,
      gate,
      loop,
      upstreams,
      precompiled,
    };
  }

  /** k8s_external: CoreDNS runs it before kubernetes, reading the same services. */
  private externalZone(
    config: Config,
    table: ServiceTable,
    nsAddresses: string[],
    outside: Resolver,
  ): Resolver {
    const { zones, ttl, apex, headless, fallthrough } = config.external!;
    const resolver = new ExternalZoneResolver(table, {
      zones,
      ttl,
      apex,
      headless,
      ...(config.namespaces ? { namespaces: new Set(config.namespaces) } : {}),
      nsAddresses,
    });
    return fallthrough ? new FallthroughResolver(resolver, outside, fallthrough) : resolver;
  }

  /**
   * Binds the addresses not bound yet (all of them when `fresh`: TCP settings changed) and returns
   * their keys. A key already bound keeps its sockets: a reload does not drop queries in flight.
   */
  private async listen(
    config: Config,
    addresses: HostPort[],
    fresh = false,
    chains: Chains = { primary: this.resolvers!, blocks: this.blockChains },
  ): Promise<string[]> {
    const added: string[] = [];
    const tcpChanged =
      fresh &&
      (this.config.tcpIdleTimeout !== config.tcpIdleTimeout ||
        this.config.tcpMaxConnections !== config.tcpMaxConnections);
    for (const listen of addresses) {
      const key = formatHostPort(listen);
      if (this.listeners.has(key) && !tcpChanged) continue;
      if (this.listeners.has(key)) await this.closeListener(key);
      const slot: Listening['slot'] = { handler: chains.primary.newHandler() };
      const entry = isolated(
        (...args: Parameters<QueryHandler['handle']>) => slot.handler.handle(...args),
        this.logger,
        this.counters,
      );
      const { udp, udpAddress, tcp, tcpAddress } = await this.bindPair(listen, entry, config);
      const listening: Listening = {
        udp,
        tcp,
        bound: [
          { transport: 'udp', address: udpAddress },
          { transport: 'tcp', address: tcpAddress },
        ],
        // The label carries the bound port, known only now when port 0 was asked for.
        server: serverLabel({ ...listen, port: udpAddress.port }),
        family: listen.family,
        slot,
      };
      this.serveWith(listening, chains);
      this.listeners.set(key, listening);
      added.push(key);
      this.logger.info(
        { listen: formatHostPort({ ...listen, port: udpAddress.port }), proto: ['udp', 'tcp'] },
        'listening',
      );
    }
    return added;
  }

  /** The UDP and TCP sockets of one address, on one port number (see startListenerPair). */
  private bindPair(listen: HostPort, entry: Pick<QueryHandler, 'handle'>, config: Config) {
    return startListenerPair(
      listen.port,
      (port) =>
        new UdpListener({ ...listen, port }, entry, this.logger, this.counters, () => this.rateLimiter),
      (port) =>
        new TcpListener({ ...listen, port }, entry, this.logger, this.counters, {
          ...DEFAULT_TCP_LIMITS,
          idleTimeoutMs: config.tcpIdleTimeout * 1000,
          maxConnections: config.tcpMaxConnections,
        }),
    );
  }

  private readHostResolvConf(config: Config): ResolvConf | undefined {
    // '': no host resolver at all (a Corefile block without forward).
    if (config.resolvConf === '') return undefined;
    try {
      return readResolvConf(readFileSync(config.resolvConf, 'utf8'));
    } catch (error) {
      this.logger.warn({ err: error, file: config.resolvConf }, 'cannot read resolv.conf');
      return undefined;
    }
  }

  /** --upstream, else the host's nameservers less this server; none means no forwarding. */
  private upstreams(config: Config, resolvConf: ResolvConf | undefined): HostPort[] {
    if (config.upstreams.length > 0) return config.upstreams;
    if (config.resolvConf === '') return [];
    try {
      if (!resolvConf) throw new Error(`no upstream: cannot read ${config.resolvConf}; pass --upstream`);
      const upstreams = upstreamsFromResolvConf(resolvConf, config.listen, {
        source: config.resolvConf,
      });
      this.logger.info({ upstreams: upstreams.map(formatHostPort), from: config.resolvConf }, 'forwarding');
      return upstreams;
    } catch (error) {
      this.logger.warn(`${(error as Error).message}; names outside the served zones get REFUSED`);
      return [];
    }
  }
}

function rateLimiterFor(config: Config): RateLimiter | undefined {
  return config.rrl ? new RateLimiter(config.rrl) : undefined;
}

function closeForwarders(resolvers: Resolvers): void {
  resolvers.forwarder?.close();
  for (const forwarder of resolvers.stubForwarders) forwarder.close();
}

function present(links: (Resolver | undefined)[]): Resolver[] {
  return links.filter((link): link is Resolver => link !== undefined);
}

/**
 * The hosts entries of --hosts and --hosts-file. A missing file is a warning and serves the inline
 * entries, as CoreDNS's hosts does (k3s's NodeHosts appears once the node has joined; the file is
 * watched, and read when it does); a file that cannot be read otherwise fails the (re)load.
 */
function readHosts(config: Config, logger: Logger): HostsResolver | undefined {
  const entries = parseHosts(config.hosts.lines.join('\n'), '--hosts');
  const file = config.hosts.file;
  if (file !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      if (code !== 'ENOENT') {
        // A directory, or a file this user may not read: the fix is in what was given.
        const reasons: Record<string, string> = {
          EACCES: 'permission denied: make it readable by the user the server runs as',
          EISDIR: 'a directory: name the hosts file itself',
        };
        const reason = (code && reasons[code]) ?? message;
        throw new ConfigError(`--hosts-file ${file}: cannot read it: ${reason}`, { cause: error });
      }
      logger.warn({ file }, 'hosts file does not exist: serving its inline entries until it does');
    }
    if (text !== undefined) entries.push(...parseHosts(text, `--hosts-file ${file}`));
  }
  const { zones, fallthrough } = config.hosts;
  // Without fallthrough, hosts answers for every name of its zones, listed or not.
  const everyName = fallthrough.includes('.');
  return entries.length || !everyName
    ? new HostsResolver(entries, config.hosts.ttl, { zones, fallthrough })
    : undefined;
}

/** Settings read only when backends start, and only when listeners bind. */
const BACKEND_KEYS = ['zonesDir', 'zoneFiles', 'kubernetes', 'startupTimeoutMs', 'maxStaleMs'] as const;
const LISTENER_KEYS = ['listen', 'tcpIdleTimeout', 'tcpMaxConnections'] as const;
/** Settings of the ops endpoints and logs, which a running server keeps (see reload()). */
const ENDPOINT_KEYS = ['health', 'ready', 'metrics', 'logFormat'] as const;

/** `next`, but with the ops endpoint settings of the running `old` (see reload()). */
function withEndpointsOf(old: Config, next: Config): Config {
  const config: Config = { ...next };
  for (const key of ENDPOINT_KEYS) {
    if (old[key] === undefined) delete config[key];
    else Object.assign(config, { [key]: old[key] });
  }
  return config;
}

/** Which parts a new config needs rebuilt: always the resolvers when anything changed. */
export function changedSections(old: Config, next: Config): string[] {
  if (isDeepStrictEqual(old, next)) return [];
  const differs = (keys: readonly (keyof Config)[]) =>
    keys.some((key) => !isDeepStrictEqual(old[key], next[key]));
  // Pods are watched only for `pods verified` and --topology-aware, Nodes only for the latter.
  const watched = (config: Config) =>
    `${config.pods === 'verified' || config.topologyAware === true} ${config.topologyAware === true}`;
  return [
    ...(differs(BACKEND_KEYS) || watched(old) !== watched(next) ? ['backends'] : []),
    ...(differs(LISTENER_KEYS) ? ['listeners'] : []),
    ...(differs(ENDPOINT_KEYS) ? ['endpoints'] : []),
    'resolvers',
  ];
}

/** A listener as CoreDNS names it in the `server` label: `dns://:53` for every interface. */
function serverLabel({ host, port, family }: HostPort): string {
  if (host === '0.0.0.0' || host === '::') return `dns://:${port}`;
  return `dns://${family === 6 ? `[${host}]` : host}:${port}`;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The addresses this server is reachable at, for `ns.dns.<zone>` and the apex NS glue: the listen
 * addresses, with a wildcard (0.0.0.0, ::) standing for every non-loopback interface address.
 */
function serverAddresses(listen: HostPort[]): string[] {
  const addresses = new Set<string>();
  for (const { host, family } of listen) {
    if (host !== '0.0.0.0' && host !== '::') {
      addresses.add(host);
      continue;
    }
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        const infoFamily = info.family === 'IPv6' ? 6 : 4;
        if (!info.internal && infoFamily === family && !info.address.startsWith('fe80:'))
          addresses.add(info.address);
      }
    }
  }
  return [...addresses];
}
