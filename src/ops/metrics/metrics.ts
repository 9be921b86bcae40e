// The /metrics registry: one place that reads every part of the server and names what it reads.
// Per-query series come from QueryMetrics' preallocated cells; everything the parts already count
// (cache, upstreams, autopath, backends, table, malformed input) is read when Prometheus scrapes,
// so it costs the query path nothing. CoreDNS's names and labels where CoreDNS has the metric,
// `clusterdns_*` where it has none.
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
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
import { exponentialBuckets, type Sample } from './cells.js';
import { registerCache, registerForward, type ForwardReport } from './forward-metrics.js';
import { sampled, scrapedCounter, scrapedGauge, type Row } from './scraped.js';
import type { QueryMetrics } from './query-metrics.js';

/** What the metrics read, all of it live: each call returns the current value. */
export interface MetricsSource {
  queries: QueryMetrics;
  counters: Counters;
  /** The `server` label of the parts every listener shares (cache, autopath): the first listener's. */
  server: () => string;
  forward: () => ForwardReport | undefined;
  /** Of the search path: what coredns_autopath_success_total counts. */
  searchPath: () => { autopathSuccess: number } | undefined;
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
