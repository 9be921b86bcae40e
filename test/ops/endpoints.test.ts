// /health, /ready and the graceful stop, on the real binary as an operator (or kubelet) sees them:
// plain HTTP GETs on loopback, DNS queries over real sockets, and real signals.
import { createSocket, type Socket } from 'node:dgram';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_LIMITS } from '../../src/ops/http.js';
import { endpointUrl, freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { answerLines, tcpQuery, udpQuery } from '../helpers/dns-client.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { scrape, valueOf } from '../helpers/prometheus.js';
import { makeZonesDir } from '../helpers/server.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace as kubeNamespace, service as kubeService, slice } from '../registry/kubernetes/helpers.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
);

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.text() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('/ready and /health before and after the Kubernetes API syncs', () => {
  let fake: FakeApiServer;
  let cli: RunningCli | undefined;

  beforeAll(async () => {
    // The API server wants a token the server does not have: every list fails until it relents.
    fake = await FakeApiServer.start({ token: 'not-given-to-clusterdns' });
    fake.apply(kubeNamespace('shop'));
    fake.apply(kubeService('shop', 'web', { clusterIP: '10.96.10.10' }));
    fake.apply(slice('shop', 'web', ['10.244.1.5']));
  });
  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await fake.close();
  });

  it('says 503 naming kubernetes until synced, then 200; /health is 200 throughout', async () => {
    const port = await freePort();
    cli = await startCli([
      '--kubernetes',
      fake.url,
      '--listen',
      `127.0.0.1:${port}`,
      // Listen at once rather than wait for the sync: /ready must tell the difference.
      '--startup-timeout',
      '0s',
    ]);
    const ready = endpointUrl(cli.output(), 'ready');
    const health = endpointUrl(cli.output(), 'health');
    const metrics = endpointUrl(cli.output(), 'metrics');

    const before = await get(ready);
    expect(before.status).toBe(503);
    expect(before.body.split(',')).toContain('kubernetes');
    expect(await get(health)).toEqual({ status: 200, body: 'OK' });
    // Not synced: a name it may yet learn is SERVFAIL, never a false NXDOMAIN.
    expect((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet.rcode).toBe('SERVFAIL');
    const unsynced = (await scrape(metrics)).series;
    expect(valueOf(unsynced, 'clusterdns_backend_synced', { backend: 'kubernetes' })).toBe(0);

    fake.token = undefined;
    const after = await until('/ready to turn 200', async () => {
      const answer = await get(ready);
      return answer.status === 200 ? answer : undefined;
    });
    expect(after.body).toBe('OK');
    expect(await get(health)).toEqual({ status: 200, body: 'OK' });
    const { packet } = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);

    const synced = (await scrape(metrics)).series;
    expect(valueOf(synced, 'clusterdns_backend_synced', { backend: 'kubernetes' })).toBe(1);
    expect(valueOf(synced, 'clusterdns_table_services', { backend: 'kubernetes' })).toBe(1);
    expect(valueOf(synced, 'clusterdns_table_endpoints', { backend: 'kubernetes' })).toBe(1);
    expect(
      valueOf(synced, 'coredns_kubernetes_dns_programming_duration_seconds_count'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('answers only its own path on each address', async () => {
    const health = endpointUrl(cli!.output(), 'health');
    expect((await get(health.replace('/health', '/ready'))).status).toBe(404);
    expect((await get(health.replace('/health', '/metrics'))).status).toBe(404);
  });
});

describe('the graceful stop', () => {
  let dir: string;
  let cli: RunningCli | undefined;
  let slowUpstream: Socket | undefined;

  beforeAll(async () => {
    dir = await makeZonesDir({ 'shop.yaml': SHOP });
  });
  afterEach(() => {
    cli?.child.kill('SIGKILL');
    slowUpstream?.close();
    slowUpstream = undefined;
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps answering through lameduck with /ready 503 and /health 200, then exits 0', async () => {
    const port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`, '--lameduck', '2s']);
    const ready = endpointUrl(cli.output(), 'ready');
    const health = endpointUrl(cli.output(), 'health');
    expect(await get(ready)).toEqual({ status: 200, body: 'OK' });

    const signalled = Date.now();
    cli.child.kill('SIGTERM');
    await until('the shutdown to begin', async () =>
      cli!.output().includes('shutting down') ? true : undefined,
    );
    const duringReady = await get(ready);
    expect(duringReady.status).toBe(503);
    expect(duringReady.body).toBe('lameduck');
    expect(await get(health)).toEqual({ status: 200, body: 'OK' });
    const udp = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(udp.packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
    const tcp = await tcpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(tcp.packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
    expect(Date.now() - signalled).toBeLessThan(2000); // all of it inside the lameduck window

    expect(await cli.exited).toBe(0);
    const stoppedAfter = Date.now() - signalled;
    expect(stoppedAfter).toBeGreaterThanOrEqual(1900);
    expect(stoppedAfter).toBeLessThan(8000);
    await expect(fetch(health)).rejects.toThrow(); // nothing listens any more
  });

  it('finishes a TCP answer still waiting on an upstream when the listeners close', async () => {
    // An upstream that takes a second to answer the question under test.
    const upstream = createSocket('udp4');
    slowUpstream = upstream;
    upstream.on('message', (message, remote) => {
      const query = dnsPacket.decode(message);
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: query.questions,
        answers: [{ type: 'A', name: query.questions![0]!.name, ttl: 60, data: '192.0.2.7' }],
      });
      // Only the test's question is slow: the start-up loop probe is answered at once.
      const delay = query.questions![0]!.name === 'slow.example.com' ? 1000 : 0;
      setTimeout(() => upstream.send(reply, remote.port, remote.address), delay);
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', () => resolve()));
    const port = await freePort();
    cli = await startCli([
      '--zones',
      dir,
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `127.0.0.1:${upstream.address().port}`,
      '--lameduck',
      '0s',
    ]);
    const pending = tcpQuery(port, 'slow.example.com', 'A');
    await new Promise((resolve) => setTimeout(resolve, 200));
    cli.child.kill('SIGTERM');
    await until('the listeners to close', async () =>
      cli!.output().includes('lameduck over') ? true : undefined,
    );
    const { packet } = await pending;
    expect(answerLines(packet)).toEqual(['slow.example.com A 192.0.2.7']);
    expect(await cli.exited).toBe(0);
  });

  it('closes a connection that trickles header lines, within the headers bound', async () => {
    const port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`]);
    const { hostname, port: healthPort } = new URL(endpointUrl(cli.output(), 'health'));
    const socket = connect({ host: hostname, port: Number(healthPort) });
    socket.on('error', () => {});
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk));
    await new Promise((resolve) => socket.once('connect', resolve));
    const opened = Date.now();
    socket.write('GET /health HTTP/1.1\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 500);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(trickle);
    expect(Date.now() - opened).toBeLessThan(HTTP_LIMITS.headersTimeout + 3000);
    expect(reply).toMatch(/^HTTP\/1.1 408/);
    expect((await get(endpointUrl(cli.output(), 'health'))).status).toBe(200);
  });

  it('turns an endpoint off with an empty address', async () => {
    const port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`, '--metrics', '']);
    expect(() => endpointUrl(cli!.output(), 'metrics')).toThrow(/no address for \/metrics/);
    expect((await get(endpointUrl(cli.output(), 'health'))).status).toBe(200);
  });
});
