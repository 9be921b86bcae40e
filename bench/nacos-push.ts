// Nacos change → DNS latency and the load clusterdns puts on Nacos, for --nacos-api grpc (pushed)
// and v1 (polled), side by side. For each API: the Nacos doubles of test/registry/nacos (HTTP, and gRPC at
// the HTTP port + 1000) hold N services of one instance each; the built clusterdns serves them.
// Idle for --window, it counts the requests Nacos receives (reads over HTTP, every gRPC message:
// health checks and acks included); then, one change at a time, it registers a new instance in a
// random service and queries clusterdns over UDP until the answer holds it.
// The v1 double advises cacheMillis 3000, Nacos's default, so v1 polls each service every 3 s.
// Writes its section of bench/RESULTS.md (between the nacos-push markers).
//
//   npm run bench:nacos -- [--services 1000] [--changes 100] [--v1-changes 30] [--window 10] [--apis grpc,v1]

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startCli, type RunningCli } from '../test/helpers/cli.js';
import { udpQuery } from '../test/helpers/dns-client.js';
import { FakeNacos } from '../test/registry/nacos/fake-nacos.js';
import { nacosPair } from '../test/registry/nacos/helpers.js';
import { loadAverage } from './dnsperf/report.js';

const { values } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '100' },
    'v1-changes': { type: 'string', default: '30' },
    window: { type: 'string', default: '10' },
    apis: { type: 'string', default: 'grpc,v1' },
    results: { type: 'string', default: fileURLToPath(new URL('./RESULTS.md', import.meta.url)) },
  },
});
const SERVICES = Number(values.services);
const WINDOW_S = Number(values.window);
const BEGIN = '<!-- nacos-push: written by npm run bench:nacos -->';
const END = '<!-- end of nacos-push -->';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ip = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

async function register(fake: FakeNacos, service: string, address: string): Promise<void> {
  const url = new URL('/nacos/v1/ns/instance', fake.url);
  url.search = new URLSearchParams({
    serviceName: service,
    ip: address,
    port: '80',
    ephemeral: 'false',
  }).toString();
  const response = await fetch(url, { method: 'POST' });
  if (!response.ok) throw new Error(`register ${service}: HTTP ${response.status}`);
  await response.text();
}

let unanswered = 0;

/** The A records clusterdns answers; a query unanswered within 2 s (a loaded machine) counts as none. */
async function answers(port: number, service: string): Promise<string[]> {
  try {
    const { packet } = await udpQuery(port, `${service}.bench.svc.cluster.local`, 'A');
    return packet.answers.map((a) => String(a.data));
  } catch {
    unanswered += 1;
    return [];
  }
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

async function run(api: 'grpc' | 'v1', changes: number) {
  // For v1 the gRPC side is stopped at once: nothing but HTTP is there to answer.
  const { fake, grpc } = await nacosPair(api === 'grpc');
  for (let i = 0; i < SERVICES; i++) await register(fake, `svc-${i}`, ip(i));
  const port = await freePort();
  const cli: RunningCli = await startCli([
    '--nacos',
    fake.url,
    '--nacos-api',
    api,
    '--nacos-namespace-map',
    'bench=public',
    '--listen',
    `127.0.0.1:${port}`,
    // Listen at once; the loop below waits for the last service to answer.
    '--startup-timeout',
    '0s',
  ]);
  try {
    const last = `svc-${SERVICES - 1}`;
    const synced = Date.now() + 120_000;
    while ((await answers(port, last)).length === 0) {
      if (Date.now() > synced) throw new Error(`${api}: ${last} not served within 120 s`);
      await sleep(50);
    }
    await sleep(2000); // past the first listings and subscriptions
    const reads = () => fake.requests.filter((r) => r.method === 'GET').length + (grpc?.received.length ?? 0);
    const before = reads();
    await sleep(WINDOW_S * 1000);
    const perSecond = (reads() - before) / WINDOW_S;
    const latencies: number[] = [];
    for (let c = 0; c < changes; c++) {
      const service = `svc-${Math.floor(Math.random() * SERVICES)}`;
      const address = ip(SERVICES + c);
      const since = performance.now();
      await register(fake, service, address);
      while (!(await answers(port, service)).includes(address)) {
        if (performance.now() - since > 60_000) throw new Error(`${api}: ${service} never showed ${address}`);
      }
      latencies.push(performance.now() - since);
    }
    return { api, perSecond, ...percentiles(latencies) };
  } finally {
    cli.child.kill('SIGTERM');
    await cli.exited;
    grpc?.stop();
    await fake.stop();
  }
}

const results = [];
for (const api of values.apis.split(',') as ('grpc' | 'v1')[]) {
  results.push(await run(api, Number(values[api === 'grpc' ? 'changes' : 'v1-changes'])));
}
const ms = (n: number) => `${n.toFixed(1)} ms`;
const rows = results.map(
  (r) =>
    `| ${r.api === 'grpc' ? '`grpc` (pushed)' : '`v1` (polled)'} | ${r.n} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.perSecond.toFixed(1)} |`,
);
const section = [
  BEGIN,
  '## Nacos: pushed (gRPC) against polled (v1)',
  '',
  `Written by \`npm run bench:nacos -- --services ${SERVICES} --changes ${values.changes} --v1-changes ${values['v1-changes']} --window ${WINDOW_S}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (load average ${loadAverage()}).`,
  `${SERVICES} Nacos services of one instance; a change is a new instance registered in a random service, timed until clusterdns answers it over UDP. Requests/s is what Nacos receives from clusterdns while nothing changes (HTTP reads; every gRPC message, health checks included). v1 polls at the advised cacheMillis (3 s, Nacos's default).`,
  '',
  '| API | changes | change → DNS p50 | p99 | max | requests/s to Nacos, idle |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
  END,
].join('\n');
if (unanswered > 0) console.log(`${unanswered} queries unanswered within 2 s`);
console.log(section);
const current = readFileSync(values.results, 'utf8');
const start = current.indexOf(BEGIN);
const end = current.indexOf(END);
writeFileSync(
  values.results,
  start !== -1 && end > start
    ? current.slice(0, start) + section + current.slice(end + END.length)
    : `${current.trimEnd()}\n\n${section}\n`,
);
