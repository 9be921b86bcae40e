// DNS programming latency: how long after a change reaches the Kubernetes API a query sees it.
// Starts the built clusterdns against the test API server, then, one change at a time, adds an
// endpoint to a headless service, or deletes a service, and polls clusterdns over UDP every
// millisecond until the answer shows the change. Prints p50/p90/p99/max for each kind of change.
//
//   npm run build && npm run bench:programming -- [--changes 200] [--services 1000]

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import dnsPacket from 'dns-packet';
import { FakeApiServer } from '../test/registry/kubernetes/fake-apiserver.js';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '200' },
    services: { type: 'string', default: '1000' },
    port: { type: 'string', default: '15353' },
  },
});
const CHANGES = Number(values.changes);
const SERVICES = Number(values.services);
const PORT = Number(values.port);
const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function headless(ns: string, name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  };
}

function slice(ns: string, service: string, ips: string[]) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  };
}

const socket = createSocket('udp4');
let nextId = 1;
const pending = new Map<number, (packet: dnsPacket.Packet) => void>();
socket.on('message', (bytes) => {
  const packet = dnsPacket.decode(bytes);
  pending.get(packet.id ?? -1)?.(packet);
  pending.delete(packet.id ?? -1);
});

function query(name: string): Promise<dnsPacket.Packet | undefined> {
  const id = nextId++ & 0xffff;
  const bytes = dnsPacket.encode({ type: 'query', id, questions: [{ name, type: 'A', class: 'IN' }] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(undefined);
    }, 200);
    pending.set(id, (packet) => {
      clearTimeout(timer);
      resolve(packet);
    });
    socket.send(bytes, PORT, '127.0.0.1');
  });
}

/** ms from `change()` until `seen` holds of an answer for `name`, polling every millisecond. */
async function timeUntil(
  change: () => void,
  name: string,
  seen: (p: dnsPacket.Packet) => boolean,
): Promise<number> {
  const started = performance.now();
  change();
  for (;;) {
    const packet = await query(name);
    if (packet && seen(packet)) return performance.now() - started;
    if (performance.now() - started > 5000) throw new Error(`${name}: change not seen within 5 s`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const f = (n: number) => n.toFixed(1);
  return { n: sorted.length, p50: f(at(0.5)), p90: f(at(0.9)), p99: f(at(0.99)), max: f(at(1)) };
}

const fake = await FakeApiServer.start();
fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
for (let i = 0; i < SERVICES; i++) {
  fake.apply(headless('bench', `svc-${i}`));
  fake.apply(slice('bench', `svc-${i}`, [`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`]));
}
const server = spawn(
  process.execPath,
  [
    BIN,
    '--kubernetes',
    fake.url,
    '--listen',
    `127.0.0.1:${PORT}`,
    '--resolv-conf',
    '/dev/null',
    '--log-level',
    'warn',
    // Probe and metrics endpoints on free ports: the defaults (:8080, :8181, :9153) may be taken.
    '--health',
    '127.0.0.1:0',
    '--ready',
    '127.0.0.1:0',
    '--metrics',
    '127.0.0.1:0',
    '--lameduck',
    '0',
  ],
  {
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
// However the benchmark ends, the server goes with it.
process.on('exit', () => server.kill('SIGKILL'));
const ready = Date.now() + 120_000; // a large table takes a while to list
while (!(await query(`svc-0.bench.svc.cluster.local`))?.answers?.length) {
  if (Date.now() > ready) throw new Error('clusterdns did not start');
  await new Promise((r) => setTimeout(r, 50));
}

const added: number[] = [];
const deleted: number[] = [];
for (let i = 0; i < CHANGES; i++) {
  const n = i % SERVICES;
  const name = `svc-${n}.bench.svc.cluster.local`;
  if (i % 2 === 0) {
    const ip = `10.200.${i >> 8}.${i & 255}`;
    const base = `10.${100 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
    added.push(
      await timeUntil(
        () => fake.apply(slice('bench', `svc-${n}`, [base, ip])),
        name,
        (p) => (p.answers ?? []).some((a) => 'data' in a && a.data === ip),
      ),
    );
  } else {
    const victim = `gone-${i}`;
    fake.apply(headless('bench', victim));
    fake.apply(slice('bench', victim, ['10.201.0.1']));
    const victimName = `${victim}.bench.svc.cluster.local`;
    while (!(await query(victimName))?.answers?.length) await new Promise((r) => setTimeout(r, 1));
    deleted.push(
      await timeUntil(
        () => fake.delete('services', 'bench', victim),
        victimName,
        (p) => (p as { rcode?: string }).rcode === 'NXDOMAIN',
      ),
    );
  }
}

console.log(
  `DNS programming latency, ms (${SERVICES} services; change applied in the API → answer seen over UDP)`,
);
console.table({ 'endpoint added': percentiles(added), 'service deleted': percentiles(deleted) });
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
socket.close();
await fake.close();
