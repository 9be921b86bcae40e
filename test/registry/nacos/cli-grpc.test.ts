// The built clusterdns binary with --nacos-api grpc, queried over real UDP, against the Nacos
// doubles on loopback with the gRPC port where the SDKs look for it (the HTTP port + 1000): a
// change in Nacos answers in DNS within milliseconds, nothing polls, a dropped stream is taken up
// again at once, and /ready waits for the subscriptions.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrl, freePort, startCli, type RunningCli } from '../../helpers/cli.js';
import { udpQuery } from '../../helpers/dns-client.js';
import { SpringCloudStyleApp } from './app.js';
import { FakeNacos } from './fake-nacos.js';
import { FakeNacosGrpc } from './fake-nacos-grpc.js';
import { nacosPair, sleepMs } from './helpers.js';

const NAME = 'orders.shop.svc.cluster.local';

const args = (fake: FakeNacos, dnsPort: number) => [
  '--nacos',
  fake.url,
  '--nacos-api',
  'grpc',
  '--nacos-namespace-map',
  'shop=public',
  '--nacos-group',
  'DEFAULT_GROUP',
  '--nacos-relist',
  '30s',
  '--listen',
  `127.0.0.1:${dnsPort}`,
  '--zone',
  'cluster.local',
  '--workers',
  '1',
];

const ordersApp = (fake: FakeNacos, ip: string) =>
  new SpringCloudStyleApp({ nacos: fake.url, service: 'orders', ip, port: 8080 });

describe('clusterdns --nacos-api grpc', () => {
  let fake: FakeNacos;
  let grpc: FakeNacosGrpc;
  let cli: RunningCli;
  let port: number;

  beforeAll(async () => {
    ({ fake, grpc } = await nacosPair());
    await ordersApp(fake, '10.30.0.1').register();
    port = await freePort();
    cli = await startCli(args(fake, port));
  });

  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    grpc?.stop();
    await fake?.stop();
  });

  const ips = async () => {
    const { packet } = await udpQuery(port, NAME, 'A');
    return packet.answers.map((a) => String(a.data)).sort();
  };

  /** ms from `change` starting to DNS answering as `done` says. */
  const timed = async (change: () => Promise<void>, done: (ips: string[]) => boolean) => {
    const since = performance.now();
    await change();
    const deadline = Date.now() + 5000;
    while (!done(await ips())) {
      if (Date.now() > deadline) throw new Error(`DNS never caught up; answers ${String(await ips())}`);
    }
    return performance.now() - since;
  };

  it('answers the instances of orders, and 100 changes within 100 ms at p99, without polling', async () => {
    expect(await ips()).toEqual(['10.30.0.1']);
    const subscribes = grpc.count('SubscribeServiceRequest');
    const lists = grpc.count('ServiceListRequest');
    const latencies: number[] = [];
    for (let i = 2; i <= 101; i++) {
      const app = ordersApp(fake, `10.30.0.${i}`);
      // Alternately a new instance and the previous one gone: 50 up, 50 down. A hundred, so that
      // p99 is a percentile, not the one slowest change.
      if (i % 2 === 0)
        latencies.push(
          await timed(
            () => app.register(),
            (now) => now.includes(`10.30.0.${i}`),
          ),
        );
      else {
        const gone = ordersApp(fake, `10.30.0.${i - 1}`);
        latencies.push(
          await timed(
            () => gone.deregister(),
            (now) => !now.includes(`10.30.0.${i - 1}`),
          ),
        );
      }
    }
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
    console.log(
      `nacos grpc: change → DNS p50 ${latencies[49]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
    expect(p99).toBeLessThanOrEqual(100);
    // Pushed, not polled: no new subscription, no listing, no HTTP instance list.
    expect(grpc.count('SubscribeServiceRequest')).toBe(subscribes);
    expect(grpc.count('ServiceListRequest')).toBe(lists);
    expect(fake.countRequests('/nacos/v1/ns/instance/list')).toBe(0);
    expect(fake.countRequests('/nacos/v1/ns/service/list')).toBe(0);
  });

  it('answers a change within 1 s after the server drops every stream', async () => {
    grpc.dropStreams();
    const ms = await timed(
      () => ordersApp(fake, '10.30.0.99').register(),
      (now) => now.includes('10.30.0.99'),
    );
    console.log(`nacos grpc: change after every stream dropped → DNS ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
  });
});

describe('clusterdns --nacos-api grpc /ready', () => {
  let pair: { fake: FakeNacos; grpc: FakeNacosGrpc } | undefined;
  let cli: RunningCli | undefined;
  afterEach(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    pair?.grpc.stop();
    await pair?.fake.stop();
  });

  it('is not ready while the gRPC port is down, and ready once every subscription answered', async () => {
    pair = await nacosPair(false);
    await ordersApp(pair.fake, '10.31.0.1').register();
    const port = await freePort();
    cli = await startCli([...args(pair.fake, port), '--startup-timeout', '0s']);
    const ready = async () => (await fetch(endpointUrl(cli!.output(), 'ready'))).status;
    await sleepMs(300);
    expect(await ready()).toBe(503);
    expect((await udpQuery(port, NAME, 'A')).packet.rcode).toBe('SERVFAIL');
    await pair.grpc.start();
    const deadline = Date.now() + 5000;
    while ((await ready()) !== 200) {
      if (Date.now() > deadline) throw new Error(`never ready:\n${cli.output()}`);
      await sleepMs(50);
    }
    expect((await udpQuery(port, NAME, 'A')).packet.answers.map((a) => a.data)).toEqual(['10.31.0.1']);
  });
});
