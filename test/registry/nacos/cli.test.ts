// The built clusterdns binary serving a Nacos registry, queried over real UDP: healthy instances
// answer, an instance that stops beating stops answering once Nacos marks it unhealthy, and
// instance weights show in SRV. The double runs in this process so the test can move its clock;
// the DNS server is the unmodified binary.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, startCli, type RunningCli } from '../../helpers/cli.js';
import { udpQuery } from '../../helpers/dns-client.js';
import { SpringCloudStyleApp } from './app.js';
import { FakeNacos } from './fake-nacos.js';
import { sleepMs } from './helpers.js';

const SHOP = '6f0d9a52-1c3e-4b8f-a7d2-93e4c5b1f008';
const NAME = 'orders.shop.svc.cluster.local';

describe('clusterdns --nacos', () => {
  let fake: FakeNacos;
  let cli: RunningCli;
  let port: number;
  let one: SpringCloudStyleApp;
  let two: SpringCloudStyleApp;

  beforeAll(async () => {
    fake = new FakeNacos({ cacheMillis: 100 });
    await fake.start();
    const app = (ip: string, weight: number) =>
      new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'orders',
        ip,
        port: 8080,
        namespaceId: SHOP,
        weight,
      });
    one = app('10.20.0.1', 1);
    two = app('10.20.0.2', 3);
    await one.register();
    await two.register();
    port = await freePort();
    cli = await startCli([
      '--nacos',
      fake.url,
      '--nacos-namespace-map',
      `shop=${SHOP}`,
      '--nacos-min-poll',
      '100ms',
      '--listen',
      `127.0.0.1:${port}`,
    ]);
  });

  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    await fake?.stop();
  });

  const addresses = async () => {
    const { packet } = await udpQuery(port, NAME, 'A');
    return { rcode: packet.rcode, ips: packet.answers.map((a) => String(a.data)).sort() };
  };

  it('answers A for each healthy instance and SRV with their weights', async () => {
    expect(await addresses()).toEqual({ rcode: 'NOERROR', ips: ['10.20.0.1', '10.20.0.2'] });
    const { packet } = await udpQuery(port, `_http._tcp.${NAME}`, 'SRV');
    const srv = packet.answers
      .map((a) => a.data as { weight: number; port: number; target: string })
      .sort((a, b) => a.weight - b.weight);
    expect(srv).toEqual([
      { priority: 0, weight: 100, port: 8080, target: `10-20-0-1.${NAME}` },
      { priority: 0, weight: 300, port: 8080, target: `10-20-0-2.${NAME}` },
    ]);
    expect(cli.output()).toContain('"Nacos synced"');
  });

  it('stops answering with an instance after 15 s without a beat, and again once it beats', async () => {
    // The second app beats once more, then goes quiet; the first keeps beating every 5 s.
    await two.beat();
    for (const step of [5000, 5000, 4000]) {
      fake.clock.advance(step);
      await one.beat();
    }
    await sleepMs(400);
    expect((await addresses()).ips).toEqual(['10.20.0.1', '10.20.0.2']);

    fake.clock.advance(2000);
    await one.beat();
    const since = Date.now();
    await until(async () => (await addresses()).ips.join() === '10.20.0.1');
    const dropMs = Date.now() - since;
    expect(dropMs).toBeLessThan(1500);
    console.log(`nacos: unhealthy instance left DNS ${dropMs} ms after Nacos marked it`);

    await two.beat();
    await until(async () => (await addresses()).ips.length === 2);

    // Quiet past 30 s: removed from Nacos, and from DNS; a lone instance gone means NXDOMAIN.
    fake.clock.advance(31_000);
    await until(async () => (await addresses()).rcode === 'NXDOMAIN');
  });

  it('rejects a namespace map it cannot use', async () => {
    const run = promisify(execFile);
    const failure = await run(process.execPath, [
      BIN,
      '--nacos',
      fake.url,
      '--nacos-namespace-map',
      'Shop_1=x',
    ]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).not.toBe(0);
    expect(failure?.stderr).toContain(
      '--nacos-namespace-map: "Shop_1=x": expected dnsNamespace=nacosNamespaceId',
    );
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await sleepMs(25);
  }
}
