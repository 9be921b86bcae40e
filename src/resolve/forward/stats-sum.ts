// The forwarders of several server blocks as one, for the metrics: CoreDNS's forward metrics are
// process-wide vectors labelled by upstream (`to`), so two blocks forwarding to one upstream (the
// NodeLocal DNSCache blocks all ask the cluster's DNS) count into the same series.
import type { ForwarderStats } from './forwarder.js';
import type { UpstreamStats } from './health.js';
import type { LatencyStats } from './latency.js';

export function sumForwarderStats(all: readonly ForwarderStats[]): ForwarderStats | undefined {
  if (all.length <= 1) return all[0];
  const [first, ...rest] = all as [ForwarderStats, ...ForwarderStats[]];
  return rest.reduce(
    (sum, next) => ({
      upstreams: sumBy(sum.upstreams, next.upstreams, (u) => u.server, sumUpstream),
      inFlight: sum.inFlight + next.inFlight,
      maxConcurrentRejects: sum.maxConcurrentRejects + next.maxConcurrentRejects,
      spoofedDropped: sum.spoofedDropped + next.spoofedDropped,
      healthcheckBroken: sum.healthcheckBroken + next.healthcheckBroken,
      cache: sumNumbers(sum.cache, next.cache),
      coalesced: sum.coalesced + next.coalesced,
      servfails: sum.servfails + next.servfails,
      prefetches: sum.prefetches + next.prefetches,
    }),
    first,
  );
}

function sumUpstream(a: UpstreamStats, b: UpstreamStats): UpstreamStats {
  return {
    server: a.server,
    state: a.state === 'up' || b.state === 'up' ? 'up' : 'down',
    queries: a.queries + b.queries,
    failures: sumNumbers(a.failures, b.failures),
    spoofedDropped: a.spoofedDropped + b.spoofedDropped,
    tcpRetries: a.tcpRetries + b.tcpRetries,
    probes: a.probes + b.probes,
    probeFailures: a.probeFailures + b.probeFailures,
    latency: sumLatency(a.latency, b.latency),
    byRcode: sumBy(
      a.byRcode,
      b.byRcode,
      (r) => r.rcode,
      (x, y) => ({
        rcode: x.rcode,
        latency: sumLatency(x.latency, y.latency),
      }),
    ),
  };
}

function sumLatency(a: LatencyStats, b: LatencyStats): LatencyStats {
  return {
    count: a.count + b.count,
    sumMs: a.sumMs + b.sumMs,
    buckets: a.buckets.map((bucket, i) => ({
      leMs: bucket.leMs,
      count: bucket.count + (b.buckets[i]?.count ?? 0),
    })),
  };
}

/** Two lists as one, items with the same key summed. */
function sumBy<T, K>(a: readonly T[], b: readonly T[], key: (item: T) => K, sum: (x: T, y: T) => T): T[] {
  const byKey = new Map<K, T>();
  for (const item of [...a, ...b]) {
    const held = byKey.get(key(item));
    byKey.set(key(item), held === undefined ? item : sum(held, item));
  }
  return [...byKey.values()];
}

/** Objects of numbers (nested), summed key by key. */
function sumNumbers<T extends object>(a: T, b: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(a)) {
    const other = (b as Record<string, unknown>)[name];
    out[name] =
      typeof value === 'number' ? value + (other as number) : sumNumbers(value as object, other as object);
  }
  return out as T;
}
