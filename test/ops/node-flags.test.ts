// The server runs with the flags of dist/main.js's first line however it is started: `dist/main.js`
// reads them from that line, `node dist/main.js` (how tools and most users start a Node program)
// must come to the same young generation (1 MB semi-spaces) and, where node can replace its own
// program image, the same command line and environment.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchOfFile } from '../../src/ops/node-flags.js';
import {
  BIN,
  endpointUrl,
  freePort,
  loopbackEndpoints,
  startCommand,
  type RunningCli,
} from '../helpers/cli.js';
import { scrape, valueOf } from '../helpers/prometheus.js';
import { makeZonesDir } from '../helpers/server.js';

// Enough services that loading them grows a default young generation well past 1 MB.
const SERVICES = 10_000;
function zoneFile(): string {
  const lines = ['namespace: shop', 'services:'];
  for (let i = 1; i <= SERVICES; i++) {
    lines.push(`  svc-${i}: { clusterIP: 10.96.${i >> 8}.${i & 255}, ports: [http:80] }`);
  }
  return lines.join('\n') + '\n';
}

async function start(command: string[], zones: string): Promise<RunningCli> {
  const args = ['--zones', zones, '--listen', `127.0.0.1:${await freePort()}`, '--workers', '1'];
  return startCommand(
    [...command, ...loopbackEndpoints(args), '--resolv-conf', '/dev/null', ...args],
    {},
    20_000,
  );
}

const launch = launchOfFile(BIN);
const canReplaceImage = 'execve' in process;

describe.each([
  ['dist/main.js', [BIN]],
  ['node dist/main.js', [process.execPath, BIN]],
])('started as %s', (_, command) => {
  let zones: string;
  let cli: RunningCli;

  beforeAll(async () => {
    zones = await makeZonesDir({ 'shop.yaml': zoneFile() });
    cli = await start(command, zones);
  });
  afterAll(async () => {
    cli.child.kill('SIGTERM');
    await cli.exited;
    await rm(zones, { recursive: true, force: true });
  });

  it('keeps the young generation at the first line’s 1 MB semi-spaces after loading the table', async () => {
    expect(launch.flags).toContain('--max-semi-space-size=1');
    const { series } = await scrape(endpointUrl(cli.output(), 'metrics'));
    // V8 reports the new space as both semi-spaces' committed size: 1 MB each at most.
    expect(valueOf(series, 'nodejs_heap_space_size_total_bytes', { space: 'new' })).toBeLessThanOrEqual(
      2 * 1024 * 1024,
    );
  });

  it.runIf(canReplaceImage)(
    'runs with the first line’s flags and environment, in the process started',
    () => {
      const pid = cli.child.pid!;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      for (const flag of launch.flags) expect(argv).toContain(flag);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      for (const [name, value] of Object.entries(launch.env)) expect(environ).toContain(`${name}=${value}`);
    },
  );
});
