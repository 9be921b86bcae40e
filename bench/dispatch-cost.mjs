// What choosing a server block costs a query on a port with several blocks (a NodeLocal DNSCache
// Corefile has four: cluster.local, in-addr.arpa, ip6.arpa and .): BlockDispatch's walk over the
// question's name against handlers that answer nothing, in rounds, for names of each block. A port
// with one block has no dispatch at all. No sockets.
// Usage: npm run build && node bench/dispatch-cost.mjs [queries-per-round] [rounds]
import console from 'node:console';
import process from 'node:process';
import dnsPacket from 'dns-packet';
import { BlockDispatch } from '../dist/server/dispatch.js';

const perRound = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);
let answered = 0;
const handler = { handle: () => (answered++, undefined) };
const dispatch = new BlockDispatch(
  [
    { zones: ['cluster.local'], handler },
    { zones: ['in-addr.arpa'], handler },
    { zones: ['ip6.arpa'], handler },
    { zones: ['.'], handler },
  ],
  handler,
);
const context = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 };
const message = (name) =>
  dnsPacket.encode({
    type: 'query',
    id: 1,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'A' }],
  });
const names = {
  'cluster name': message('web.shop.svc.cluster.local'),
  'search-path miss': message('web.shop.svc.cluster.local.shop.svc.cluster.local'),
  reverse: message('10.45.96.10.in-addr.arpa'),
  external: message('www.example.com'),
};
for (const [what, bytes] of Object.entries(names)) {
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) dispatch.handle(bytes, context);
    times.push(Number(process.hrtime.bigint() - started) / perRound);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${what.padEnd(18)} median ${times[Math.floor(rounds / 2)].toFixed(0)} ns a query (rounds: ${times.map((t) => t.toFixed(0)).join(', ')})`,
  );
}
if (answered !== perRound * rounds * Object.keys(names).length) throw new Error('a query was not dispatched');
