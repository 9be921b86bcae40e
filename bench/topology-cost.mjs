// What --topology-aware costs: the memory of the precompiled answers held per variant, and the CPU
// of a compiled answer served through QueryHandler, against the same table and questions without
// the option. No sockets. The table: `services` headless services of 30 ready endpoints spread over
// 10 nodes in 3 zones (trafficDistribution PreferSameNode, or --zone for PreferSameZone), and one
// client pod per node; every client asks every service's A record.
// Usage: npm run build && node --expose-gc bench/topology-cost.mjs [services] [rounds] [--zone]
import console from 'node:console';
import process from 'node:process';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { newCounters } from '../dist/ops/counters.js';
import { ResolverChain } from '../dist/resolve/chain.js';
import { ClusterZoneResolver } from '../dist/resolve/cluster/resolver.js';
import { topologyChoice } from '../dist/resolve/cluster/topology.js';
import { ZoneSet } from '../dist/dns/zones.js';
import { QueryHandler } from '../dist/server/handler.js';
import { PrecompiledAnswers } from '../dist/answers/precompiled.js';
import { ServiceTable } from '../dist/table/table.js';

const args = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const services = Number(args[0] ?? 1000);
const rounds = Number(args[1] ?? 5);
const preference = process.argv.includes('--zone') ? 'PreferSameZone' : 'PreferSameNode';
const NODES = 10;
const zoneOf = (node) => `us-east-1${'abc'[node % 3]}`;
const grpc = { name: 'grpc', protocol: 'TCP', port: 9000 };

const content = {
  namespaces: ['shop'],
  services: Array.from({ length: services }, (_, s) => ({
    namespace: 'shop',
    name: `svc-${s}`,
    type: 'Headless',
    clusterIPs: [],
    ports: [],
    trafficDistribution: preference,
    endpoints: Array.from({ length: 30 }, (_, e) => ({
      ip: `10.${100 + Math.floor(s / 250)}.${s % 250}.${e + 1}`,
      ready: true,
      ports: [grpc],
      nodeName: `node-${e % NODES}`,
      zone: zoneOf(e % NODES),
    })),
  })),
  pods: Array.from({ length: NODES }, (_, n) => ({
    namespace: 'shop',
    name: `client-${n}`,
    ips: [`10.244.${n}.50`],
    nodeName: `node-${n}`,
    zone: zoneOf(n),
  })),
};
const clients = content.pods.map((pod) => pod.ips[0]);
const zones = ZoneSet.parse(['cluster.local']);
const queries = content.services.map((service, id) =>
  dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: `${service.name}.shop.svc.cluster.local`, type: 'A', class: 'IN' }],
  }),
);

function variant(topologyAware, compiled = true) {
  const table = new ServiceTable();
  table.setContent('bench', content);
  const cluster = new ClusterZoneResolver(table, {
    zones,
    ttl: 5,
    pods: 'verified',
    ignoreEmptyService: false,
    nsAddresses: ['127.0.0.1'],
    ...(topologyAware ? { topologyAware: true } : {}),
  });
  const precompiled = new PrecompiledAnswers({
    table,
    cluster,
    dependencies: cluster,
    clusterLink: 0,
    negativeAnswers: true,
    rotatesAddresses: false,
    maxEntries: 1_000_000,
    maxBytes: 1024 * 1024 * 1024,
    ...(topologyAware
      ? { clientVariant: (service, address) => topologyChoice(table.current, service, address)?.variant }
      : {}),
  });
  const handler = new QueryHandler({
    resolver: new ResolverChain([cluster]),
    logger: pino({ level: 'silent' }),
    counters: newCounters(),
    recursionAvailable: () => false,
    ...(compiled ? { precompiled } : {}),
  });
  return { table, precompiled, handler };
}

/** Every client asks every question once; CPU ns per query. */
function askAll(handler) {
  const started = process.cpuUsage();
  for (const clientAddress of clients) {
    const context = { transport: 'udp', clientAddress, clientPort: 5353 };
    for (const query of queries) handler.handle(query, context);
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / (clients.length * queries.length);
}

const heap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

console.log(
  `${services} headless services × 30 endpoints, ${NODES} nodes in 3 zones, ${preference}, ${clients.length} clients`,
);
// Built and compiled one after the other (heap measured in between), then timed in alternating
// rounds, so that what else the shared machine does falls on both alike.
const runs = [];
for (const [topologyAware, compiled] of [
  [false, true],
  [true, true],
  [true, false],
]) {
  const before = heap();
  const run = variant(topologyAware, compiled);
  const tableHeap = heap() - before;
  askAll(run.handler); // compiles
  runs.push({ topologyAware, compiled, ...run, answersHeap: heap() - before - tableHeap, times: [] });
}
for (let r = 0; r < rounds; r++) for (const run of runs) run.times.push(askAll(run.handler));
for (const { topologyAware, compiled, precompiled, answersHeap, times } of runs) {
  if (!compiled) {
    console.log(`--topology-aware, general path only: ${median(times).toFixed(0)} ns/query`);
    continue;
  }
  console.log(
    `${topologyAware ? '--topology-aware' : 'without         '}: ${precompiled.size} compiled entries, ` +
      `store ${mb(precompiled.sizeBytes)}, heap for the answers ${mb(answersHeap)}; ` +
      `served ${median(times).toFixed(0)} ns/query (median of ${times.map((t) => t.toFixed(0)).join(' ')}), ` +
      `hits ${precompiled.hits}`,
  );
}
