// The per-query cost inside the process: the real query path (parse, resolve from the bundled
// zones, encode) through QueryHandler, with and without a metrics recorder, then the same with
// precompiled answers (served from wire bytes after the first asking), alternating rounds. No
// sockets, so the number is the handler's own CPU time.
// Usage: npm run build && node bench/handler-cost.mjs [queries-per-round] [rounds]
import { readFileSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import { URL } from 'node:url';
import dnsPacket from 'dns-packet';
import { QueryHandler } from '../dist/server/handler.js';
import { QueryMetrics } from '../dist/ops/metrics/query-metrics.js';
import { PrecompiledAnswers } from '../dist/answers/precompiled.js';
import { bundledChain } from './bundled-chain.mjs';

const perRound = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const { app, logger, zones, cluster, chain: resolver } = await bundledChain();
const queries = readFileSync(new URL('./queries-cluster.txt', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line, id) => {
    const [name, type] = line.split(' ');
    return dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type, class: 'IN' }],
    });
  });
const context = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 };
const options = {
  resolver,
  logger,
  counters: app.counters,
  logQueries: false,
  recursionAvailable: () => false,
};
const plain = new QueryHandler(options);
const counted = new QueryHandler(options);
const newMetrics = () =>
  new QueryMetrics(
    zones.zones.map((z) => z.name),
    ['kubernetes'],
  );
counted.recordTo(newMetrics().recorder('dns://127.0.0.1:53', 4));
const newPrecompiled = (answerSlots) =>
  new PrecompiledAnswers({
    table: app.table,
    cluster,
    dependencies: cluster,
    clusterLink: 0,
    negativeAnswers: true,
    rotatesAddresses: false,
    ...(answerSlots ? { answerSlots } : {}),
  });
const precompiled = newPrecompiled();
const fast = new QueryHandler({ ...options, precompiled });
// Counted answers are given their metrics slots as they are compiled, so they need their own store.
const fastMetrics = newMetrics();
const countedPrecompiled = newPrecompiled(fastMetrics.answerSlots);
const fastCounted = new QueryHandler({ ...options, precompiled: countedPrecompiled });
fastCounted.recordTo(fastMetrics.recorder('dns://127.0.0.1:53', 4));

// CPU time of this process, not wall time: other processes on a shared machine preempt us, and
// wall time would charge their share to whichever variant was running.
function time(handler) {
  const started = process.cpuUsage();
  for (let i = 0; i < perRound; i++) handler.handle(queries[i % queries.length], context);
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / perRound;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function compare(label, off, on) {
  time(off);
  time(on); // warm both up
  const offTimes = [];
  const onTimes = [];
  for (let r = 0; r < rounds; r++) {
    offTimes.push(time(off));
    onTimes.push(time(on));
  }
  const show = (times) =>
    `${times.map((n) => n.toFixed(0)).join(' ')} ns/query, median ${median(times).toFixed(0)}`;
  console.log(`${label}, metrics off: ${show(offTimes)}`);
  console.log(`${label}, metrics on:  ${show(onTimes)}`);
  const difference = ((median(onTimes) - median(offTimes)) / median(offTimes)) * 100;
  console.log(`${label}, difference: ${difference.toFixed(1)}%`);
}
compare('general path', plain, counted);
compare('precompiled', fast, fastCounted);
console.log(
  `precompiled answers: ${precompiled.size}, served ${precompiled.hits} (counted: ${countedPrecompiled.hits})`,
);

// The recorder alone: what metrics add to each query, whatever the rest of the path costs.
const recorder = new QueryMetrics(
  zones.zones.map((z) => z.name),
  ['kubernetes'],
).recorder('dns://:53', 4);
const names = ['api.shop.svc.cluster.local', 'www.example.com', '1.0.96.10.in-addr.arpa'];
const calls = perRound * 10;
const started = process.cpuUsage();
for (let i = 0; i < calls; i++) recorder.answered(names[i % 3], 1, 'udp', false, 44, 60, 0, 0, 0.0001);
const used = process.cpuUsage(started);
console.log(`recorder alone: ${(((used.user + used.system) * 1000) / calls).toFixed(0)} ns/query`);

// The other thing metrics add per query: reading the clock for the duration.
const origin = process.hrtime.bigint();
let total = 0;
const clockStarted = process.cpuUsage();
for (let i = 0; i < calls; i++) total += Number(process.hrtime.bigint() - origin) / 1e9;
const clockUsed = process.cpuUsage(clockStarted);
console.log(
  `duration read: ${(((clockUsed.user + clockUsed.system) * 1000) / calls).toFixed(0)} ns/query (${total > 0})`,
);
await app.close();
