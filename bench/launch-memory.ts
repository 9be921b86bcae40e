// Memory however the server is started: the built clusterdns on the benchmark's 10 000-service
// table (15 endpoints per headless service), started as `dist/main.js`, `node dist/main.js` and
// `npx clusterdns`, with this node and with any other given by --node (the image's). Each start
// answers, takes SECONDS of dnsperf at the highest rate, then sits idle SETTLE seconds; RSS (VmRSS
// from /proc, summed over the server's processes, npx itself left out) is read after the load and
// after the idle time. Launches alternate round by round, so drift on a shared machine hits each
// alike. Prints Markdown.
//
//   npm run build && vite-node bench/launch-memory.ts -- [--rounds 3] [--seconds 10] [--settle 10] \
//     [--node /path/to/node24/bin/node] [--launches exec,node,npx]

import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { median } from './dnsperf/report.js';
import { dnsperf, requireDnsperf } from './dnsperf/run.js';
import { Server, type ServerOptions } from './dnsperf/server.js';
import { DEFAULT_SHAPE, firstServiceName, queryLines, writeZoneFiles } from './dnsperf/table.js';
import { endpointUrl, freePort } from '../test/helpers/cli.js';
import { scrape, valueOf } from '../test/helpers/prometheus.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    settle: { type: 'string', default: '10' },
    node: { type: 'string', multiple: true, default: [] },
    launches: { type: 'string', default: 'exec,node,npx' },
  },
});
requireDnsperf();
const shape = { ...DEFAULT_SHAPE, endpointsPerHeadless: 15 };
const work = mkdtempSync(join(tmpdir(), 'clusterdns-launch-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const zones = join(work, 'zones');
const summary = writeZoneFiles(zones, shape);
const queryFile = join(work, 'queries');
writeFileSync(queryFile, queryLines(shape, 100_000).join('\n') + '\n');

const nodes = [process.execPath, ...values.node];
const launches = values.launches.split(',') as NonNullable<ServerOptions['launch']>[];
const versionOf = (node: string) => execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
const label = (node: string, launch: string) =>
  `${versionOf(node)}, ${{ exec: 'dist/main.js', node: 'node dist/main.js', npx: 'npx clusterdns', flags: 'node FLAGS dist/main.js' }[launch]}`;

interface Reading {
  loadedMb: number;
  settledMb: number;
  qps: number;
  parts: Parts;
}

/** Where a settled server's resident memory is, in MB. */
interface Parts {
  /** Pages of the node executable itself (its code and read-only data). */
  nodeBinary: number;
  /** Other mapped files: shared libraries, ICU data. */
  otherFiles: number;
  /** V8's heap as committed (nodejs_heap_size_total_bytes). */
  v8Heap: number;
  /** Buffers and ArrayBuffers outside the heap (nodejs_external_memory_bytes). */
  external: number;
  /** Anonymous memory left: malloc arenas, thread stacks, V8's code space outside the heap. */
  rest: number;
}

const MB = 1024 * 1024;

/** The settled server's memory by part: /proc/PID/smaps for files, its /metrics for V8. */
async function partsOf(server: Server, node: string): Promise<Parts> {
  const smaps = readFileSync(`/proc/${server.serverPid}/smaps`, 'utf8').split('\n');
  const binary = realpathSync(node);
  let mapping = '';
  let nodeBinary = 0;
  let otherFiles = 0;
  let anonymous = 0;
  for (const line of smaps) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      mapping = header[1]!;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) {
      const kb = Number(rss[1]) / 1024;
      if (mapping === binary) nodeBinary += kb;
      else if (mapping.startsWith('/')) otherFiles += kb;
      else anonymous += kb;
    }
  }
  const { series } = await scrape(endpointUrl(server.log, 'metrics'));
  const gauge = (name: string) => valueOf(series, name) / MB;
  const v8Heap = gauge('nodejs_heap_size_total_bytes');
  const external = gauge('nodejs_external_memory_bytes');
  return { nodeBinary, otherFiles, v8Heap, external, rest: anonymous - v8Heap - external };
}
const readings = new Map<string, Reading[]>();
const log = (line: string) => console.error(`[launch-memory] ${line}`);
log(`table: ${summary.services} services, ${summary.endpoints} endpoints`);

for (let round = 1; round <= Number(values.rounds); round++) {
  for (const node of nodes) {
    for (const launch of launches) {
      const port = await freePort();
      const { server } = await Server.start({
        zones,
        port,
        metrics: true,
        workers: 1,
        pin: [],
        probeName: firstServiceName(shape),
        startDeadlineMs: 120_000,
        launch,
        node,
      });
      try {
        const result = await dnsperf({
          port,
          queryFile,
          seconds: Number(values.seconds),
          clients: 4,
          outstanding: 100,
          pin: [],
          outputFile: join(work, 'dnsperf.out'),
        });
        const loadedMb = server.memory().rssMb;
        await new Promise((resolve) => setTimeout(resolve, Number(values.settle) * 1000));
        const settledMb = server.memory().rssMb;
        const parts = await partsOf(server, node);
        const key = label(node, launch);
        readings.set(key, [...(readings.get(key) ?? []), { loadedMb, settledMb, qps: result.qps, parts }]);
        log(`round ${round}: ${key}: ${loadedMb.toFixed(1)} MB loaded, ${settledMb.toFixed(1)} MB settled`);
      } finally {
        await server.stop();
      }
    }
  }
}

const rows = [...readings].map(([key, runs]) => {
  const m = (pick: (r: Reading) => number) => median(runs.map(pick));
  const span = (pick: (r: Reading) => number) =>
    `${Math.min(...runs.map(pick)).toFixed(0)}-${Math.max(...runs.map(pick)).toFixed(0)}`;
  return `| ${key} | ${m((r) => r.loadedMb).toFixed(1)} (${span((r) => r.loadedMb)}) | ${m((r) => r.settledMb).toFixed(1)} (${span((r) => r.settledMb)}) | ${m((r) => r.qps).toFixed(0)} |`;
});
const partRows = [...readings].map(([key, runs]) => {
  const m = (pick: (p: Parts) => number) => median(runs.map((r) => pick(r.parts))).toFixed(1);
  return `| ${key} | ${m((p) => p.nodeBinary)} | ${m((p) => p.otherFiles)} | ${m((p) => p.v8Heap)} | ${m((p) => p.external)} | ${m((p) => p.rest)} |`;
});
console.log(`RSS in MB, median (range) of ${values.rounds} starts, ${summary.services} services and ${summary.endpoints} endpoints, --workers 1:

| started as | after ${values.seconds} s at max rate | after ${values.settle} s idle | QPS |
|---|---|---|---|
${rows.join('\n')}

Where the settled server's memory is, in MB (median): the node executable's own pages, other mapped
files, V8's heap as committed, Buffers outside it, and the anonymous rest (malloc, stacks):

| started as | node binary | other files | V8 heap | external | rest |
|---|---|---|---|---|---|
${partRows.join('\n')}`);
