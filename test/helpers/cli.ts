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

/**
 * Unless a test chose them, the ops endpoints take free loopback ports: the defaults (:8080,
 * :8181, :9153) would collide between tests running side by side and with a running server.
 */
export function loopbackEndpoints(args: string[], env: NodeJS.ProcessEnv = {}): string[] {
  const given = (name: string) =>
    args.includes(`--${name}`) || env[`CLUSTERDNS_${name.toUpperCase()}`] !== undefined;
  return [
    ...['health', 'ready', 'metrics'].flatMap((name) => (given(name) ? [] : [`--${name}`, '127.0.0.1:0'])),
    // A test that stops its server waits out the lameduck only when it is what the test is about.
    ...(given('lameduck') ? [] : ['--lameduck', '0s']),
    // One process unless the test is about --workers: the suite starts many servers side by side
    // on two cores (test/workers/workers.test.ts runs the default's N processes).
    ...(given('workers') ? [] : ['--workers', '1']),
  ];
}

/** The URL of an ops endpoint, from the line the server logs when it binds it. */
export function endpointUrl(output: string, name: 'health' | 'ready' | 'metrics'): string {
  for (const line of output.split('\n')) {
    if (!line.includes(`"serving /${name}"`)) continue;
    const { address } = JSON.parse(line) as { address: string };
    return `http://${address}/${name}`;
  }
  throw new Error(`the server logged no address for /${name}:\n${output}`);
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
  return startCommand(
    [
      process.execPath,
      BIN,
      ...(ownUpstream ? [] : ['--resolv-conf', '/dev/null']),
      ...loopbackEndpoints(args, env),
      ...args,
    ],
    env,
  );
}

/**
 * Runs a clusterdns command line as given (`[BIN, ...]`, `[node, BIN, ...]`) with `env` added to
 * this process's, and waits until it listens or exits; past `timeoutMs` it is killed and this throws.
 */
export async function startCommand(
  command: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 10_000,
): Promise<RunningCli> {
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('"listening"') && child.exitCode === null) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`clusterdns did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, output: () => output, exited };
}

/**
 * `clusterdns --corefile FILE` on a free loopback port: the block's port comes from --listen, and
 * the Kubernetes API and the upstream from flags, loopback addresses a real Corefile never names.
 * Throws, with the output, when the binary refuses the Corefile.
 */
export async function startCorefile(
  corefile: string,
  kubernetesUrl: string,
  upstreamPort: number,
): Promise<RunningCli & { port: number }> {
  const port = await freePort();
  const cli = await startCli([
    '--corefile',
    corefile,
    '--listen',
    `127.0.0.1:${port}`,
    '--kubernetes',
    kubernetesUrl,
    '--upstream',
    `127.0.0.1:${upstreamPort}`,
  ]);
  if (cli.child.exitCode !== null) throw new Error(`clusterdns refused ${corefile}:\n${cli.output()}`);
  return { ...cli, port };
}

/** The servers a test file starts on free loopback ports; stopAll() (from afterEach) stops them. */
export class RunningServers {
  readonly started: RunningCli[] = [];

  /** Starts clusterdns with `args` on a free loopback port and returns the port. */
  async serve(args: string[]): Promise<number> {
    const port = await freePort();
    this.started.push(await startCli(['--listen', `127.0.0.1:${port}`, ...args]));
    return port;
  }

  async stopAll(): Promise<void> {
    for (const cli of this.started.splice(0)) {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  }
}
