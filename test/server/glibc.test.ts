// glibc's resolver as a pod uses it (test/helpers/pod-namespace.ts): clusterdns on 127.0.0.1:53, a
// stub upstream on 127.0.0.2:53, a pod's resolv.conf; getent (glibc's getaddrinfo) and dig then
// resolve through clusterdns alone.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { canUseNamespaces, runInPod } from '../helpers/pod-namespace.js';

const STUB = fileURLToPath(new URL('../fixtures/stub-resolver.mjs', import.meta.url));

const usable = canUseNamespaces('glibc', [['getent', ['--version'], 'libc-bin'], ['dig']]);

/** The steps run in the namespaces; each prints one `== section` for the test to read. */
const STEPS = String.raw`
node ${STUB} 127.0.0.2 53 example.com=192.0.2.80 www.example.com=192.0.2.81 > "$work/stub.log" 2>&1 &
stub=$!
shop() { start --upstream 127.0.0.2:53 --namespace shop --log-queries "$@"; }

for mode in plain autopath; do
  if [ $mode = autopath ]; then shop --autopath; else shop; fi
  section "$mode hosts web"; getent hosts web
  section "$mode hosts kubernetes.default"; getent hosts kubernetes.default
  section "$mode hosts api.shop.svc.cluster.local"; getent hosts api.shop.svc.cluster.local
  section "$mode ahosts db"; getent ahosts db | awk '{print $1}' | sort -u
  section "$mode ahosts search"; getent ahosts search | awk '{print $1}' | sort -u
  sleep 0.5 # query log lines are written asynchronously: let the earlier ones land before counting
  before=$(queries)
  section "$mode ahosts example.com"; getent ahosts example.com | awk '{print $1}' | sort -u
  sleep 0.5
  section "$mode queries example.com"; echo $(( $(queries) - before ))
  section "$mode dig +search web"; dig +search +short web
  stop
done
section "sidecar dig web"
shop
dig @127.0.0.1 +short web
stop
kill $stub
section end
`;

describe.skipIf(!usable)('glibc resolver with a pod resolv.conf', () => {
  let sections = new Map<string, string[]>();

  beforeAll(async () => {
    sections = await runInPod(STEPS);
  }, 90_000);

  for (const mode of ['plain', 'autopath']) {
    it(`resolves cluster and external names (${mode})`, () => {
      // With autopath the asked search-list name comes back as an alias (the CNAME's owner).
      const alias = (name: string) => (mode === 'autopath' ? ` ${name}` : '');
      expect(sections.get(`${mode} hosts web`)).toEqual(['10.96.45.10 web.shop.svc.cluster.local']);
      expect(sections.get(`${mode} hosts kubernetes.default`)).toEqual([
        `10.96.0.1 kubernetes.default.svc.cluster.local${alias('kubernetes.default.shop.svc.cluster.local')}`,
      ]);
      expect(sections.get(`${mode} hosts api.shop.svc.cluster.local`)).toEqual([
        `fd00:10:96::7c1f api.shop.svc.cluster.local${alias('api.shop.svc.cluster.local.shop.svc.cluster.local')}`,
      ]);
      expect(sections.get(`${mode} ahosts db`)).toEqual(['10.244.1.20', '10.244.2.21']);
      expect(sections.get(`${mode} ahosts search`)).toEqual(['192.0.2.81']);
      expect(sections.get(`${mode} ahosts example.com`)).toEqual(['192.0.2.80']);
      expect(sections.get(`${mode} dig +search web`)).toEqual(['10.96.45.10']);
    });
  }

  it('cuts the ndots:5 storm for an external name with --autopath', () => {
    const plain = Number(sections.get('plain queries example.com')?.[0]);
    const autopath = Number(sections.get('autopath queries example.com')?.[0]);
    // Without autopath: three search domains then the name itself, each asked for A and AAAA.
    expect(plain).toBe(8);
    expect(autopath).toBe(2);
  });

  it('answers a short name with no search list for a sidecar with --namespace', () => {
    expect(sections.get('sidecar dig web')).toEqual(['web.shop.svc.cluster.local.', '10.96.45.10']);
  });
});
