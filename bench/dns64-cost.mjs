// What dns64 adds to a query inside the process: the general path (parse, resolve from the bundled
// zones, encode) through QueryHandler with the chain alone, and with dns64 in front, asked AAAA
// questions of the bundled cluster names (IPv4-only: an IPv6 client gets synthesis, an IPv4 one
// the chain's NODATA) and A questions (passed through), alternating rounds. No sockets, no
// precompiled answers (a dns64 AAAA answer never has one).
// Usage: npm run build && node bench/dns64-cost.mjs [queries-per-round] [rounds]
import { readFileSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import { URL } from 'node:url';
import dnsPacket from 'dns-packet';
import { QueryHandler } from '../dist/server/handler.js';
import { Dns64Chain } from '../dist/resolve/dns64/dns64.js';
import { bundledChain } from './bundled-chain.mjs';

const perRound = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const { app, logger, chain } = await bundledChain();
const dns64 = new Dns64Chain(chain, { prefix: '64:ff9b::/96', translateAll: false, allowIPv4: false });
// The bundled service names that have A records.
const names = [
  ...new Set(
    readFileSync(new URL('./queries-cluster.txt', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, type]) => type === 'A')
      .map(([name]) => name),
  ),
];
const encode = (type) =>
  names.map((name, id) =>
    dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type, class: 'IN' }],
    }),
  );
const v6 = { transport: 'udp', clientAddress: '::1', clientPort: 5353 };
const v4 = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 };
const handler = (resolver) =>
  new QueryHandler({
    resolver,
    logger,
    counters: app.counters,
    logQueries: false,
    recursionAvailable: () => false,
  });
const [aaaa, a] = [encode('AAAA'), encode('A')];
const cases = [
  ['no dns64, AAAA (NODATA)', handler(chain), aaaa, v6],
  ['dns64, AAAA from an IPv6 client (synthesized)', handler(dns64), aaaa, v6],
  ['dns64, AAAA from an IPv4 client (NODATA)', handler(dns64), aaaa, v4],
  ['no dns64, A', handler(chain), a, v6],
  ['dns64, A (passed through)', handler(dns64), a, v6],
];

// CPU time of this process, not wall time: other processes on a shared machine preempt us.
function time(h, queries, context) {
  const started = process.cpuUsage();
  for (let i = 0; i < perRound; i++) h.handle(queries[i % queries.length], context);
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / perRound;
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const times = cases.map(() => []);
for (const [, h, queries, context] of cases) time(h, queries, context); // warm up
for (let r = 0; r < rounds; r++)
  cases.forEach(([, h, queries, context], i) => times[i].push(time(h, queries, context)));
cases.forEach(([label], i) => {
  const base = median(times[i < 3 ? 0 : 3]);
  const m = median(times[i]);
  const difference =
    i === 0 || i === 3
      ? ''
      : `, ${m - base >= 0 ? '+' : ''}${(m - base).toFixed(0)} ns (${(((m - base) / base) * 100).toFixed(1)}%)`;
  console.log(
    `${label}: ${times[i].map((n) => n.toFixed(0)).join(' ')} ns/query, median ${m.toFixed(0)}${difference}`,
  );
});
await app.close();
