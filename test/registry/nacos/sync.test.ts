// The Nacos backend against the Nacos double over loopback HTTP: what a user registers in Nacos is
// what the table serves, heartbeats and eviction included.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpringCloudStyleApp } from './app.js';
import { endpointsOf, type NacosHarness, readyIps, sleepMs, startNacos, waitUntil } from './helpers.js';

let h: NacosHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const app = (
  h: NacosHarness,
  ip: string,
  more: Partial<ConstructorParameters<typeof SpringCloudStyleApp>[0]> = {},
) => new SpringCloudStyleApp({ nacos: h.fake.url, service: 'orders', ip, port: 8080, ...more });

describe('heartbeats and eviction', () => {
  it('serves a registered app, drops it when unhealthy, serves it again when it beats', async () => {
    h = await startNacos();
    const a = app(h, '10.0.0.1');
    const b = app(h, '10.0.0.2');
    await a.register();
    await b.register();
    expect(await h.backend.whenSynced(3000)).toBe(true);
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);

    // b stops beating while a beats every 5 s: at 14 s b is still healthy, past 15 s unhealthy.
    for (const step of [5000, 5000, 4000]) {
      h.fake.clock.advance(step);
      await a.beat();
    }
    await sleepMs(150);
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.0.0.1', '10.0.0.2']);
    h.fake.clock.advance(2000);
    await a.beat();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.join() === '10.0.0.1');
    // Still listed by Nacos (unhealthy), so still known, just not answered.
    expect(endpointsOf(h.latest()!, 'default', 'orders')?.map((e) => [e.ip, e.ready])).toContainEqual([
      '10.0.0.2',
      false,
    ]);

    await b.beat();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);

    // Silent past the delete timeout: Nacos removes it; its next full beat registers it again.
    for (let t = 0; t < 31; t += 5) {
      h.fake.clock.advance(5000);
      await a.beat();
    }
    expect(h.fake.instances('public', 'DEFAULT_GROUP', 'orders').map((i) => i.ip)).toEqual(['10.0.0.1']);
    await h.waitFor((c) => endpointsOf(c, 'default', 'orders')?.length === 1);
    await b.beat();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);
    expect(h.backend.status().protectionThresholdReached).toBe(0);
  });

  it('flags the protection threshold once, and serves what the server lists as healthy', async () => {
    h = await startNacos();
    const lone = app(h, '10.0.0.9');
    await lone.register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 1);
    h.fake.clock.advance(16_000);
    // Nacos lists the unhealthy instance as healthy (0/1 healthy ≤ threshold 0) and says so.
    await waitUntil(() => h!.backend.status().protectionThreshold.length === 1);
    expect(h.backend.status()).toMatchObject({
      protectionThreshold: ['default/orders'],
      protectionThresholdReached: 1,
    });
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.0.0.9']);
    await sleepMs(300); // several polls
    const flagged = h.lines.filter((l) => l.msg.startsWith('Nacos protection threshold reached'));
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ namespace: 'default', service: 'orders' });

    await lone.beat();
    await waitUntil(() => h!.backend.status().protectionThreshold.length === 0);
    expect(h.lines.some((l) => l.msg === 'Nacos protection threshold cleared')).toBe(true);
    expect(h.backend.status().protectionThresholdReached).toBe(1);

    h.fake.clock.advance(31_000);
    await h.waitFor((c) => endpointsOf(c, 'default', 'orders')?.length === 0);
  });
});

describe('what an instance becomes', () => {
  it('scales weights into SRV weights and names the port from metadata', async () => {
    h = await startNacos();
    await app(h, '10.0.1.1', { weight: 1 }).register();
    await app(h, '10.0.1.2', { weight: 2.5, metadata: { 'dns.port-name': 'GRPC' } }).register();
    await app(h, '10.0.1.3', { weight: 10_000 }).register();
    await app(h, '10.0.1.4', { weight: 0 }).register();
    await h.waitFor((c) => endpointsOf(c, 'default', 'orders')?.length === 4);
    const byIp = Object.fromEntries(endpointsOf(h.latest()!, 'default', 'orders')!.map((e) => [e.ip, e]));
    expect(byIp['10.0.1.1']).toMatchObject({
      weight: 100,
      ready: true,
      ports: [{ name: 'http', port: 8080 }],
    });
    expect(byIp['10.0.1.2']).toMatchObject({
      weight: 250,
      ready: true,
      ports: [{ name: 'grpc', protocol: 'TCP' }],
    });
    expect(byIp['10.0.1.3']).toMatchObject({ weight: 65535, ready: true });
    // Weight 0 takes no traffic in Nacos: not an endpoint DNS answers with.
    expect(byIp['10.0.1.4']).toMatchObject({ ready: false });
  });

  it('skips a malformed instance with one log line and serves the rest', async () => {
    h = await startNacos({}, {}, async (fake) => {
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'orders',
        ip: '10.0.2.1',
        port: 80,
      }).register();
      fake.injectRawHost('public', 'DEFAULT_GROUP', 'orders', {
        instanceId: 'broken-1',
        ip: '10.0.2.300',
        port: 80,
        healthy: true,
        enabled: true,
        weight: 1,
      });
      fake.injectRawHost('public', 'DEFAULT_GROUP', 'orders', { ip: '10.0.2.2', port: 0, healthy: true });
      fake.injectRawHost('public', 'DEFAULT_GROUP', 'orders', 'not an object');
    });
    expect(await h.backend.whenSynced(3000)).toBe(true);
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.0.2.1']);
    await sleepMs(300);
    const skipped = h.lines.filter((l) => l.msg === 'Nacos instance skipped');
    expect(skipped.map((l) => l.problem).sort()).toEqual([
      '#3: not an object',
      '10.0.2.2#0: port 0 is not an integer 1-65535',
      'broken-1: ip "10.0.2.300" is not an IP address',
    ]);
  });

  it('skips services whose names are not DNS labels, once each', async () => {
    h = await startNacos({}, {}, (fake) => {
      fake.createService('public', 'DEFAULT_GROUP', 'Orders-API');
      fake.createService('public', 'DEFAULT_GROUP', 'com.shop:payments');
      fake.createService('public', 'DEFAULT_GROUP', 'orders_v2');
    });
    await h.backend.whenSynced(3000);
    expect(h.latest()!.services.map((s) => s.name)).toEqual(['orders-api']);
    await sleepMs(300); // several re-lists
    const skipped = h.lines.filter((l) => l.msg.startsWith('Nacos service skipped'));
    expect(skipped.map((l) => l.service).sort()).toEqual(['com.shop:payments', 'orders_v2']);
  });

  it('reads the 1.x shape of the v1 instance list (valid, no enabled)', async () => {
    h = await startNacos({ shape: '1.x' }, {}, async (fake) => {
      const one = new SpringCloudStyleApp({ nacos: fake.url, service: 'legacy', ip: '10.0.3.1', port: 80 });
      const two = new SpringCloudStyleApp({ nacos: fake.url, service: 'legacy', ip: '10.0.3.2', port: 80 });
      await one.register();
      await two.register();
    });
    await h.backend.whenSynced(3000);
    expect(readyIps(h.latest()!, 'default', 'legacy')).toEqual(['10.0.3.1', '10.0.3.2']);
    h.fake.clock.advance(16_000);
    await new SpringCloudStyleApp({ nacos: h.fake.url, service: 'legacy', ip: '10.0.3.1', port: 80 }).beat();
    await h.waitFor((c) => readyIps(c, 'default', 'legacy')?.join() === '10.0.3.1');
  });
});

describe('namespaces, groups, paging, API versions', () => {
  const PROD = '8f1c2e9a-3b7d-4c55-9e61-2a0d5b7f4c13';

  it('serves each mapped Nacos namespace under its DNS namespace, and nothing else', async () => {
    h = await startNacos(
      {},
      {
        namespaces: [
          { dns: 'prod', nacos: PROD },
          { dns: 'default', nacos: '' },
        ],
      },
      async (fake) => {
        await new SpringCloudStyleApp({
          nacos: fake.url,
          service: 'orders',
          ip: '10.1.0.1',
          port: 80,
          namespaceId: PROD,
        }).register();
        await new SpringCloudStyleApp({
          nacos: fake.url,
          service: 'orders',
          ip: '10.2.0.1',
          port: 80,
        }).register();
        await new SpringCloudStyleApp({
          nacos: fake.url,
          service: 'orders',
          ip: '10.3.0.1',
          port: 80,
          namespaceId: 'staging',
        }).register();
        await new SpringCloudStyleApp({
          nacos: fake.url,
          service: 'billing',
          ip: '10.1.0.2',
          port: 80,
          namespaceId: PROD,
          group: 'OTHER',
        }).register();
      },
    );
    await h.backend.whenSynced(3000);
    const content = h.latest()!;
    expect(content.namespaces.sort()).toEqual(['default', 'prod']);
    expect(readyIps(content, 'prod', 'orders')).toEqual(['10.1.0.1']);
    expect(readyIps(content, 'default', 'orders')).toEqual(['10.2.0.1']);
    // Another group is not served; another namespace is not mapped.
    expect(content.services.map((s) => `${s.namespace}/${s.name}`).sort()).toEqual([
      'default/orders',
      'prod/orders',
    ]);
    // The public namespace is asked for by leaving namespaceId out (1.x calls it "", 2.x "public").
    const lists = h.fake.requests.filter((r) => r.path === '/nacos/v1/ns/instance/list');
    expect(lists.some((r) => r.query.get('namespaceId') === PROD)).toBe(true);
    expect(lists.some((r) => !r.query.has('namespaceId'))).toBe(true);
    expect(
      lists.every(
        (r) => r.query.get('healthyOnly') === 'false' && r.query.get('groupName') === 'DEFAULT_GROUP',
      ),
    ).toBe(true);
  });

  it('serves another group when told to', async () => {
    h = await startNacos({}, { group: 'SHOP' }, async (fake) => {
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'orders',
        ip: '10.0.0.1',
        port: 80,
      }).register();
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'cart',
        ip: '10.0.0.2',
        port: 80,
        group: 'SHOP',
      }).register();
    });
    await h.backend.whenSynced(3000);
    expect(h.latest()!.services.map((s) => s.name)).toEqual(['cart']);
  });

  it('lists every page of a large namespace and follows services coming and going', async () => {
    h = await startNacos({}, { pageSize: 10 }, (fake) => {
      for (let i = 0; i < 25; i++)
        fake.createService('public', 'DEFAULT_GROUP', `svc-${String(i).padStart(2, '0')}`);
    });
    await h.backend.whenSynced(3000);
    expect(h.latest()!.services).toHaveLength(25);
    const pages = h.fake.requests.filter((r) => r.path === '/nacos/v1/ns/service/list').slice(0, 3);
    expect(pages.map((r) => [r.query.get('pageNo'), r.query.get('pageSize')])).toEqual([
      ['1', '10'],
      ['2', '10'],
      ['3', '10'],
    ]);
    await app(h, '10.9.0.1', { service: 'late' }).register();
    await h.waitFor((c) => readyIps(c, 'default', 'late')?.join() === '10.9.0.1');
  });

  it.each(['v2', 'v3'] as const)('speaks the %s API', async (api) => {
    h = await startNacos({}, { api, namespaces: [{ dns: 'prod', nacos: PROD }] }, async (fake) => {
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'orders',
        ip: '10.1.0.1',
        port: 80,
        namespaceId: PROD,
        weight: 3,
      }).register();
    });
    expect(await h.backend.whenSynced(3000)).toBe(true);
    expect(endpointsOf(h.latest()!, 'prod', 'orders')).toMatchObject([
      { ip: '10.1.0.1', ready: true, weight: 300 },
    ]);
    const paths = new Set(h.fake.requests.map((r) => r.path));
    if (api === 'v2')
      expect([...paths].sort()).toEqual([
        '/nacos/v1/ns/instance',
        '/nacos/v2/ns/instance/list',
        '/nacos/v2/ns/service/list',
      ]);
    else
      expect([...paths].sort()).toEqual([
        '/nacos/v1/ns/instance',
        '/nacos/v3/admin/ns/service/list',
        '/nacos/v3/client/ns/instance/list',
      ]);
  });
});

describe('login', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const passwordFile = async (password: string) => {
    dir = await mkdtemp(join(tmpdir(), 'clusterdns-nacos-'));
    const file = join(dir, 'password');
    await writeFile(file, `${password}\n`);
    return file;
  };

  it('logs in, and again when the server says the token expired, never logging the password', async () => {
    const file = await passwordFile('s3cret-pass');
    h = await startNacos(
      { auth: { username: 'dns', password: 's3cret-pass', tokenTtlSeconds: 3600 } },
      { credentials: { username: 'dns', passwordFile: file } },
      async (fake) => {
        fake.createService('public', 'DEFAULT_GROUP', 'orders');
      },
    );
    expect(await h.backend.whenSynced(3000)).toBe(true);
    expect(h.fake.logins).toBe(1);
    expect(h.fake.countRequests('/nacos/v1/ns/instance/list', 403)).toBe(0);

    // The server's clock passes the token's end (our own refresh has not come due).
    h.fake.clock.advance(3_601_000);
    const login = await fetch(`${h.fake.url}/nacos/v1/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'dns', password: 's3cret-pass' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    await app(h, '10.4.0.1', { accessToken }).register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.join() === '10.4.0.1');
    expect(h.fake.countRequests('/nacos/v1/auth/login', 200)).toBeGreaterThanOrEqual(3);
    expect(h.fake.requests.some((r) => r.status === 403)).toBe(true);
    expect(h.backend.status().logins).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(h.lines)).not.toContain('s3cret-pass');
    expect(JSON.stringify(h.lines)).not.toContain(accessToken);
  });

  it('renews the token before it expires', async () => {
    const file = await passwordFile('pw');
    h = await startNacos(
      { auth: { username: 'dns', password: 'pw', tokenTtlSeconds: 1 } },
      { credentials: { username: 'dns', passwordFile: file } },
      (fake) => fake.createService('public', 'DEFAULT_GROUP', 'orders'),
    );
    await h.backend.whenSynced(3000);
    await sleepMs(2500);
    // Renewed at 80% of its one-second life: about three logins, and no request refused.
    expect(h.fake.logins).toBeGreaterThanOrEqual(3);
    expect(h.fake.requests.filter((r) => r.status === 403)).toEqual([]);
  });

  it('does not sync with a wrong password, and says why', async () => {
    const file = await passwordFile('wrong');
    h = await startNacos(
      { auth: { username: 'dns', password: 'right' } },
      { credentials: { username: 'dns', passwordFile: file } },
    );
    expect(await h.backend.whenSynced(500)).toBe(false);
    const line = h.lines.find((l) => l.msg.startsWith('listing Nacos services failed'));
    expect(line?.err).toContain('/v1/auth/login: HTTP 403 unknown user!');
    expect(JSON.stringify(h.lines)).not.toContain('wrong');
  });
});

describe('failures', () => {
  it('keeps the last good view while the server is down, and catches up after', async () => {
    h = await startNacos({}, {}, async (fake) => {
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'orders',
        ip: '10.5.0.1',
        port: 80,
      }).register();
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'cart',
        ip: '10.5.0.2',
        port: 80,
      }).register();
    });
    await h.backend.whenSynced(3000);
    const delivered = h.contents.length;
    await h.fake.stop();
    await sleepMs(100);
    const freshWhenDown = h.freshCount();
    await sleepMs(500);
    // Nothing delivered (no empty view), nothing vouched for.
    expect(h.contents.length).toBe(delivered);
    expect(h.freshCount()).toBe(freshWhenDown);
    expect(h.backend.status().failing.sort()).toEqual(['default/cart', 'default/orders']);
    expect(h.lines.some((l) => l.msg.startsWith('polling Nacos instances failed'))).toBe(true);

    await h.fake.start();
    await app(h, '10.5.0.3').register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.join() === '10.5.0.1,10.5.0.3');
    expect(readyIps(h.latest()!, 'default', 'cart')).toEqual(['10.5.0.2']);
    expect(h.freshCount()).toBeGreaterThan(freshWhenDown);
    await waitUntil(() => h!.backend.status().failing.length === 0);
  });

  it('keeps the last good instances of a service whose poll fails, while others update', async () => {
    h = await startNacos({}, {}, async (fake) => {
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'orders',
        ip: '10.6.0.1',
        port: 80,
      }).register();
      await new SpringCloudStyleApp({
        nacos: fake.url,
        service: 'cart',
        ip: '10.6.0.2',
        port: 80,
      }).register();
    });
    await h.backend.whenSynced(3000);
    h.fake.failInstanceList('public', 'DEFAULT_GROUP', 'orders', 500);
    await app(h, '10.6.0.3').register();
    await app(h, '10.6.0.4', { service: 'cart' }).register();
    await h.waitFor((c) => readyIps(c, 'default', 'cart')?.length === 2);
    // Each service is polled on its own: the cart's poll may land before the orders' has failed.
    await waitUntil(() => h!.backend.status().failing.length > 0);
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.6.0.1']);
    expect(h.backend.status().failing).toEqual(['default/orders']);
    h.fake.failInstanceList('public', 'DEFAULT_GROUP', 'orders', undefined);
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2, 5000);
  });

  it.each([
    ['larger than the size cap', 'is larger than 32768 bytes', undefined],
    ['not JSON', 'answer is not JSON', '<html><body>502 Bad Gateway</body></html>'],
    [
      'without a list of hosts',
      'instance list has no "hosts" array',
      '{"name":"DEFAULT_GROUP@@orders","hosts":"none"}',
    ],
  ])(
    'keeps the last good instances of a service whose instance list is %s, and names the service',
    async (_, problem, body) => {
      let oversized = 0;
      h = await startNacos({}, { maxBodyBytes: 32 * 1024, onOversizedRead: () => (oversized += 1) }, (fake) =>
        new SpringCloudStyleApp({ nacos: fake.url, service: 'orders', ip: '10.7.0.1', port: 80 }).register(),
      );
      await h.backend.whenSynced(3000);
      if (body !== undefined) h.fake.answerInstanceList('public', 'DEFAULT_GROUP', 'orders', body);
      else {
        // 500 more instances, each as Nacos lists it: some 90 KB of JSON.
        for (let i = 0; i < 500; i++) {
          const ip = `10.7.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`;
          h.fake.injectRawHost('public', 'DEFAULT_GROUP', 'orders', {
            instanceId: `${ip}#80#DEFAULT#DEFAULT_GROUP@@orders`,
            ip,
            port: 80,
            weight: 1,
            healthy: true,
            enabled: true,
            metadata: {},
          });
        }
      }
      await app(h, '10.7.0.2', { service: 'cart' }).register();
      await h.waitFor((c) => readyIps(c, 'default', 'cart')?.length === 1);
      await waitUntil(() => h!.backend.status().failing.includes('default/orders'));

      expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.7.0.1']);
      const line = h.lines.find(
        (l) => l.msg === 'polling Nacos instances failed; keeping their last good list',
      );
      expect(line).toMatchObject({ namespace: 'default', service: 'orders' });
      expect(String(line?.err)).toContain(problem);
      if (body === undefined) {
        expect(line).toMatchObject({ url: `${h.fake.url}/nacos/v1/ns/instance/list`, limitBytes: 32 * 1024 });
        expect(oversized).toBeGreaterThanOrEqual(1);
      }
    },
  );

  it('polls at the interval the server advises, within bounds', async () => {
    h = await startNacos({ cacheMillis: 400 }, { minPollMs: 20, maxPollMs: 5000 }, (fake) =>
      fake.createService('public', 'DEFAULT_GROUP', 'orders'),
    );
    await h.backend.whenSynced(3000);
    const before = h.fake.countRequests('/nacos/v1/ns/instance/list');
    await sleepMs(1000);
    const polls = h.fake.countRequests('/nacos/v1/ns/instance/list') - before;
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(polls).toBeLessThanOrEqual(3);
  });

  it('is not synced while the server is unreachable', async () => {
    h = await startNacos({}, {}, (fake) => fake.stop());
    expect(await h.backend.whenSynced(300)).toBe(false);
    expect(h.contents).toEqual([]);
    expect(h.lines.some((l) => l.msg.startsWith('listing Nacos services failed'))).toBe(true);
  });
});
