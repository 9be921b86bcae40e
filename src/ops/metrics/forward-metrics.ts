// CoreDNS's cache and forward series, read from the forwarders' stats when Prometheus scrapes.
import type { Registry } from 'prom-client';
import { rcodeName } from '../../dns/mnemonics.js';
import type { Labels, Sample } from './cells.js';
import { sampled, scrapedCounter, scrapedGauge, type Row } from './scraped.js';

/** Counts per cache kind, as CoreDNS's cache labels `type`. */
interface ByKind {
  success: number;
  denial: number;
}

/** Replies' latency in milliseconds, per bucket (`leMs` its upper bound; not cumulative). */
export interface LatencyReport {
  count: number;
  sumMs: number;
  buckets: { leMs: number; count: number }[];
}

/** What these series read of the forwarders' stats (the shape resolve/forward's ForwarderStats has). */
export interface ForwardReport {
  cache: {
    entriesByKind: ByKind;
    bytesByKind: ByKind;
    hits: ByKind;
    misses: number;
    evictions: number;
    staleServed: number;
  };
  upstreams: {
    server: string;
    queries: number;
    probeFailures: number;
    spoofedDropped: number;
    /** A tls:// upstream's connections. */
    tls?: { connections: number; handshakeFailures: number };
    byRcode: { rcode: number; latency: LatencyReport }[];
  }[];
  healthcheckBroken: number;
  maxConcurrentRejects: number;
}

export interface ForwardSource {
  /** The `server` label of the cache every listener shares: the first listener's. */
  server: () => string;
  forward: () => ForwardReport | undefined;
}

export function registerCache(registry: Registry, source: ForwardSource): void {
  // The forwarder's cache answers names outside the served zones: CoreDNS's root-zone cache.
  const base = () => ({ server: source.server(), zones: '.' });
  const cache = () => source.forward()?.cache;
  type CacheStats = NonNullable<ReturnType<typeof cache>>;
  /** One sample per cache kind (success, denial), as CoreDNS labels `type`. */
  const byKind = (read: (stats: CacheStats) => ByKind) => (): Row[] => {
    const stats = cache();
    if (!stats) return [];
    const counts = read(stats);
    return (['success', 'denial'] as const).map((type): Row => [{ ...base(), type }, counts[type]]);
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

export function registerForward(registry: Registry, source: ForwardSource): void {
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

/** A LatencyReport (milliseconds, per-bucket counts) as a Prometheus histogram in seconds. */
function histogramSamples(name: string, labels: Labels, latency: LatencyReport): Sample[] {
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
