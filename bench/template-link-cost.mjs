// What the template link itself costs a question, in process and without sockets: passing on a
// name outside its zones, and answering one, for AKS's two templates and `template IN AAAA .`.
// Usage: npm run build && taskset -c 0 node bench/template-link-cost.mjs [questions-per-round]
import console from 'node:console';
import process from 'node:process';
import { pino } from 'pino';
import { templateOption } from '../dist/config/template.js';
import { TemplateResolver } from '../dist/resolve/template/resolver.js';

const perRound = Number(process.argv[2] ?? 2_000_000);
const logger = pino({ level: 'silent' });
const link = (values) =>
  new TemplateResolver(values.map(templateOption), { logger, chain: () => ({ resolve: () => undefined }) });
const aks = link([
  'ANY ANY internal.cloudapp.net {\n match "^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$"\n rcode NXDOMAIN\n fallthrough\n}',
  'ANY ANY reddog.microsoft.com {\n rcode NXDOMAIN\n}',
]);
const aaaa = link(['IN AAAA .']);
const context = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 };
const names = Array.from({ length: 1000 }, (_, i) => `svc-${i}.ns-${i % 100}.svc.cluster.local`);

/** ns per call, from the last of three rounds (the first ones warm the JIT up). */
function time(label, ask) {
  let ns = 0;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) ask(names[i % names.length]);
    ns = Number(process.hrtime.bigint() - start) / perRound;
  }
  console.log(`${label}: ${ns.toFixed(0)} ns`);
}

time('AKS templates, A of a cluster name (passed on)', (name) =>
  aks.resolve({ name, type: 1, class: 1 }, context),
);
time('AKS templates, A of a.b.c.d.internal.cloudapp.net (NXDOMAIN)', () =>
  aks.resolve({ name: 'a.b.c.d.internal.cloudapp.net', type: 1, class: 1 }, context),
);
time('template IN AAAA ., A of a cluster name (passed on)', (name) =>
  aaaa.resolve({ name, type: 1, class: 1 }, context),
);
time('template IN AAAA ., AAAA of a cluster name (NOERROR)', (name) =>
  aaaa.resolve({ name, type: 28, class: 1 }, context),
);
