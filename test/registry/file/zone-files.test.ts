// The built binary serving zone files as a user would run it: answers never pause while a large
// file arrives (it is parsed off the answering thread and applied in slices), a file over the
// size cap is rejected with a line naming it, and a file that does not parse stops start-up.

import { createSocket } from 'node:dgram';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../../helpers/cli.js';
import { buildQuery, decodeReply, udpQuery } from '../../helpers/dns-client.js';
import { makeZonesDir } from '../../helpers/server.js';
import { largeZoneIp, largeZoneYaml } from './large-zone.js';

const SHOP = 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.45.10, ports: [http:80] }\n';
const SERVICES = 10_000;
/** The last service of the large file: once it answers, the whole file is in. */
const LAST = `svc-${SERVICES - 1}.ns-${(SERVICES - 1) % 100}.svc.cluster.local`;

let cli: RunningCli | undefined;
afterEach(async () => {
  cli?.child.kill('SIGTERM');
  await cli?.exited;
  cli = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps `inFlight` queries for `name` going; records the longest time between two answers. */
function answerLoad(port: number, name: string, inFlight = 8) {
  const socket = createSocket('udp4');
  let last = 0;
  let longestGapMs = 0;
  let answers = 0;
  let stopped = false;
  const send = () => {
    if (!stopped) socket.send(buildQuery(name, 'A'), port, '127.0.0.1');
  };
  socket.on('message', (bytes) => {
    const now = performance.now();
    if (decodeReply(bytes).answers.length > 0) answers++;
    if (last > 0) longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    send();
  });
  // A datagram lost under load would end its thread of queries: top them up.
  const topUp = setInterval(() => {
    if (performance.now() - last > 1000) for (let i = 0; i < inFlight; i++) send();
  }, 1000);
  for (let i = 0; i < inFlight; i++) send();
  return {
    stop() {
      stopped = true;
      clearInterval(topUp);
      socket.close();
      return { longestGapMs, answers };
    },
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const addressOf = async (port: number, name: string) =>
  (await udpQuery(port, name, 'A')).packet.answers.map((a) => String(a.data));

describe('a 50 MB kubectl export arriving in the zone directory', () => {
  // 10 000 services as `kubectl get -o yaml` prints them, with a `&` in a first-line comment.
  let text: string;
  beforeAll(() => {
    text = largeZoneYaml(SERVICES);
    expect(text.length).toBeGreaterThan(50_000_000);
  });

  async function arrive(dir: string): Promise<void> {
    // As docs/registries/files.md says to: a temporary dotfile, then a rename.
    await writeFile(join(dir, '.services.yaml.tmp'), text);
    await rename(join(dir, '.services.yaml.tmp'), join(dir, 'services.yaml'));
  }

  it('is served, with cap raised, while answers go on without a pause', async () => {
    const dir = await makeZonesDir({ 'shop.yaml': SHOP });
    const port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`, '--zones-max-bytes', '67108864']);
    const load = answerLoad(port, 'web.shop.svc.cluster.local');
    await sleep(500);
    await arrive(dir);
    await until(async () => (await addressOf(port, LAST)).length > 0, 60_000);
    await sleep(500);
    const { longestGapMs, answers } = load.stop();
    expect(await addressOf(port, LAST)).toEqual([largeZoneIp(SERVICES)]);
    expect(answers).toBeGreaterThan(1000);
    // The old code stopped answering for 40 s here. The bound is loose for a busy 2-core test
    // machine: the server itself stalls for a few milliseconds at most.
    expect(longestGapMs).toBeLessThan(500);
  }, 90_000);

  it('is rejected under the default cap with a line naming it and the cap; the rest is served', async () => {
    const dir = await makeZonesDir({ 'shop.yaml': SHOP });
    const port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`]);
    await arrive(dir);
    await until(async () => cli!.output().includes('zone file rejected'), 5000);
    const line = cli
      .output()
      .split('\n')
      .find((l) => l.includes('zone file rejected'))!;
    expect(JSON.parse(line)).toMatchObject({
      level: 40,
      file: join(dir, 'services.yaml'),
      problem: `${text.length} bytes, over the 4194304-byte cap (--zones-max-bytes)`,
      msg: 'zone file rejected; it serves nothing until fixed',
    });
    expect(await addressOf(port, 'web.shop.svc.cluster.local')).toEqual(['10.96.45.10']);
    expect((await udpQuery(port, LAST, 'A')).packet.rcode).toBe('NXDOMAIN');
  }, 30_000);
});

describe('start-up', () => {
  it('stops with status 2, naming the file, the line and the problem, when a zone file does not parse', async () => {
    const dir = await makeZonesDir({
      'shop.yaml': 'namespace: shop\nservices:\n  web: { clusterIP: [10.96.45.12 }\n',
    });
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${await freePort()}`]);
    expect(await cli.exited).toBe(2);
    // One plain line, not a JSON record with a stack trace.
    expect(cli.output()).toContain(
      `clusterdns: cannot start: zone file ${join(dir, 'shop.yaml')}: document 1: missed comma between flow collection entries at line 3, column 34\n`,
    );
    expect(cli.output()).not.toContain('"stack"');
    expect(cli.output()).not.toContain('"listening"');
  });
});
