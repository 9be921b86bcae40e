// Metrics whose values a part of the server already keeps, read when Prometheus scrapes: they cost
// the query path nothing.
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { Labels, Sample } from './cells.js';

export type Row = [Labels, number];

/** A counter whose value a part keeps; read at scrape time. */
export function scrapedCounter(
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

export function scrapedGauge(
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
export function sampled(
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
