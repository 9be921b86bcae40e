// glibc's resolver as a pod uses it. In a private mount and network namespace (so nothing leaves
// this sandbox and the host's /etc/resolv.conf is untouched), clusterdns listens on 127.0.0.1:53,
// a stub upstream on 127.0.0.2:53, and a pod-style resolv.conf is bind-mounted over
// /etc/resolv.conf. getent (glibc's getaddrinfo) and dig then resolve through clusterdns alone.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const STUB = fileURLToPath(new URL('../fixtures/stub-resolver.mjs', import.meta.url));

function canUseNamespaces(): boolean {
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error('the glibc test needs root under CI (unshare --mount --net)');
    console.warn('skipping: the glibc test needs root for unshare --mount --net');
    return false;
  }
  return requireTool('unshare', ['--version']) && requireTool('getent', ['--version']) && requireTool('dig');
}

const usable = canUseNamespaces();

/** The shell run inside the namespaces; prints one `== section` per step for the test to read. */
function script(): string {
  return String.raw`
set -u
work=$(mktemp -d)
ip link set lo up
node ${STUB} 127.0.0.2 53 example.com=192.0.2.80 www.example.com=192.0.2.81 > "$work/stub.log" 2>&1 &
stub=$!
cat > "$work/resolv.conf" <<'CONF'
nameserver 127.0.0.1
search shop.svc.cluster.local svc.cluster.local cluster.local
options ndots:5
CONF
mount --bind "$work/resolv.conf" /etc/resolv.conf

start() { # start clusterdns with extra flags; wait until it listens
  : > "$work/dns.log"
  node ${BIN} --listen 127.0.0.1:53 --upstream 127.0.0.2:53 --namespace shop --log-queries --lameduck 0 "$@" > "$work/dns.log" 2>&1 &
  dns=$!
  for i in $(seq 1 100); do grep -q '"listening"' "$work/dns.log" && return 0; sleep 0.05; done
  echo "clusterdns did not start"; cat "$work/dns.log"; exit 1
}
stop() { kill $dns; wait $dns 2>/dev/null; }
queries() { grep -c '"msg":"query"' "$work/dns.log"; }
section() { echo "== $1"; }

for mode in plain autopath; do
  if [ $mode = autopath ]; then start --autopath; else start; fi
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
start
dig @127.0.0.1 +short web
stop
kill $stub
echo "== end"
`;
}

describe.skipIf(!usable)('glibc resolver with a pod resolv.conf', () => {
  const sections = new Map<string, string[]>();

  beforeAll(async () => {
    const { stdout } = await run('unshare', ['--mount', '--net', 'bash', '-c', script()], {
      timeout: 60_000,
    });
    let current = '';
    for (const line of stdout.split('\n')) {
      if (line.startsWith('== ')) {
        current = line.slice(3);
        sections.set(current, []);
      } else if (line.trim() !== '' && current) {
        sections.get(current)!.push(line.trim().replace(/\s+/g, ' '));
      }
    }
    expect(sections.has('end')).toBe(true);
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
