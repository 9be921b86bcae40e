// Run the built clusterdns binary as a user would, and wait for it to listen.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A port free for both UDP and TCP right now (TCP probe; the server binds both). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface RunningCli {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export async function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
  // Without an upstream of the test's own, forward nowhere: the host's resolver is off loopback.
  const ownUpstream =
    args.includes('--upstream') || env.CLUSTERDNS_UPSTREAM || args.includes('--resolv-conf');
  const child = spawn(
    process.execPath,
    [BIN, ...(ownUpstream ? [] : ['--resolv-conf', '/dev/null']), ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (!output.includes('"listening"') && child.exitCode === null) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`clusterdns did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, output: () => output, exited };
}
