// A sidecar's memory: clusterdns --namespaces NS against the test API server holding a large
// cluster, where only NS is read. Fills the server with NAMESPACES x SERVICES ClusterIP services
// (each with an EndpointSlice of 3 endpoints), starts the built clusterdns, waits until it answers
// a service of the watched namespace, lets it settle, and prints its resident memory (VmRSS) and
// peak (VmHWM) from /proc. Run it with the flags of the case to compare, e.g. without --namespaces
// (the whole cluster), or against another build with --bin.
//
//   npm run build && vite-node bench/sidecar-memory.ts -- [--in 100] [--services 100] \
//     [--bin dist/main.js] [--flags='--namespaces ns-0']

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/cli.js';
import { udpQuery } from '../test/helpers/dns-client.js';
import { endpointSlice, service } from '../test/helpers/manifests.js';
import { FakeApiServer } from '../test/registry/kubernetes/fake-apiserver.js';

const { values } = parseArgs({
  options: {
    in: { type: 'string', default: '100' },
    services: { type: 'string', default: '100' },
    bin: { type: 'string', default: fileURLToPath(new URL('../dist/main.js', import.meta.url)) },
    settle: { type: 'string', default: '3000' },
    flags: { type: 'string', default: '' },
  },
});
const NAMESPACES = Number(values.in);
const flags = values.flags.split(' ').filter((f) => f !== '');
const SERVICES = Number(values.services);

function kib(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]);
}

const fake = await FakeApiServer.start({ historySize: 10 });
const http = { name: 'http', port: 80 };
for (let n = 0; n < NAMESPACES; n++) {
  const ns = `ns-${n}`;
  fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (let s = 0; s < SERVICES; s++) {
    const id = n * SERVICES + s;
    const ip = (base: number) => `10.${base + (id >> 16)}.${(id >> 8) & 255}.${id & 255}`;
    fake.apply(service(ns, `svc-${s}`, { clusterIPs: [ip(96)], ports: [http] }));
    fake.apply(endpointSlice(ns, `svc-${s}`, [{ ip: ip(100) }, { ip: ip(110) }, { ip: ip(120) }], [http]));
  }
}

const port = await freePort();
const args = [
  values.bin,
  '--kubernetes',
  fake.url,
  '--listen',
  `127.0.0.1:${port}`,
  '--resolv-conf',
  '/dev/null',
  '--workers',
  '1',
  '--health',
  '',
  '--ready',
  '',
  '--metrics',
  '',
  '--log-level',
  'warn',
  '--startup-timeout',
  '60s',
  ...flags,
];
const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const started = performance.now();
for (;;) {
  const reply = await udpQuery(port, 'svc-0.ns-0.svc.cluster.local', 'A').catch(() => undefined);
  if (reply?.packet.rcode === 'NOERROR') break;
  if (performance.now() - started > 120_000) throw new Error('clusterdns did not answer within 120 s');
  await new Promise((r) => setTimeout(r, 100));
}
const syncedMs = Math.round(performance.now() - started);
await new Promise((r) => setTimeout(r, Number(values.settle)));
const pid = child.pid!;
const lists = fake.requests.filter((r) => r.verb === 'list').length;
console.log(
  JSON.stringify({
    cluster: `${NAMESPACES} namespaces x ${SERVICES} services`,
    flags: values.flags || '(whole cluster)',
    bin: values.bin,
    answeredAfterMs: syncedMs,
    listRequests: lists,
    rssMiB: +(kib(pid, 'VmRSS') / 1024).toFixed(1),
    peakMiB: +(kib(pid, 'VmHWM') / 1024).toFixed(1),
  }),
);
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
await fake.close();
