// The process against its environment: signals a DNS server must shrug off, and a start-up that
// waits on a registry it cannot reach. The real binary, real signals.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, loopbackEndpoints, startCli, type RunningCli } from '../helpers/cli.js';
import { answerLines, udpQuery } from '../helpers/dns-client.js';
import { makeZonesDir } from '../helpers/server.js';

const SHOP = 'namespace: shop\nservices:\n  web:\n    clusterIP: 10.96.45.10\n    ports: [http:80]\n';
/** Every ops endpoint off: nothing but the start-up itself holds the process while it waits. */
const NO_ENDPOINTS = ['--health', '', '--ready', '', '--metrics', ''];

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('signals', () => {
  let dir: string;
  let cli: RunningCli | undefined;
  beforeAll(async () => {
    dir = await makeZonesDir({ 'shop.yaml': SHOP });
  });
  afterEach(() => cli?.child.kill('SIGKILL'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // Node's defaults would open the inspector (SIGUSR1) or end the process without a word (SIGUSR2).
  it.each(['SIGUSR1', 'SIGUSR2'] as const)('logs and ignores %s, and keeps answering', async (signal) => {
    const port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`]);
    cli.child.kill(signal);
    await until(`${signal} to be logged`, () => cli!.output().includes(`${signal} ignored`));
    const { packet } = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(packet)).toEqual(['web.shop.svc.cluster.local A 10.96.45.10']);
    expect(cli.output()).not.toContain('Debugger listening');
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });
});

describe('a start-up waiting on a registry it cannot reach', () => {
  let apiPort: number;
  beforeAll(async () => {
    apiPort = await freePort(); // nothing listens: every connection is refused
  });

  it('stays up with the endpoints off, serves SERVFAIL after --startup-timeout, and stops with exit 0', async () => {
    const port = await freePort();
    const cli = await startCli([
      '--kubernetes',
      `http://127.0.0.1:${apiPort}`,
      '--listen',
      `127.0.0.1:${port}`,
      '--startup-timeout',
      '1s',
      ...NO_ENDPOINTS,
    ]);
    try {
      expect(cli.child.exitCode).toBeNull();
      const { packet } = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
      expect(packet.rcode).toBe('SERVFAIL');
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('stops with exit 0 on a SIGTERM that comes while it waits', async () => {
    const port = await freePort();
    const flags = [
      '--kubernetes',
      `http://127.0.0.1:${apiPort}`,
      '--listen',
      `127.0.0.1:${port}`,
      '--startup-timeout',
      '2s',
      ...NO_ENDPOINTS,
    ];
    const child = spawn(
      process.execPath,
      [BIN, '--resolv-conf', '/dev/null', ...loopbackEndpoints(flags), ...flags],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // A backend's first line comes after the signal handlers are in place.
      await until('the Kubernetes backend to start', () => output.includes('Kubernetes'));
      expect(output).not.toContain('"listening"');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('"stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
