// A real single-member etcd for tests: loopback-only client and peer URLs on free high ports (never
// 2379/2380, where a system etcd may listen), a temporary data directory, stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/cli.js';
import { requireTool } from '../../helpers/tools.js';

export interface EtcdServer {
  /** The client URL, http://127.0.0.1:<port>. */
  url: string;
  pid: () => number;
  /** What etcd printed, for failure messages. */
  output: () => string;
  /** SIGKILL: no clean shutdown, as a crash or an OOM kill would do it. */
  kill(): Promise<void>;
  /** Starts it again on the same ports; with `wipe`, on an empty data directory (a new cluster). */
  restart(options?: { wipe?: boolean }): Promise<void>;
  /** Stops it and removes its data directory. */
  stop(): Promise<void>;
}

/** Whether etcd is installed; missing under CI fails, missing locally skips with a printed reason. */
export function hasEtcd(): boolean {
  return requireTool('etcd', ['--version'], 'etcd-server');
}

/** Serve clients over https with this server certificate, and require client certificates from `ca`. */
export interface EtcdTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Client certificate and key the health check presents. */
  clientCertFile: string;
  clientKeyFile: string;
}

export async function startEtcd({ tls }: { tls?: EtcdTls } = {}): Promise<EtcdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'clusterdns-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name',
    'test',
    '--data-dir',
    join(dir, 'data'),
    '--listen-client-urls',
    url,
    '--advertise-client-urls',
    url,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `test=${peer}`,
    '--initial-cluster-state',
    'new',
    '--log-level',
    'warn',
    ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile] : []),
    ...(tls ? ['--client-cert-auth'] : []),
  ];
  let child: ChildProcess | undefined;
  let output = '';
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    // Only our flags: ETCD_* variables from the environment would change what it listens on.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCD')));
    const started = spawn('etcd', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout!.on('data', (chunk) => (output += chunk));
    started.stderr!.on('data', (chunk) => (output += chunk));
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    await waitHealthy(url, started, () => output, tls);
  };
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  };

  await launch();
  return {
    url,
    pid: () => child!.pid!,
    output: () => output,
    kill,
    async restart({ wipe = false } = {}) {
      await kill();
      if (wipe) await rm(join(dir, 'data'), { recursive: true, force: true });
      await launch();
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitHealthy(
  url: string,
  child: ChildProcess,
  output: () => string,
  tls?: EtcdTls,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}:\n${output()}`);
    try {
      const body = JSON.parse(await getHealth(`${url}/health`, tls)) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd did not become healthy within 15 s:\n${output()}`);
}

async function getHealth(url: string, tls?: EtcdTls): Promise<string> {
  if (!tls) return (await fetch(url, { signal: AbortSignal.timeout(1000) })).text();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(tls.caFile),
        cert: readFileSync(tls.clientCertFile),
        key: readFileSync(tls.clientKeyFile),
        timeout: 1000,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(body));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
