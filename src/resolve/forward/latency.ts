// A small latency histogram per upstream: enough to tell a slow server from a fast one, and the
// source of /metrics' coredns_proxy_request_duration_seconds at scrape time.

/**
 * Upper bounds of the buckets, in milliseconds; a last bucket takes everything slower. CoreDNS's
 * TimeBuckets (0.25 ms to 8 s, doubling), so the exported histogram matches its dashboards.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.25 * 2 ** i);

export interface LatencyStats {
  count: number;
  sumMs: number;
  /** Replies per bucket: `leMs` is the bucket's upper bound (Infinity for the last). Not cumulative. */
  buckets: { leMs: number; count: number }[];
}

export class LatencyHistogram {
  private count = 0;
  private sumMs = 0;
  private readonly counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);

  record(ms: number): void {
    this.count++;
    this.sumMs += ms;
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[i]!) i++;
    this.counts[i]!++;
  }

  stats(): LatencyStats {
    return {
      count: this.count,
      sumMs: this.sumMs,
      buckets: this.counts.map((count, i) => ({ leMs: LATENCY_BUCKETS_MS[i] ?? Infinity, count })),
    };
  }
}
