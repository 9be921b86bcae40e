// `npm run bench:side-by-side`: two servers compared at the same moment rather than one after the
// other. Both are pinned to the same CPU and loaded at once by two dnsperf processes on the other,
// so the scheduler gives each half of one core, and whatever the shared machine does meanwhile
// falls on both alike. What differs between the two is then the cost of a query, read as QPS and
// as server CPU per query. Each pair is a fresh pair of servers, started in alternating order.
//
// Two identical servers (`--a off --b off`) differed here by 0.3 % (standard error 0.4 %) over four
// pairs, where one-after-the-other rounds of `npm run bench` differ by several per cent. The price:
// each server answers half as many queries, with a context switch between them, so a query costs
// more than at max rate alone and a difference in per cent is of that larger cost.
//
//   npm run bench:side-by-side -- [--a on] [--b off] [--pairs 8] [--seconds 5] [--warmup 10]
//     [--a-main DIR/main.js] [--b-main ...] [--a-node '--max-semi-space-size=4'] [--b-node ...]
//   (--a and --b: metrics on or off; --a-main: another build; --a-node: options for node)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dnsperf, pinning, requireDnsperf } from './dnsperf/run.js';
import { Server } from './dnsperf/server.js';
import {
  DEFAULT_QUERY_LINES,
  DEFAULT_SHAPE,
  firstServiceName,
  queryLines,
  writeZoneFiles,
  type TableShape,
} from './dnsperf/table.js';
import { freePort } from '../test/helpers/cli.js';

const { values } = parseArgs({
  options: {
    a: { type: 'string', default: 'on' },
    b: { type: 'string', default: 'off' },
    'a-main': { type: 'string' },
    'b-main': { type: 'string' },
    'a-node': { type: 'string', default: '' },
    'b-node': { type: 'string', default: '' },
    pairs: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '10' },
    services: { type: 'string', default: String(DEFAULT_SHAPE.services) },
  },
});
const metricsOf = (side: 'a' | 'b'): boolean => {
  const value = values[side];
  if (value !== 'on' && value !== 'off') throw new Error(`--${side}: expected on or off, got ${value}`);
  return value === 'on';
};
const count = (name: 'pairs' | 'seconds' | 'warmup' | 'services'): number => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name}: expected a whole number, got ${values[name]}`);
  return value;
};
interface Side {
  metrics: boolean;
  main: string | undefined;
  nodeOptions: string[];
}
const sideOf = (side: 'a' | 'b'): Side => ({
  metrics: metricsOf(side),
  main: values[`${side}-main`],
  nodeOptions: values[`${side}-node`]!.split(' ').filter(Boolean),
});
const sides = { a: sideOf('a'), b: sideOf('b') };
const PAIRS = count('pairs');
const SECONDS = count('seconds');
const WARMUP = count('warmup');

requireDnsperf();
const pins =
  pinning() ??
  (() => {
    console.error('side by side needs two CPUs and taskset: both servers on one, dnsperf on the other');
    return process.exit(1);
  })();
const shape: TableShape = { ...DEFAULT_SHAPE, services: count('services') };
const work = mkdtempSync(join(tmpdir(), 'clusterdns-side-by-side-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const zones = join(work, 'zones');
writeZoneFiles(zones, shape);
const queryFile = join(work, 'queries');
writeFileSync(queryFile, queryLines(shape, DEFAULT_QUERY_LINES).join('\n') + '\n');

interface Measured {
  qps: number;
  cpuUsPerQuery: number;
  /** Of cpuUsPerQuery, the part spent in the kernel. */
  kernelUsPerQuery: number;
}

async function start(side: Side) {
  const port = await freePort();
  const { server } = await Server.start({
    zones,
    port,
    metrics: side.metrics,
    ...(side.main ? { main: side.main } : {}),
    nodeOptions: side.nodeOptions,
    workers: 1,
    pin: pins.server,
    probeName: firstServiceName(shape),
    startDeadlineMs: 120_000,
  });
  return { server, port };
}

/** Loads both servers at once for `seconds`; each server's QPS and CPU per answered query. */
async function loadBoth(servers: { server: Server; port: number }[], seconds: number): Promise<Measured[]> {
  const cpuBefore = servers.map(({ server }) => server.cpuSplit());
  const results = await Promise.all(
    servers.map(({ port }, i) =>
      dnsperf({
        port,
        queryFile,
        seconds,
        clients: 4,
        outstanding: 100,
        pin: pins.client,
        outputFile: join(work, `dnsperf-${i}.out`),
      }),
    ),
  );
  return results.map((result, i) => {
    const after = servers[i]!.server.cpuSplit();
    const perQuery = (seconds: number) => (seconds * 1e6) / Math.max(1, result.completed);
    const kernel = after.kernel - cpuBefore[i]!.kernel;
    return {
      qps: result.qps,
      cpuUsPerQuery: perQuery(after.user - cpuBefore[i]!.user + kernel),
      kernelUsPerQuery: perQuery(kernel),
    };
  });
}

const label = (side: Side) =>
  [side.metrics ? 'metrics on' : "--metrics ''", side.main, ...side.nodeOptions].filter(Boolean).join(' ');
const log = (line: string) => console.error(`[side-by-side] ${line}`);
const qpsRatios: number[] = [];
const cpuRatios: number[] = [];
const kernelRatios: number[] = [];
log(
  `a: ${label(sides.a)}, b: ${label(sides.b)}; ${PAIRS} pairs of ${SECONDS} s after ${WARMUP} s of warm-up`,
);
for (let pair = 1; pair <= PAIRS; pair++) {
  // Alternate which server starts first: the first one's start-up runs beside nothing.
  const order = pair % 2 === 1 ? (['a', 'b'] as const) : (['b', 'a'] as const);
  const started: Partial<Record<'a' | 'b', { server: Server; port: number }>> = {};
  try {
    for (const side of order) started[side] = await start(sides[side]);
    const both = [started.a!, started.b!];
    await loadBoth(both, WARMUP);
    const [a, b] = await loadBoth(both, SECONDS);
    qpsRatios.push(a!.qps / b!.qps - 1);
    cpuRatios.push(a!.cpuUsPerQuery / b!.cpuUsPerQuery - 1);
    kernelRatios.push(a!.kernelUsPerQuery / b!.kernelUsPerQuery - 1);
    const cost = (m: Measured) =>
      `${Math.round(m.qps)} QPS ${m.cpuUsPerQuery.toFixed(2)} µs/query (kernel ${m.kernelUsPerQuery.toFixed(2)})`;
    log(`pair ${pair}: a ${cost(a!)}, b ${cost(b!)}: a vs b ${percent(qpsRatios.at(-1)!)}`);
  } finally {
    for (const side of order) await started[side]?.server.stop();
  }
}

function percent(ratio: number): string {
  return `${ratio >= 0 ? '+' : '−'}${Math.abs(ratio * 100).toFixed(1)} %`;
}
function meanAndError(ratios: number[]): string {
  const mean = ratios.reduce((sum, r) => sum + r, 0) / ratios.length;
  if (ratios.length < 2) return percent(mean);
  const variance = ratios.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (ratios.length - 1);
  return `${percent(mean)} (standard error ${(Math.sqrt(variance / ratios.length) * 100).toFixed(1)} %)`;
}
console.log(`a (${label(sides.a)}) against b (${label(sides.b)}), ${PAIRS} pairs side by side on one CPU:`);
console.log(`  QPS:                ${meanAndError(qpsRatios)}`);
console.log(`  server CPU / query: ${meanAndError(cpuRatios)}`);
console.log(`  of it, kernel:      ${meanAndError(kernelRatios)}`);
