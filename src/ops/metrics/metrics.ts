// The /metrics registry: one place that reads every part of the server and names what it reads.
// Per-query series come from QueryMetrics' preallocated cells; everything the parts already count
// (cache, upstreams, autopath, backends, table, malformed input) is read when Prometheus scrapes,
// so it costs the query path nothing. CoreDNS's names and labels where CoreDNS has the metric,
// `clusterdns_*` where it has none.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { rcodeName } from '../../dns/mnemonics.js';
import type { ForwarderStats } from '../../resolve/forward/forwarder.js';
import type { LatencyStats } from '../../resolve/forward/latency.js';
import type { SearchPathStats } from '../../resolve/search/search-path.js';
import type { BackendState } from '../backend-status.js';
import { buildRevision } from '../build-info.js';
import { reloadFailures } from '../reload-failures.js';

/** A backend as /metrics reports it: its sync state and what it contributes to the table. */
export interface BackendReport extends BackendState {
  synced: boolean;
  services: number;
  endpoints: number;
  pods: number;
}
import type { Counters } from '../counters.js';
import { uncaughtErrors } from '../crash-policy.js';
import { logDrops } from '../logger.js';
import { exponentialBuckets, type Labels, type Sample } from './cells.js';
import type { QueryMetrics } from './query-metrics.js';

/** What the metrics read, all of it live: each call returns the current value. */
export interface MetricsSource {
  queries: QueryMetrics;
  counters: Counters;
  /** The `server` label of the parts every listener shares (cache, autopath): the first listener's. */
  server: () => string;
  forward: () => ForwarderStats | undefined;
  searchPath: () => SearchPathStats | undefined;
  recursionRefused: () => number;
  backends: () => BackendReport[];
  tableVersion: () => number;
  precompiled: () => PrecompiledStats | undefined;
  /** The plugins each server block runs, as coredns_plugin_enabled labels them. */
  plugins: () => PluginEnabled[];
  version: string;
}

export interface PluginEnabled {
  server: string;
  zone: string;
  name: string;
}

export interface PrecompiledStats {
  size: number;
  sizeBytes: number;
  hits: number;
  compiled: number;
}

export interface ServerMetrics {
  registry: Registry;
  /** Feeds coredns_kubernetes_dns_programming_duration_seconds. */
  observeProgrammingLatency: (ms: number) => void;
  /** Feeds coredns_health_request_duration_seconds. */
  observeHealthRequest: (seconds: number) => void;
}

export function createMetrics(source: MetricsSource): ServerMetrics {
  const registry = new Registry();
  registerProcess(registry);
  registerQuerySeries(registry, source.queries);
  const programming = new Histogram({
    name: 'coredns_kubernetes_dns_programming_duration_seconds',
    help: 'Time from a Kubernetes API change arriving to the service table answering from it.',
    // CoreDNS's buckets for this metric: 1 ms doubling to about 9 minutes.
    buckets: exponentialBuckets(0.001, 2, 20),
    registers: [registry],
  });
  new Gauge({
    name: 'coredns_build_info',
    help: 'A metric with a constant 1 labeled by version, revision and runtime.',
    labelNames: ['version', 'revision', 'goversion'],
    registers: [registry],
    // Under --workers each process has it: one sample, not their sum.
    aggregator: 'first',
    // goversion, as CoreDNS names the label, holds the runtime's version: Node's.
  }).set(
    { version: source.version, revision: buildRevision(), goversion: `node${process.versions.node}` },
    1,
  );
  const health = new Histogram({
    name: 'coredns_health_request_duration_seconds',
    help: 'Histogram of the time (in seconds) each /health request took.',
    // CoreDNS's SlimTimeBuckets: 0.25 ms to 2.5 s, by tens (plugin/health/metrics.go).
    buckets: exponentialBuckets(0.00025, 10, 5),
    registers: [registry],
  });
  scrapedCounter(
    registry,
    'coredns_reload_failed_total',
    'Counter of the number of failed reload attempts.',
    [],
    () => [[{}, reloadFailures.count]],
  );
  scrapedGauge(
    registry,
    'coredns_plugin_enabled',
    'A metric that indicates whether a plugin is enabled on per server and zone basis.',
    ['server', 'zone', 'name'],
    () => source.plugins().map((labels) => [{ ...labels }, 1]),
    // Under --workers every process runs the same blocks: one sample each, not their count.
    'first',
  );
  scrapedCounter(
    registry,
    'coredns_panics_total',
    'Queries whose answering threw; each got SERVFAIL.',
    [],
    () => [[{}, source.counters.queryErrors]],
  );
  registerCache(registry, source);
  registerForward(registry, source);
  scrapedCounter(
    registry,
    'coredns_autopath_success_total',
    'Queries answered by autopath on the server.',
    ['server'],
    () => {
      const stats = source.searchPath();
      return stats ? [[{ server: source.server() }, stats.autopathSuccess]] : [];
    },
  );
  registerOwn(registry, source);
  return {
    registry,
    observeProgrammingLatency: (ms) => programming.observe(ms / 1000),
    observeHealthRequest: (seconds) => health.observe(seconds),
  };
}

/**
 * Prometheus' process_* and Node's nodejs_* series, which CoreDNS's dashboards plot for CPU,
 * memory and file descriptors. Under --workers the primary adds up every process's: CPU seconds,
 * memory, open and allowed descriptors are the pod's totals, the numbers a container limit is
 * set against and a dashboard's `rate(process_cpu_seconds_total)` reads without knowing of workers.
 */
function registerProcess(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  // prom-client leaves the start time out of a sum; the earliest start is the primary's, when
  // the server started.
  const startTime = registry.getSingleMetric('process_start_time_seconds');
  if (startTime) (startTime as unknown as { aggregator: string }).aggregator = 'min';
}

type Row = [Labels, number];

/** A counter whose value a part keeps; read at scrape time. */
function scrapedCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  rows: () => Row[],
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of rows()) this.inc(labels, value);
    },
  });
}

function scrapedGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  rows: () => Row[],
  aggregator: 'sum' | 'first' = 'sum',
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    aggregator,
    collect() {
      this.reset();
      for (const [labels, value] of rows()) this.set(labels, value);
    },
  });
}

/** A metric whose samples are produced whole at scrape time (histograms prom-client cannot set). */
function sampled(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  samples: () => Sample[],
): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type, aggregator: 'sum', values: samples() }),
  };
  registry.registerMetric(metric as unknown as Metric);
}

function registerQuerySeries(registry: Registry, queries: QueryMetrics): void {
  const help: Record<string, [string, 'counter' | 'histogram']> = {
    coredns_dns_requests_total: ['Counter of DNS requests made per zone, protocol and family.', 'counter'],
    coredns_dns_do_requests_total: ['Counter of DNS requests with the DO bit set per zone.', 'counter'],
    coredns_dns_responses_total: ['Counter of response status codes per zone and answering part.', 'counter'],
    coredns_dns_request_duration_seconds: [
      'Histogram of the time (in seconds) each request took per zone.',
      'histogram',
    ],
    coredns_dns_request_size_bytes: ['Size of the request in bytes per zone and protocol.', 'histogram'],
    coredns_dns_response_size_bytes: [
      'Size of the returned response in bytes per zone and protocol.',
      'histogram',
    ],
  };
  // One pass over the cells per scrape, shared by the six metrics it feeds: the registry asks each
  // metric for its values in the same tick, and the pass is forgotten on the next.
  let cached: Record<string, Sample[]> | undefined;
  const samplesOf = (name: string) => {
    if (!cached) {
      cached = queries.samples();
      setImmediate(() => (cached = undefined));
    }
    return cached[name] ?? [];
  };
  for (const [name, [text, type]] of Object.entries(help)) {
    sampled(registry, name, text, type, () => samplesOf(name));
  }
}

function registerCache(registry: Registry, source: MetricsSource): void {
  // The forwarder's cache answers names outside the served zones: CoreDNS's root-zone cache.
  const base = () => ({ server: source.server(), zones: '.' });
  const cache = () => source.forward()?.cache;
  type CacheStats = NonNullable<ReturnType<typeof cache>>;
  /** One sample per cache kind (success, denial), as CoreDNS labels `type`. */
  const byKind = (read: (stats: CacheStats) => { success: number; denial: number }) => () => {
    const stats = cache();
    if (!stats) return [];
    const counts = read(stats);
    return (['success', 'denial'] as const).map(
      (type) => [{ ...base(), type }, counts[type]] as [Record<string, string>, number],
    );
  };
  scrapedGauge(
    registry,
    'coredns_cache_entries',
    'The number of elements in the cache.',
    ['server', 'zones', 'type'],
    byKind((stats) => stats.entriesByKind),
  );
  scrapedGauge(
    registry,
    'clusterdns_cache_size_bytes',
    'Bytes held by the cache per kind, as counted against --cache-max-bytes.',
    ['server', 'zones', 'type'],
    byKind((stats) => stats.bytesByKind),
  );
  scrapedCounter(
    registry,
    'coredns_cache_hits_total',
    'The count of cache hits.',
    ['server', 'zones', 'type'],
    byKind((stats) => stats.hits),
  );
  const single = (name: string, help: string, read: (s: CacheStats) => number) =>
    scrapedCounter(registry, name, help, ['server', 'zones'], () => {
      const stats = cache();
      return stats ? [[base(), read(stats)]] : [];
    });
  single('coredns_cache_misses_total', 'The count of cache misses.', (s) => s.misses);
  single(
    'coredns_cache_requests_total',
    'The count of cache requests.',
    (s) => s.misses + s.hits.success + s.hits.denial,
  );
  single('coredns_cache_evictions_total', 'The count of cache evictions.', (s) => s.evictions);
  single(
    'coredns_cache_served_stale_total',
    'The number of requests served from stale cache entries.',
    (s) => s.staleServed,
  );
}

function registerForward(registry: Registry, source: MetricsSource): void {
  const upstreams = () => source.forward()?.upstreams ?? [];
  scrapedCounter(
    registry,
    'coredns_forward_requests_total',
    'Counter of requests made per upstream.',
    ['to'],
    () => upstreams().map((u) => [{ to: u.server }, u.queries]),
  );
  scrapedCounter(
    registry,
    'coredns_forward_responses_total',
    'Counter of responses received per upstream and rcode.',
    ['to', 'rcode'],
    () =>
      upstreams().flatMap((u) =>
        u.byRcode.map(({ rcode, latency }): Row => [
          { to: u.server, rcode: rcodeName(rcode) },
          latency.count,
        ]),
      ),
  );
  // CoreDNS 1.11 moved forward's latency and health check series to coredns_proxy_* (with
  // proxy_name); its current forward plugin exports them under coredns_forward_* again
  // (plugin/forward/metrics.go: proxy.NewMetricsWithSubsystem("forward")), which is what the
  // CoreDNS mixin's alerts read. Both, so dashboards of either release find theirs.
  const latency = (name: string, extra: Labels) => () =>
    upstreams().flatMap((u) =>
      u.byRcode.flatMap(({ rcode, latency: times }) =>
        histogramSamples(name, { ...extra, to: u.server, rcode: rcodeName(rcode) }, times),
      ),
    );
  sampled(
    registry,
    'coredns_proxy_request_duration_seconds',
    'Histogram of the time each request took per upstream and rcode.',
    'histogram',
    latency('coredns_proxy_request_duration_seconds', { proxy_name: 'forward' }),
  );
  sampled(
    registry,
    'coredns_forward_request_duration_seconds',
    'Histogram of the time each request took.',
    'histogram',
    latency('coredns_forward_request_duration_seconds', {}),
  );
  scrapedCounter(
    registry,
    'coredns_proxy_healthcheck_failures_total',
    'Count of failed health checks of a down upstream.',
    ['proxy_name', 'to'],
    () => upstreams().map((u) => [{ proxy_name: 'forward', to: u.server }, u.probeFailures]),
  );
  scrapedCounter(
    registry,
    'coredns_forward_healthcheck_failures_total',
    'Counter of the number of failed healthchecks.',
    ['to'],
    () => upstreams().map((u) => [{ to: u.server }, u.probeFailures]),
  );
  scrapedCounter(
    registry,
    'coredns_forward_healthcheck_broken_total',
    'Counter of the number of complete failures of the healthchecks.',
    [],
    () => [[{}, source.forward()?.healthcheckBroken ?? 0]],
  );
  scrapedCounter(
    registry,
    'coredns_forward_max_concurrent_rejects_total',
    'Count of queries refused because the concurrent upstream queries were at their limit.',
    [],
    () => {
      const stats = source.forward();
      return stats ? [[{}, stats.maxConcurrentRejects]] : [];
    },
  );
}

/** A LatencyStats (milliseconds, per-bucket counts) as a Prometheus histogram in seconds. */
function histogramSamples(name: string, labels: Labels, latency: LatencyStats): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  for (const { leMs, count } of latency.buckets) {
    cumulative += count;
    const le = leMs === Infinity ? '+Inf' : String(leMs / 1000);
    samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
  }
  samples.push({ metricName: `${name}_sum`, labels, value: latency.sumMs / 1000 });
  samples.push({ metricName: `${name}_count`, labels, value: latency.count });
  return samples;
}

/** What CoreDNS has no metric for. */
function registerOwn(registry: Registry, source: MetricsSource): void {
  const perBackend = (read: (b: BackendReport) => number | undefined) => () =>
    source.backends().flatMap((b): Row[] => {
      const value = read(b);
      return value === undefined ? [] : [[{ backend: b.name }, value]];
    });
  scrapedGauge(
    registry,
    'clusterdns_table_services',
    'Services in the table, per backend.',
    ['backend'],
    perBackend((b) => b.services),
  );
  scrapedGauge(
    registry,
    'clusterdns_table_endpoints',
    'Endpoint addresses in the table, per backend.',
    ['backend'],
    perBackend((b) => b.endpoints),
  );
  scrapedGauge(
    registry,
    'clusterdns_table_pods',
    'Pods in the table, per backend.',
    ['backend'],
    perBackend((b) => b.pods),
  );
  scrapedGauge(
    registry,
    'clusterdns_backend_synced',
    '1 when the backend has synced and is not stale, else 0.',
    ['backend'],
    perBackend((b) => (b.synced ? 1 : 0)),
  );
  scrapedGauge(
    registry,
    'clusterdns_backend_last_sync_age_seconds',
    'Seconds since the backend last delivered content or its registry confirmed it; absent before the first.',
    ['backend'],
    perBackend((b) => (b.lastSyncAt === undefined ? undefined : (Date.now() - b.lastSyncAt) / 1000)),
  );
  scrapedCounter(
    registry,
    'clusterdns_backend_restarts_total',
    'Times a registry backend failed and was built again; the last good view served meanwhile.',
    ['backend'],
    perBackend((b) => b.restarts),
  );
  scrapedCounter(
    registry,
    'clusterdns_backend_oversized_reads_total',
    'Reads from a registry (a watch line, list page or response body) over their size cap, dropped with their connection.',
    ['backend'],
    perBackend((b) => b.oversizedReads),
  );
  scrapedCounter(
    registry,
    'clusterdns_uncaught_errors_total',
    'Errors nothing caught (kind: exception or rejection), logged; see README for when the process exits.',
    ['kind'],
    () => [
      [{ kind: 'exception' }, uncaughtErrors.exception],
      [{ kind: 'rejection' }, uncaughtErrors.rejection],
    ],
  );
  scrapedCounter(
    registry,
    'clusterdns_log_lines_dropped_total',
    'Log lines dropped because stdout could not keep up and 16 MiB were already waiting.',
    [],
    () => [[{}, logDrops.lines]],
  );
  scrapedGauge(
    registry,
    'clusterdns_table_version',
    'Version of the service table (its SOA serial).',
    [],
    () => [[{}, source.tableVersion()]],
    // Under --workers every copy of the table has the primary's version: one sample.
    'first',
  );
  scrapedCounter(
    registry,
    'clusterdns_malformed_packets_dropped_total',
    'Packets dropped unanswered: too short for a header, or a response sent to us.',
    [],
    () => [[{}, source.counters.malformedDropped]],
  );
  scrapedCounter(
    registry,
    'clusterdns_malformed_queries_answered_total',
    'Queries with a readable header but a bad body, answered FORMERR.',
    [],
    () => [[{}, source.counters.malformedAnswered]],
  );
  scrapedCounter(
    registry,
    'clusterdns_upstream_spoofed_replies_dropped_total',
    'Upstream replies dropped for a wrong source, ID or question.',
    ['to'],
    () => (source.forward()?.upstreams ?? []).map((u) => [{ to: u.server }, u.spoofedDropped]),
  );
  const tlsUpstreams = () => (source.forward()?.upstreams ?? []).filter((u) => u.tls !== undefined);
  scrapedCounter(
    registry,
    'clusterdns_upstream_tls_connections_total',
    'TLS connections opened to a tls:// upstream (each carries many queries).',
    ['to'],
    () => tlsUpstreams().map((u) => [{ to: u.server }, u.tls!.connections]),
  );
  scrapedCounter(
    registry,
    'clusterdns_upstream_tls_handshake_failures_total',
    'TLS connections to a tls:// upstream that failed before their first reply: unreachable, or a certificate not trusted, not for the name, or ours refused.',
    ['to'],
    () => tlsUpstreams().map((u) => [{ to: u.server }, u.tls!.handshakeFailures]),
  );
  scrapedCounter(
    registry,
    'clusterdns_recursion_refused_total',
    'Queries for names outside the zones refused because the client may not recurse.',
    [],
    () => [[{}, source.recursionRefused()]],
  );
  const precompiled = (read: (stats: PrecompiledStats) => number) => (): Row[] => {
    const stats = source.precompiled();
    return stats ? [[{}, read(stats)]] : [];
  };
  scrapedGauge(
    registry,
    'clusterdns_precompiled_answers',
    'Answers held as compiled wire bytes.',
    [],
    precompiled((stats) => stats.size),
  );
  scrapedGauge(
    registry,
    'clusterdns_precompiled_answer_bytes',
    'Bytes the compiled answers take, with an estimate of their keys and bookkeeping.',
    [],
    precompiled((stats) => stats.sizeBytes),
  );
  scrapedCounter(
    registry,
    'clusterdns_precompiled_hits_total',
    'Queries answered from compiled wire bytes, without the general path.',
    [],
    precompiled((stats) => stats.hits),
  );
  scrapedCounter(
    registry,
    'clusterdns_precompiled_compiled_total',
    'Answers compiled: first askings, and askings after the table changed what they depend on.',
    [],
    precompiled((stats) => stats.compiled),
  );
  scrapedCounter(
    registry,
    'clusterdns_rrl_dropped_total',
    'UDP responses not sent because the client network was over --rrl.',
    [],
    () => [[{}, source.counters.rrlDropped]],
  );
  scrapedCounter(
    registry,
    'clusterdns_rrl_slipped_total',
    'UDP responses over --rrl sent truncated (TC, no records) instead of dropped, per --rrl-slip.',
    [],
    () => [[{}, source.counters.rrlSlipped]],
  );
  scrapedCounter(
    registry,
    'clusterdns_tcp_connections_closed_total',
    'TCP connections the server closed, by reason: idle, limit, evicted, unread, framing.',
    ['reason'],
    () => Object.entries(source.counters.tcpClosedBy).map(([reason, count]) => [{ reason }, count]),
  );
  scrapedGauge(registry, 'clusterdns_tcp_connections', 'TCP connections open now.', [], () => [
    [{}, source.counters.tcpConnectionsOpen],
  ]);
  scrapedCounter(
    registry,
    'clusterdns_queries_refused_total',
    'Queries answered REFUSED because the client is outside --allow-query.',
    [],
    () => [[{}, source.counters.queriesRefused]],
  );
}
