// Counters and histograms kept in preallocated typed arrays, one slot per label combination, so a
// query costs a few array increments and never a label string or a hash. The label values are
// built only when Prometheus scrapes, and only for the combinations that were ever touched (a
// Prometheus client library likewise exports a series only once it was used).

export type Labels = Record<string, string>;

/** One exported sample as prom-client's registry formats it. */
export interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/** A flat counter array; the caller maps a label combination to its index. */
export class CounterCells {
  readonly values: Float64Array;

  constructor(size: number) {
    this.values = new Float64Array(size);
  }

  samples(labelsOf: (index: number) => Labels): Sample[] {
    const samples: Sample[] = [];
    for (let i = 0; i < this.values.length; i++) {
      if (this.values[i]! > 0) samples.push({ labels: labelsOf(i), value: this.values[i]! });
    }
    return samples;
  }
}

/** The bucket `value` falls in: the first bound it does not exceed, or bounds.length for +Inf. */
export function bucketOf(bounds: readonly number[], value: number): number {
  let bucket = 0;
  while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
  return bucket;
}

/**
 * Histograms side by side: per series, one count per bucket (not cumulative; the last is +Inf),
 * then the sum of the values observed.
 */
export class HistogramCells {
  private readonly stride: number;
  private readonly cells: Float64Array;

  constructor(
    readonly bounds: readonly number[],
    series: number,
  ) {
    this.stride = bounds.length + 2;
    this.cells = new Float64Array(series * this.stride);
  }

  observe(series: number, value: number): void {
    this.observeTimes(series, value, 1);
  }

  /** `times` observations of the same value. */
  observeTimes(series: number, value: number, times: number): void {
    const bucket = bucketOf(this.bounds, value);
    const base = series * this.stride;
    this.cells[base + bucket]! += times;
    this.cells[base + this.stride - 1]! += value * times;
  }

  /** `_bucket` (cumulative, with `le`), `_sum` and `_count` samples of every series observed. */
  samples(name: string, labelsOf: (series: number) => Labels): Sample[] {
    const samples: Sample[] = [];
    const series = this.cells.length / this.stride;
    for (let s = 0; s < series; s++) {
      const base = s * this.stride;
      let count = 0;
      for (let b = 0; b <= this.bounds.length; b++) count += this.cells[base + b]!;
      if (count === 0) continue;
      const labels = labelsOf(s);
      let cumulative = 0;
      for (let b = 0; b <= this.bounds.length; b++) {
        cumulative += this.cells[base + b]!;
        const le = b < this.bounds.length ? String(this.bounds[b]) : '+Inf';
        samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
      }
      samples.push({ metricName: `${name}_sum`, labels, value: this.cells[base + this.stride - 1]! });
      samples.push({ metricName: `${name}_count`, labels, value: count });
    }
    return samples;
  }
}

/** Prometheus's ExponentialBuckets: `count` bounds from `start`, each `factor` times the last. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}
