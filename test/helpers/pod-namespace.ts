// A pod's view of DNS, on this machine: in a private mount and network namespace (so nothing
// leaves this sandbox and the host's /etc/resolv.conf is untouched), clusterdns listens on
// 127.0.0.1:53 and a pod-style resolv.conf is bind-mounted over /etc/resolv.conf, so the C
// library's resolver asks clusterdns alone. A test writes the shell steps; each prints one
// `== section` line before its output, which runInPod returns by section.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN } from './cli.js';
import { requireTool } from './tools.js';

const run = promisify(execFile);

/** The resolv.conf of a pod in namespace shop (ndots:5 and the three cluster search domains). */
export const POD_RESOLV_CONF = `nameserver 127.0.0.1
search shop.svc.cluster.local svc.cluster.local cluster.local
options ndots:5
`;

/**
 * Whether namespaces can be made here (root) and `tools` run. Missing under CI fails loudly;
 * missing locally prints why the test skips.
 */
export function canUseNamespaces(test: string, tools: Parameters<typeof requireTool>[] = []): boolean {
  if (process.getuid?.() !== 0) {
    if (process.env.CI) throw new Error(`the ${test} test needs root under CI (unshare --mount --net)`);
    console.warn(`skipping: the ${test} test needs root for unshare --mount --net`);
    return false;
  }
  return [['unshare', ['--version'], 'util-linux'], ...tools].every((args) =>
    requireTool(...(args as Parameters<typeof requireTool>)),
  );
}

/**
 * The shell prelude: loopback up, `resolvConf` over /etc/resolv.conf, and the functions the steps
 * use: `start FLAGS...` (clusterdns on 127.0.0.1:53, waits until it listens), `stop`, `queries`
 * (query log lines so far, with --log-queries) and `section NAME`. `$work` is a scratch directory.
 */
function prelude(resolvConf: string): string {
  return String.raw`
set -u
work=$(mktemp -d)
ip link set lo up
cat > "$work/resolv.conf" <<'CONF'
${resolvConf}CONF
mount --bind "$work/resolv.conf" /etc/resolv.conf

start() {
  : > "$work/dns.log"
  node ${BIN} --listen 127.0.0.1:53 --lameduck 0 --workers 1 "$@" > "$work/dns.log" 2>&1 &
  dns=$!
  for i in $(seq 1 100); do grep -q '"listening"' "$work/dns.log" && return 0; sleep 0.05; done
  echo "clusterdns did not start"; cat "$work/dns.log"; exit 1
}
stop() { kill $dns; wait $dns 2>/dev/null; }
queries() { grep -c '"msg":"query"' "$work/dns.log"; }
section() { echo "== $1"; }
`;
}

/**
 * Runs `steps` after the prelude in new mount and network namespaces, and returns each section's
 * lines, trimmed, blanks dropped, runs of spaces made one. The steps end with `section end`.
 */
export async function runInPod(
  steps: string,
  resolvConf = POD_RESOLV_CONF,
  timeoutMs = 60_000,
): Promise<Map<string, string[]>> {
  const { stdout } = await run('unshare', ['--mount', '--net', 'bash', '-c', prelude(resolvConf) + steps], {
    timeout: timeoutMs,
  });
  const sections = new Map<string, string[]>();
  let current = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('== ')) {
      current = line.slice(3);
      sections.set(current, []);
    } else if (line.trim() !== '' && current) {
      sections.get(current)!.push(line.trim().replace(/\s+/g, ' '));
    }
  }
  if (!sections.has('end')) throw new Error(`the steps in the namespace did not finish:\n${stdout}`);
  return sections;
}
