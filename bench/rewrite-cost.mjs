// What a rewrite rule adds to a query inside the process: the general path (parse, resolve from
// the bundled zones, encode) through QueryHandler with the chain alone, and with a suffix rule in
// front asked the rewritten names (rewritten, and named back with answer auto) and the cluster
// names (no rule matches), alternating rounds. No sockets, no precompiled answers (a rewritten
// name never has one; an unmatched one is served from its compiled bytes without trying the rules).
// Usage: npm run build && node bench/rewrite-cost.mjs [queries-per-round] [rounds]
import { readFileSync } from 'node:fs';
import console from 'node:console';
import process from 'node:process';
import { URL } from 'node:url';
import dnsPacket from 'dns-packet';
import { QueryHandler } from '../dist/server/handler.js';
import { RewritingChain } from '../dist/resolve/rewrite/rewrite.js';
import { parseRewriteRule } from '../dist/syntax/rewrite-rules.js';
import { bundledChain } from './bundled-chain.mjs';

const perRound = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const RULE = 'name suffix .example.internal .svc.cluster.local answer auto';
const { app, logger, chain } = await bundledChain();
const rewriting = new RewritingChain(chain, [parseRewriteRule(RULE.split(' '))]);
const lines = readFileSync(new URL('./queries-cluster.txt', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const encode = (rename) =>
  lines.map((line, id) => {
    const [name, type] = line.split(' ');
    return dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name: rename(name), type, class: 'IN' }],
    });
  });
const clusterNames = encode((name) => name);
const rewrittenNames = encode((name) => name.replace(/\.svc\.cluster\.local$/, '.example.internal'));
const context = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 };
const handler = (resolver) =>
  new QueryHandler({
    resolver,
    logger,
    counters: app.counters,
    logQueries: false,
    recursionAvailable: () => false,
  });
const cases = [
  ['no rule, cluster names', handler(chain), clusterNames],
  ['suffix rule, rewritten names', handler(rewriting), rewrittenNames],
  ['suffix rule, cluster names (no match)', handler(rewriting), clusterNames],
];

// CPU time of this process, not wall time: other processes on a shared machine preempt us.
function time(h, queries) {
  const started = process.cpuUsage();
  for (let i = 0; i < perRound; i++) h.handle(queries[i % queries.length], context);
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / perRound;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const times = cases.map(() => []);
for (const [, h, queries] of cases) time(h, queries); // warm up
for (let r = 0; r < rounds; r++) cases.forEach(([, h, queries], i) => times[i].push(time(h, queries)));
const base = median(times[0]);
cases.forEach(([label], i) => {
  const m = median(times[i]);
  const difference =
    i === 0
      ? ''
      : `, ${m - base >= 0 ? '+' : ''}${(m - base).toFixed(0)} ns (${(((m - base) / base) * 100).toFixed(1)}%)`;
  console.log(
    `${label}: ${times[i].map((n) => n.toFixed(0)).join(' ')} ns/query, median ${m.toFixed(0)}${difference}`,
  );
});
await app.close();
