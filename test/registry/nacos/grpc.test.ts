// The Nacos backend speaking Nacos's gRPC protocol to a gRPC double on loopback (the real .proto,
// a real @grpc/grpc-js server): the handshake, subscriptions answered with the instances, pushes
// and their acks, no polling, resets, failover, a server that dies and comes back, auth expiry.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpringCloudStyleApp } from './app.js';
import type { FakeNacos } from './fake-nacos.js';
import {
  endpointsOf,
  type NacosGrpcHarness,
  readyIps,
  sleepMs,
  startNacos,
  startNacosGrpc,
  waitUntil,
} from './helpers.js';

let h: NacosGrpcHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const G = 'DEFAULT_GROUP';
const app = (fake: FakeNacos, service: string, ip: string, more: { accessToken?: string } = {}) =>
  new SpringCloudStyleApp({ nacos: fake.url, service, ip, port: 8080, ...more });

/** Registers `ip` in `service` before the backend starts. */
const registered =
  (...pairs: [string, string][]) =>
  async (fake: FakeNacos) => {
    for (const [service, ip] of pairs) await app(fake, service, ip).register();
  };

describe('handshake', () => {
  it.each([
    { server: '2.3+ (negotiates abilities: SetupAckRequest)', negotiate: true },
    { server: '2.0-2.2 (no SetupAckRequest)', negotiate: false },
  ])('sets up as an SDK does with a $server server, then subscribes', async ({ negotiate }) => {
    h = await startNacosGrpc({ negotiate }, {}, registered(['orders', '10.1.0.1'], ['cart', '10.1.0.2']));
    expect(await h.backend.whenSynced(3000)).toBe(true);
    const [server] = h.servers;
    const types = server!.received.map((m) => m.type);
    // ServerCheck first, set-up on the stream, then (a negotiating server) the ack, then requests.
    expect(types.slice(0, 2)).toEqual(['ServerCheckRequest', 'ConnectionSetupRequest']);
    const setup = server!.received[1]!.body;
    expect(setup).toMatchObject({ tenant: 'public', labels: { module: 'naming' } });
    expect(types.includes('SetupAckResponse')).toBe(negotiate);
    // No request was refused as coming from an unregistered connection.
    expect(types.filter((t) => t === 'SubscribeServiceRequest')).toHaveLength(2);
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.1.0.1']);
    expect(readyIps(h.latest()!, 'default', 'cart')).toEqual(['10.1.0.2']);
    expect(h.lines.some((l) => l.msg.startsWith('subscribing to Nacos instances failed'))).toBe(false);
    // Health checks keep the connection (every 200 ms here).
    await waitUntil(() => server!.count('HealthCheckRequest') >= 2);
  });
});

describe('pushes', () => {
  it('serves a change as pushed, acks each push, and never polls', async () => {
    h = await startNacosGrpc({}, { relistMs: 60_000 }, registered(['orders', '10.2.0.1']));
    await h.backend.whenSynced(3000);
    const [server] = h.servers;
    const latencies: number[] = [];
    for (let i = 2; i <= 31; i++) {
      const since = performance.now();
      await app(h.fake, 'orders', `10.2.0.${i}`).register();
      await h.waitFor((c) => (readyIps(c, 'default', 'orders') ?? []).includes(`10.2.0.${i}`));
      latencies.push(performance.now() - since);
    }
    await waitUntil(() => server!.acks.length === 30);
    expect(server!.acks.every((a) => a.resultCode === 200)).toBe(true);
    expect(server!.acks.map((a) => a.requestId).sort()).toEqual(
      server!.pushes.map((p) => p.requestId).sort(),
    );
    // One subscription, one listing; no instance list read over HTTP.
    expect(server!.count('SubscribeServiceRequest')).toBe(1);
    expect(server!.count('ServiceListRequest')).toBe(1);
    expect(h.fake.countRequests('/nacos/v1/ns/instance/list')).toBe(0);
    // Change → DNS at p99 is pinned end to end, over UDP, in cli-grpc.test.ts.
    latencies.sort((a, b) => a - b);
    console.log(
      `nacos grpc: register → table p50 ${latencies[15]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
    );
  });

  it('hands the table only the service that changed, the others as the same objects', async () => {
    h = await startNacosGrpc({}, {}, registered(['orders', '10.2.1.1'], ['cart', '10.2.1.2']));
    await h.backend.whenSynced(3000);
    const before = h.latest()!;
    await app(h.fake, 'orders', '10.2.1.3').register();
    const after = await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);
    const cart = (c: typeof before) => c.services.find((s) => s.name === 'cart');
    // The table tells changed services by identity: cart costs nothing on a change to orders.
    expect(cart(after)).toBe(cart(before));
    expect(after.services.find((s) => s.name === 'orders')).not.toBe(
      before.services.find((s) => s.name === 'orders'),
    );
  });

  it('follows a service pushed then deleted: its instances, then the service, go', async () => {
    h = await startNacosGrpc({}, { relistMs: 200 }, registered(['orders', '10.3.0.1'], ['cart', '10.3.0.9']));
    await h.backend.whenSynced(3000);
    await app(h.fake, 'orders', '10.3.0.2').register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);
    h.fake.deleteService('public', G, 'orders');
    // The push empties it at once; the next listing drops it.
    await h.waitFor((c) => endpointsOf(c, 'default', 'orders') === undefined);
    expect(h.lines.some((l) => l.msg === 'Nacos service gone' && l.service === 'orders')).toBe(true);
    expect(readyIps(h.latest()!, 'default', 'cart')).toEqual(['10.3.0.9']);
    // Unsubscribed: the server is asked to stop pushing it.
    await waitUntil(() =>
      h!.servers[0]!.received.some((m) => m.type === 'SubscribeServiceRequest' && m.body.subscribe === false),
    );
  });

  it('refuses a malformed push in its ack, keeps the last good instances, and names the service', async () => {
    h = await startNacosGrpc({}, {}, registered(['orders', '10.4.0.1']));
    await h.backend.whenSynced(3000);
    // A push whose instance list is not a list (a server bug): the ack says so.
    const [server] = h.servers;
    const broken = { name: `${G}@@orders`, groupName: G, hosts: 'not-a-list', lastRefTime: Date.now() };
    server!.pushRaw(broken);
    await waitUntil(() => server!.acks.length === 1);
    expect(server!.acks[0]).toMatchObject({ resultCode: 500 });
    const line = h.lines.find((l) => l.msg.startsWith('Nacos push refused'));
    expect(line).toMatchObject({ namespace: 'default', service: 'orders' });
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.4.0.1']);
    // The next good push is served.
    await app(h.fake, 'orders', '10.4.0.2').register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);
  });
});

describe('connections', () => {
  it('moves to the next server on ConnectResetRequest and subscribes everything there', async () => {
    h = await startNacosGrpc({ count: 2 }, {}, registered(['orders', '10.5.0.1']));
    await h.backend.whenSynced(3000);
    const [first, second] = h.servers;
    expect([first!.connections, second!.connections]).toEqual([1, 0]);
    first!.reset();
    await waitUntil(() => second!.count('SubscribeServiceRequest') === 1);
    expect(first!.received.some((m) => m.type === 'ConnectResetResponse')).toBe(true);
    await app(h.fake, 'orders', '10.5.0.2').register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2);
    expect(second!.acks.length).toBeGreaterThanOrEqual(1);
    expect(first!.connections).toBe(0);
  });

  it('fails over across several servers when the current one dies, losing no change', async () => {
    h = await startNacosGrpc({ count: 3 }, {}, registered(['orders', '10.6.0.1']));
    await h.backend.whenSynced(3000);
    const [a, b, c] = h.servers;
    const delivered = h.contents.length;
    a!.stop();
    // A change while no connection is up reaches DNS through the next server's subscription reply.
    await app(h.fake, 'orders', '10.6.0.2').register();
    await h.waitFor((content) => readyIps(content, 'default', 'orders')?.length === 2);
    expect(b!.connections).toBe(1);
    b!.stop();
    await app(h.fake, 'orders', '10.6.0.3').register();
    await h.waitFor((content) => readyIps(content, 'default', 'orders')?.length === 3);
    expect(c!.connections).toBe(1);
    // No empty view was ever delivered meanwhile.
    expect(
      h.contents
        .slice(delivered)
        .every((content) => (readyIps(content, 'default', 'orders') ?? []).length >= 1),
    ).toBe(true);
  });

  it('keeps the last good view while its only server is down, and reconciles when it is back', async () => {
    h = await startNacosGrpc(
      {},
      { relistMs: 60_000 },
      registered(['orders', '10.7.0.1'], ['orders', '10.7.0.2'], ['cart', '10.7.0.9']),
    );
    await h.backend.whenSynced(3000);
    const [server] = h.servers;
    server!.stop();
    await sleepMs(100);
    const delivered = h.contents.length;
    const freshWhenDown = h.freshCount();
    // While it is down, Nacos loses an instance and a service (its data changes elsewhere).
    await app(h.fake, 'orders', '10.7.0.2').deregister();
    h.fake.deleteService('public', G, 'cart');
    await sleepMs(500);
    expect(h.contents.length).toBe(delivered);
    expect(h.freshCount()).toBe(freshWhenDown);
    expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.7.0.1', '10.7.0.2']);

    await server!.start();
    // Nothing stale survives the reconnect: the subscription reply and the relisting reconcile.
    await h.waitFor(
      (c) =>
        readyIps(c, 'default', 'orders')?.join() === '10.7.0.1' &&
        endpointsOf(c, 'default', 'cart') === undefined,
    );
    expect(h.freshCount()).toBeGreaterThan(freshWhenDown);
  });

  it('reconnects at once when the server ends every stream, and serves the next change', async () => {
    h = await startNacosGrpc({}, {}, registered(['orders', '10.8.0.1']));
    await h.backend.whenSynced(3000);
    const [server] = h.servers;
    server!.dropStreams();
    const since = Date.now();
    await app(h.fake, 'orders', '10.8.0.2').register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.length === 2, 1000);
    expect(Date.now() - since).toBeLessThan(1000);
    expect(server!.count('ConnectionSetupRequest')).toBe(2);
  });
});

describe('readiness', () => {
  it('is not synced until the server is reachable, then once every subscription answered', async () => {
    h = await startNacosGrpc({}, {}, registered(['orders', '10.9.0.1'], ['cart', '10.9.0.2']));
    // Nothing before the first connection; the view arrives whole with every subscription.
    expect(await h.backend.whenSynced(3000)).toBe(true);
    expect(h.contents[0]!.services.map((s) => s.name).sort()).toEqual(['cart', 'orders']);
    await h.close();
    // A server whose gRPC port answers nothing: never synced, and the log says why.
    h = await startNacosGrpc({}, { servers: [{ url: 'http://127.0.0.1:9', grpcPort: 9 }] });
    expect(await h.backend.whenSynced(500)).toBe(false);
    expect(h.backend.status().synced).toBe(false);
    expect(h.lines.some((l) => l.msg === 'connecting to Nacos gRPC failed')).toBe(true);
  });
});

describe('login', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('sends the token with each request, and logs in again when the server says it expired', async () => {
    dir = await mkdtemp(join(tmpdir(), 'clusterdns-nacos-'));
    const file = join(dir, 'password');
    await writeFile(file, 's3cret-pass\n');
    h = await startNacosGrpc(
      { auth: { username: 'dns', password: 's3cret-pass', tokenTtlSeconds: 3600 } },
      { credentials: { username: 'dns', passwordFile: file }, relistMs: 100 },
      (fake) => fake.createService('public', G, 'orders'),
    );
    expect(await h.backend.whenSynced(3000)).toBe(true);
    expect(h.fake.logins).toBe(1);
    const [server] = h.servers;
    const subscribe = server!.received.find((m) => m.type === 'SubscribeServiceRequest');
    expect(subscribe).toBeDefined();

    // The server's clock passes the token's end: the next listing is refused, and we log in again.
    h.fake.clock.advance(3_601_000);
    await waitUntil(() => h!.fake.logins >= 2);
    const login = await fetch(`${h.fake.url}/nacos/v1/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'dns', password: 's3cret-pass' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    await app(h.fake, 'orders', '10.10.0.1', { accessToken }).register();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.join() === '10.10.0.1');
    expect(h.backend.status().logins).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(h.lines)).not.toContain('s3cret-pass');
    expect(JSON.stringify(h.lines)).not.toContain(accessToken);
    expect(h.lines.some((l) => l.msg.startsWith('listing Nacos services failed'))).toBe(false);
  });
});

describe('what an instance becomes', () => {
  /** Instances of every kind the mapping tells apart, registered as the open API does. */
  const mixed = async (fake: FakeNacos) => {
    const add = async (params: Record<string, string>) => {
      const url = new URL('/nacos/v1/ns/instance', fake.url);
      url.search = new URLSearchParams({ serviceName: 'orders', port: '8080', ...params }).toString();
      const response = await fetch(url, { method: 'POST' });
      expect(response.ok).toBe(true);
    };
    await add({ ip: '10.11.0.1', weight: '3', metadata: JSON.stringify({ 'dns.port-name': 'GRPC' }) });
    await add({ ip: '10.11.0.2', enabled: 'false' });
    await add({ ip: '10.11.0.3', healthy: 'false', ephemeral: 'false' });
    await add({ ip: '10.11.0.4', weight: '0' });
    await add({ ip: 'fd00::5', weight: '0.5' });
    fake.injectRawHost('public', G, 'orders', { ip: 'not-an-ip', port: 1, healthy: true });
    fake.setProtectThreshold('public', G, 'cart', 0.5);
    await app(fake, 'cart', '10.11.1.1').register();
    await add({ serviceName: 'cart', ip: '10.11.1.2', healthy: 'false', ephemeral: 'false' });
  };

  it('is the same service whichever API reads it: weights, port names, health, enabled, threshold', async () => {
    const polled = await startNacos({}, {}, mixed);
    try {
      await polled.backend.whenSynced(3000);
      h = await startNacosGrpc({}, {}, mixed);
      await h.backend.whenSynced(3000);
      expect(h.latest()!.services).toEqual(polled.latest()!.services);
      expect(readyIps(h.latest()!, 'default', 'orders')).toEqual(['10.11.0.1', 'fd00::5']);
      // cart: 1 of 2 healthy ≤ threshold 0.5, so Nacos lists both as healthy, and says so.
      expect(readyIps(h.latest()!, 'default', 'cart')).toEqual(['10.11.1.1', '10.11.1.2']);
      expect(h.backend.status().protectionThreshold).toEqual(polled.backend.status().protectionThreshold);
      expect(h.backend.status().protectionThreshold).toEqual(['default/cart']);
      expect(h.lines.filter((l) => l.msg === 'Nacos instance skipped')).toHaveLength(1);
    } finally {
      await polled.close();
    }
  });

  it('drops an instance Nacos marks unhealthy by its beat check, as pushed', async () => {
    h = await startNacosGrpc({}, {}, registered(['orders', '10.12.0.1'], ['orders', '10.12.0.2']));
    await h.backend.whenSynced(3000);
    const one = app(h.fake, 'orders', '10.12.0.1');
    h.fake.clock.advance(10_000);
    await one.beat();
    h.fake.clock.advance(6000);
    h.fake.checkBeats();
    await h.waitFor((c) => readyIps(c, 'default', 'orders')?.join() === '10.12.0.1');
    expect(endpointsOf(h.latest()!, 'default', 'orders')?.map((e) => [e.ip, e.ready])).toContainEqual([
      '10.12.0.2',
      false,
    ]);
  });
});
