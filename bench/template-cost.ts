// What the template link costs a query: the same table and queries served with no template, with
// AKS's two templates (zones no cluster name is in), and with `template IN AAAA .` (the IPv4-only
// recipe: every AAAA question answered by the template). The queries are the main benchmark's mix
// with every A question followed by its AAAA twin, as glibc asks them. Each server is pinned and
// warmed up like the main benchmark's; each case runs at a fixed rate, then at max rate.
//   npm run build && vite-node bench/template-cost.ts -- [--seconds 12] [--rate 5000] [--warmup 10]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dnsperf, pinning, requireDnsperf } from './dnsperf/run.js';
import { Server } from './dnsperf/server.js';
import { DEFAULT_SHAPE, firstServiceName, queryLines, writeZoneFiles } from './dnsperf/table.js';
import { freePort } from '../test/helpers/cli.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '12' },
    rate: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '10' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const warmup = Number(values.warmup);

const AKS = [
  'ANY ANY internal.cloudapp.net {\n match "^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$"\n rcode NXDOMAIN\n fallthrough\n}',
  'ANY ANY reddog.microsoft.com {\n rcode NXDOMAIN\n}',
];
const CASES: [label: string, args: string[]][] = [
  ['no template', []],
  ["AKS's two templates", AKS.flatMap((value) => ['--template', value])],
  ['template IN AAAA . (NOERROR)', ['--template', 'IN AAAA .']],
];

requireDnsperf();
const pin = pinning();
const work = mkdtempSync(join(tmpdir(), 'clusterdns-template-bench-'));
try {
  const zones = join(work, 'zones');
  writeZoneFiles(zones, DEFAULT_SHAPE);
  const lines = queryLines(DEFAULT_SHAPE, 100_000).flatMap((line) =>
    line.endsWith(' A') ? [line, `${line.slice(0, -2)} AAAA`] : [line],
  );
  const queryFile = join(work, 'queries.txt');
  writeFileSync(queryFile, `${lines.join('\n')}\n`);
  const rows: string[] = [];
  for (const [label, args] of CASES) {
    const port = await freePort();
    const { server } = await Server.start({
      zones,
      port,
      metrics: false,
      workers: 1,
      pin: pin?.server ?? [],
      probeName: firstServiceName(DEFAULT_SHAPE),
      startDeadlineMs: 300_000,
      args,
    });
    const run = async (seconds: number, rate?: number) => {
      const before = server.cpuSeconds();
      const result = await dnsperf({
        port,
        queryFile,
        seconds,
        clients: 4,
        outstanding: 100,
        ...(rate ? { rate } : {}),
        pin: pin?.client ?? [],
        outputFile: join(work, 'dnsperf.out'),
      });
      const cpuUs = ((server.cpuSeconds() - before) * 1e6) / Math.max(1, result.completed);
      return { ...result, cpuUs };
    };
    await run(warmup);
    for (const [name, result] of [
      [`${rate} QPS`, await run(seconds, rate)],
      ['max', await run(seconds)],
    ] as const) {
      rows.push(
        `| ${label} | ${name} | ${Math.round(result.qps)} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ${result.cpuUs.toFixed(1)} | ${result.lost} | ${result.rcodes} |`,
      );
      console.error(rows.at(-1));
    }
    await server.stop();
  }
  console.log('| Case | Load | QPS | p50 ms | p99 ms | server CPU µs/query | lost | rcodes |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  rmSync(work, { recursive: true, force: true });
}
