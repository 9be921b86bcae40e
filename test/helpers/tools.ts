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
