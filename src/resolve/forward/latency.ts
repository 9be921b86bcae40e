// A small latency histogram per upstream: enough to tell a slow server from a fast one without a
// metrics library.

/** Upper bounds of the buckets, in milliseconds; a last bucket takes everything slower. */
export const LATENCY_BUCKETS_MS = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000] as const;

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
