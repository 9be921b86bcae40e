// System tools some tests drive (dig, ...): present locally or not, they must be there under CI.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const runFile = promisify(execFile);

/** Whether `tool` runs here. Missing under CI fails loudly; missing locally prints why the test skips. */
export function requireTool(
  tool: string,
  versionArgs: string[] = ['-v'],
  debianPackage = 'bind9-dnsutils',
): boolean {
  try {
    execFileSync(tool, versionArgs, { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI)
      throw new Error(`${tool} is required under CI but is not installed (.ci/run installs it)`);
    console.warn(`skipping: ${tool} is not installed (apt-get install ${debianPackage})`);
    return false;
  }
}

/**
 * Whether this process may open `needed` files (sockets count). Too few under CI fails loudly;
 * too few locally prints why the test skips and how to raise the limit.
 */
export function requireOpenFiles(needed: number): boolean {
  let limit = Infinity;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft && soft !== 'unlimited') limit = Number(soft);
  } catch {
    // No /proc (not Linux): assume enough, and let the test say otherwise if not.
  }
  if (limit >= needed) return true;
  const why = `the open-file limit is ${limit}, below the ${needed} this test needs (raise it: ulimit -n ${needed})`;
  if (process.env.CI) throw new Error(`${why}; required under CI`);
  console.warn(`skipping: ${why}`);
  return false;
}

/** Real dig asking 127.0.0.1 on `port` once, `seconds` to answer (default 2): its output. */
export async function dig(port: number, args: string[], seconds = 2): Promise<string> {
  const { stdout } = await runFile('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    `+time=${seconds}`,
    '+tries=1',
    ...args,
  ]);
  return stdout;
}

/**
 * Whether the IPv6 loopback address ::1 is configured (a host or container with IPv6 off has
 * none). Missing under CI fails loudly; missing locally prints why the test skips.
 */
export function requireIPv6Loopback(): boolean {
  let configured = false;
  try {
    // One line per IPv6 address: its 32 hex digits first (the kernel's format, net/ipv6/addrconf.c).
    configured = readFileSync('/proc/net/if_inet6', 'utf8')
      .split('\n')
      .some((line) => line.startsWith('00000000000000000000000000000001'));
  } catch {
    // No /proc/net/if_inet6: the kernel has no IPv6 at all.
  }
  if (configured) return true;
  const why = 'the IPv6 loopback address ::1 is not configured here';
  if (process.env.CI) throw new Error(`${why}; required under CI`);
  console.warn(`skipping: ${why}`);
  return false;
}

/**
 * The command prefix that runs a program as an unprivileged user (nobody), for what root may do
 * and a user may not (bind port 53, read a mode 000 file): none when this process is not root.
 * Undefined when it is root and has neither setpriv nor runuser (util-linux): missing under CI
 * fails loudly, missing locally prints why the test skips.
 */
export function unprivilegedPrefix(): string[] | undefined {
  if (process.getuid?.() !== 0) return [];
  const candidates = [
    ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'],
    ['runuser', '-u', 'nobody', '--'],
  ];
  for (const prefix of candidates) {
    try {
      execFileSync(prefix[0]!, [...prefix.slice(1), 'true'], { stdio: 'ignore' });
      return prefix;
    } catch {
      // Not installed, or no such user here: try the next.
    }
  }
  const why = 'running as root without setpriv or runuser to drop to nobody (apt-get install util-linux)';
  if (process.env.CI) throw new Error(`${why}; required under CI`);
  console.warn(`skipping: ${why}`);
  return undefined;
}
