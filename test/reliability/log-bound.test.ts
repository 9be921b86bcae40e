// A stdout that does not keep up (a stalled log collector) must not grow the server's memory:
// past 16 MiB waiting, log lines are dropped and counted.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('../fixtures/log-flood.mjs', import.meta.url));

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
