// The server's lifecycle: ops endpoints → backends → table → resolvers → listeners; on the way down
// lameduck (still answering, /ready at 503), then listeners, upstreams, backends, endpoints.
//
// The resolver chain, in order:
//   loop probe   answers our own forwarding-loop probe, so a loop is seen and broken
//   search path  short names and autopath, for clients whose namespace is known
//   cluster zone authoritative answers for the served zones
//   recursion    REFUSED for clients not allowed recursion; else
//   forwarder    cache, then the upstreams
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from './config/address.js';
import type { Config } from './config/config.js';
import { lowerLabel, splitName } from './dns/labels.js';
import { BackendStatus } from './ops/backend-status.js';
import { newCounters, type Counters } from './ops/counters.js';
import { OpsEndpoints } from './ops/http.js';
import { createMetrics, type ServerMetrics } from './ops/metrics/metrics.js';
import { QueryMetrics } from './ops/metrics/query-metrics.js';
import type { RegistryBackend } from './registry/backend.js';
import { createBackends } from './registry/create.js';
import { ResolverChain } from './resolve/chain.js';
import { ClusterZoneResolver } from './resolve/cluster/resolver.js';
import { Forwarder } from './resolve/forward/forwarder.js';
import { readResolvConf, upstreamsFromResolvConf, type ResolvConf } from './resolve/forward/resolv-conf.js';
import { LoopDetector } from './resolve/loop-detect.js';
import { AddressPolicy, RecursionGate } from './resolve/recursion.js';
import { SearchPathResolver } from './resolve/search/search-path.js';
import { ZoneSet } from './resolve/zones.js';
import { QueryHandler } from './server/handler.js';
import { TcpListener } from './server/tcp.js';
import { UdpListener } from './server/udp.js';
import { ServiceTable } from './table/table.js';

export interface BoundListener {
  transport: 'udp' | 'tcp';
  address: AddressInfo;
}

/** The `plugin` label of each link of the resolver chain, by position (CoreDNS's plugin names). */
const LINK_PLUGINS = ['loop', 'autopath', 'kubernetes', 'forward'];
/** After lameduck: how long answers still being worked on (an upstream round trip) may take. */
export const SHUTDOWN_GRACE_MS = 5000;

export class ClusterDns {
  readonly table = new ServiceTable();
  readonly counters: Counters = newCounters();
  readonly backendStatus = new BackendStatus();
  private backends: RegistryBackend[] = [];
  private readonly listeners: (UdpListener | TcpListener)[] = [];
  private forwarder: Forwarder | undefined;
  private searchPath: SearchPathResolver | undefined;
  private gate: RecursionGate | undefined;
  private queryMetrics: QueryMetrics | undefined;
  private metrics: ServerMetrics | undefined;
  private endpoints: OpsEndpoints | undefined;
  private serverLabels: string[] = [];
  private listening = false;
  private draining = false;
  private endLameduck: (() => void) | undefined;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<BoundListener[]> {
    const zones = ZoneSet.parse(this.config.zones);
    try {
      // First, so /health answers and /ready says what it waits for while registries sync.
      await this.startEndpoints(zones);
      await this.startBackends();
    } catch (error) {
      await this.close();
      throw error;
    }
    const resolvConf = this.readHostResolvConf();
    const upstreams = this.upstreams(resolvConf);
    const forwarder = upstreams.length
      ? new Forwarder({
          servers: upstreams,
          timeoutMs: this.config.upstreamTimeoutMs,
          maxConcurrent: this.config.maxConcurrent,
          logger: this.logger.child({ part: 'forward' }),
          cache: this.config.cache,
        })
      : undefined;
    this.forwarder = forwarder;
    const cluster = new ClusterZoneResolver(this.table, {
      zones,
      ttl: this.config.ttl,
      ...(this.config.namespaces ? { namespaces: new Set(this.config.namespaces) } : {}),
      pods: this.config.pods,
      ignoreEmptyService: this.config.ignoreEmptyService,
      nsAddresses: serverAddresses(this.config.listen),
      ...(forwarder ? { upstream: forwarder } : {}),
    });
    const policy = new AddressPolicy(this.config.allowRecursion);
    const gate = forwarder ? new RecursionGate(policy, forwarder) : undefined;
    this.gate = gate;
    const outside = gate ?? new ResolverChain([]);
    const searchPath = new SearchPathResolver(this.table, {
      zones,
      ...(this.config.namespace ? { namespace: this.config.namespace } : {}),
      namespaceFromPods: this.config.pods === 'verified',
      autopath: this.config.autopath,
      hostSearch: (resolvConf?.search ?? []).filter(
        (domain) => !zones.find(splitName(domain).map(lowerLabel)),
      ),
      ttl: this.config.ttl,
      cluster,
      outside,
    });
    this.searchPath = searchPath;
    const loop = new LoopDetector();
    const resolver = new ResolverChain([loop, searchPath, cluster, outside]);
    const bound = await this.listen(
      () =>
        new QueryHandler({
          resolver,
          logger: this.logger,
          counters: this.counters,
          logQueries: this.config.logQueries,
          recursionAvailable: (address) => forwarder !== undefined && policy.allows(address),
        }),
    );
    this.listening = true;
    if (forwarder) {
      try {
        await loop.check(forwarder, upstreams.map(formatHostPort).join(', '));
      } catch (error) {
        await this.close();
        throw error;
      }
    }
    return bound;
  }

  /** Counters of every part, for logs. */
  stats() {
    return {
      server: { ...this.counters },
      forward: this.forwarder?.stats(),
      recursionRefused: this.gate?.refused ?? 0,
      searchPath: this.searchPath ? { ...this.searchPath.stats } : undefined,
    };
  }

  /** What keeps /ready from 200, by name: unsynced or stale backends, listeners, shutdown. */
  notReady(): string[] {
    const names = this.table.notReady();
    if (!this.listening) names.push('listeners');
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
    await Promise.all(this.listeners.map((listener) => listener.close(SHUTDOWN_GRACE_MS)));
    this.listeners.length = 0;
    this.forwarder?.close();
    await Promise.all(this.backends.map((backend) => backend.close()));
    await this.endpoints?.close();
  }

  private async startEndpoints(zones: ZoneSet): Promise<void> {
    if (this.config.metrics) {
      this.queryMetrics = new QueryMetrics(
        zones.zones.map((zone) => zone.name),
        LINK_PLUGINS,
      );
      this.metrics = createMetrics({
        queries: this.queryMetrics,
        counters: this.counters,
        server: () => this.serverLabels[0] ?? '',
        forward: () => this.forwarder?.stats(),
        searchPath: () => this.searchPath?.stats,
        recursionRefused: () => this.gate?.refused ?? 0,
        backends: () => {
          const notReady = new Set(this.table.notReady());
          return this.backendStatus.all().map((state) => ({
            ...state,
            ...this.table.viewSize(state.name),
            synced: state.delivered && !notReady.has(state.name),
          }));
        },
        tableVersion: () => this.table.current.version,
        version: packageVersion(),
      });
    }
    this.endpoints = new OpsEndpoints(
      this.config,
      { notReady: () => this.notReady(), ...(this.metrics ? { registry: this.metrics.registry } : {}) },
      this.logger,
    );
    await this.endpoints.start();
  }

  /**
   * Starts every backend and waits, at most --startup-timeout, for all to sync. Serving starts
   * either way: names of a backend that has not synced answer SERVFAIL, never a false NXDOMAIN.
   */
  private async startBackends(): Promise<void> {
    this.backends = await createBackends(this.config, this.logger, {
      ...(this.metrics ? { onProgrammingLatency: this.metrics.observeProgrammingLatency } : {}),
    });
    for (const backend of this.backends) {
      this.table.reserve(backend.name);
      this.backendStatus.add(backend.name);
    }
    this.table.onConflict((conflict) =>
      this.logger.warn(
        conflict,
        `service defined by two registries: ${conflict.served}'s definition is served, ${conflict.ignored}'s ignored`,
      ),
    );
    for (const backend of this.backends) {
      // A zone directory is read whole before start() resolves; live registries sync later.
      if (backend.name !== 'file') this.table.expectBackend(backend.name, this.config.maxStaleMs);
      await backend.start({
        content: (content) => {
          const snapshot = this.table.setContent(backend.name, content);
          this.backendStatus.delivered(backend.name);
          this.logger.info(
            { backend: backend.name, version: snapshot.version, ...snapshot.counts },
            'service table updated',
          );
        },
        changes: (changes) => {
          const index = this.table.applyChanges(backend.name, changes);
          this.backendStatus.delivered(backend.name);
          this.logger.debug(
            { backend: backend.name, version: index.version, services: changes.services.size },
            'service table changed',
          );
        },
        fresh: () => {
          this.table.markSynced(backend.name);
          this.backendStatus.fresh(backend.name);
        },
      });
    }
    const synced = await Promise.all(
      this.backends.map((backend) => backend.whenSynced(this.config.startupTimeoutMs)),
    );
    const waiting = this.backends.filter((_, i) => !synced[i]).map((backend) => backend.name);
    if (waiting.length > 0) {
      this.logger.warn(
        { backends: waiting, waitedMs: this.config.startupTimeoutMs },
        'serving before every registry synced: their zone names answer SERVFAIL until they do',
      );
    }
  }

  /** Binds every --listen address; each gets its own handler, for its own metrics `server` label. */
  private async listen(newHandler: () => QueryHandler): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    try {
      for (const listen of this.config.listen) {
        const handler = newHandler();
        const udp = new UdpListener(listen, handler, this.logger);
        this.listeners.push(udp);
        const udpAddress = await udp.start();
        // The label carries the bound port, known only now when port 0 was asked for.
        const server = serverLabel({ ...listen, port: udpAddress.port });
        this.serverLabels.push(server);
        if (this.queryMetrics) handler.recordTo(this.queryMetrics.recorder(server, listen.family));
        // Port 0 asks for any free port: TCP then takes the same number UDP got.
        const tcp = new TcpListener(
          { ...listen, port: udpAddress.port },
          handler,
          this.logger,
          this.counters,
          {
            idleTimeoutMs: this.config.tcpIdleTimeout * 1000,
            maxConnections: 1000,
            maxInFlightPerConnection: 100,
            maxBufferedOutput: 1 << 20,
          },
        );
        this.listeners.push(tcp);
        const tcpAddress = await tcp.start();
        bound.push({ transport: 'udp', address: udpAddress }, { transport: 'tcp', address: tcpAddress });
        this.logger.info(
          { listen: formatHostPort({ ...listen, port: udpAddress.port }), proto: ['udp', 'tcp'] },
          'listening',
        );
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    return bound;
  }

  private readHostResolvConf(): ResolvConf | undefined {
    try {
      return readResolvConf(readFileSync(this.config.resolvConf, 'utf8'));
    } catch (error) {
      this.logger.warn({ err: error, file: this.config.resolvConf }, 'cannot read resolv.conf');
      return undefined;
    }
  }

  /** --upstream, else the host's nameservers less this server; none means no forwarding. */
  private upstreams(resolvConf: ResolvConf | undefined): HostPort[] {
    if (this.config.upstreams.length > 0) return this.config.upstreams;
    try {
      if (!resolvConf) throw new Error(`no upstream: cannot read ${this.config.resolvConf}; pass --upstream`);
      const upstreams = upstreamsFromResolvConf(resolvConf, this.config.listen, {
        source: this.config.resolvConf,
      });
      this.logger.info(
        { upstreams: upstreams.map(formatHostPort), from: this.config.resolvConf },
        'forwarding',
      );
      return upstreams;
    } catch (error) {
      this.logger.warn(`${(error as Error).message}; names outside the served zones get REFUSED`);
      return [];
    }
  }
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
