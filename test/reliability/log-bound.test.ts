// A stdout that does not keep up (a stalled log collector) must not grow the server's memory:
// past 16 MiB waiting, log lines are dropped and counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOG_EXIT_WAIT_MS } from '../../src/ops/logger.js';
import { BIN, freePort, loopbackEndpoints } from '../helpers/cli.js';
import { buildQuery, udpExchange } from '../helpers/dns-client.js';
import { makeZonesDir } from '../helpers/server.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/log-flood.mjs', import.meta.url));
const SHOP = 'namespace: shop\nservices:\n  web:\n    clusterIP: 10.96.45.10\n    ports: [http:80]\n';

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('logging to a stdout nobody reads', () => {
  it('drops and counts lines beyond 16 MiB instead of holding them', async () => {
    // stdout is a pipe this test never reads: it fills at once.
    const child = spawn(process.execPath, [FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    await new Promise((resolve) => child.on('exit', resolve));
    child.stdout.destroy();
    const { dropped, rssMb } = JSON.parse(stderr) as { dropped: number; rssMb: number };
    // About 30 MB were logged: at least the part beyond 16 MiB (and the pipe's 64 KiB) is dropped.
    expect(dropped).toBeGreaterThan(40_000);
    expect(rssMb).toBeLessThan(200);
  });
});

describe('the server with a stdout nobody reads', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await makeZonesDir({ 'shop.yaml': SHOP });
  });
  afterEach(() => child?.kill('SIGKILL'));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  // A stalled log collector: the pipe fills after a few hundred query lines. Answers must go on,
  // and a SIGTERM must still end the process (lameduck, then at most LOG_EXIT_WAIT_MS for logs).
  it.each(['json', 'pretty'])(
    'keeps answering with --log-queries --log-format %s, and exits 0 on SIGTERM',
    async (format) => {
      const port = await freePort();
      const args = ['--zones', dir, '--listen', `127.0.0.1:${port}`, '--resolv-conf', '/dev/null'];
      const flags = [...args, '--log-queries', '--log-format', format, '--lameduck', '1s'];
      const server = spawn(process.execPath, [BIN, ...loopbackEndpoints(flags), ...flags], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child = server;
      server.stdout.pause(); // never read
      const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
      await until(
        'the server to answer',
        async () =>
          (await udpExchange(port, buildQuery('web.shop.svc.cluster.local', 'A'), '127.0.0.1', 200)) !==
          undefined,
      );
      // 2000 queries log far more than the pipe and Node's read buffer hold (about 80 KiB).
      for (let batch = 0; batch < 40; batch++) {
        const replies = await Promise.all(
          Array.from({ length: 50 }, () =>
            udpExchange(port, buildQuery('web.shop.svc.cluster.local', 'A'), '127.0.0.1', 1000),
          ),
        );
        expect(replies.filter((reply) => reply === undefined)).toHaveLength(0);
      }
      const signalled = Date.now();
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(1000 + LOG_EXIT_WAIT_MS + 2000);
    },
  );
});
