// /metrics of the real server: queries over real sockets move CoreDNS-named series, with CoreDNS's
// labels, by exactly the amounts sent; what the parts count is read at scrape time.
import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, tcpQuery, udpQuery } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { scrape, valueOf } from '../helpers/prometheus.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { makeTestPki, TEST_SERVER_NAME, type TestPki } from '../helpers/certificates.js';
import { startDotStub, type DotStub } from '../resolve/forward/dot-stub.js';
import { a, reply, type Handler } from '../resolve/forward/stub.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }, { ip: '10.244.1.6' }], [{ name: 'http', port: 80 }]),
  service('shop', 'db', { clusterIPs: ['10.96.10.20'], ports: [{ name: 'pg', port: 5432 }] }),
);

const pki = makeTestPki();
afterAll(() => pki?.remove());

describe('/metrics', () => {
  let server: TestServer;
  let upstream: FakeUpstream;
  let url: string;
  let labels: { server: string };

  beforeAll(async () => {
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    server = await startServer({ 'shop.yaml': SHOP }, ['--upstream', `127.0.0.1:${upstream.port}`]);
    url = `http://127.0.0.1:${server.app.endpointAddresses().get('metrics')!.port}/metrics`;
    labels = { server: `dns://127.0.0.1:${server.port}` };
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  /** The change of each named series across `act`. */
  async function across(
    act: () => Promise<void>,
  ): Promise<(name: string, l?: Record<string, string>) => number> {
    const before = (await scrape(url)).series;
    await act();
    const after = (await scrape(url)).series;
    return (name, l = {}) => valueOf(after, name, l) - valueOf(before, name, l);
  }

  it('is Prometheus text, with build info and the table per backend', async () => {
    const { series, contentType } = await scrape(url);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const info = series.find((s) => s.name === 'coredns_build_info')!;
    expect(info.value).toBe(1);
    expect(info.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(valueOf(series, 'coredns_panics_total')).toBe(0);
    expect(valueOf(series, 'clusterdns_table_services', { backend: 'file' })).toBe(2);
    expect(valueOf(series, 'clusterdns_table_endpoints', { backend: 'file' })).toBe(2);
    expect(valueOf(series, 'clusterdns_table_pods', { backend: 'file' })).toBe(0);
    expect(valueOf(series, 'clusterdns_backend_synced', { backend: 'file' })).toBe(1);
    expect(
      valueOf(series, 'clusterdns_backend_last_sync_age_seconds', { backend: 'file' }),
    ).toBeGreaterThanOrEqual(0);
    expect(valueOf(series, 'clusterdns_table_version')).toBe(server.app.table.current.version);
  });

  it('has the process series CoreDNS dashboards plot, read from this very process', async () => {
    // The server runs in the test's process: its numbers are the test's own.
    const { series } = await scrape(url);
    const value = (name: string) => valueOf(series, name);
    const rss = process.memoryUsage().rss;
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(rss / 2);
    expect(value('process_resident_memory_bytes')).toBeLessThan(rss * 2);
    const fds = readdirSync('/proc/self/fd').length;
    expect(Math.abs(value('process_open_fds') - fds)).toBeLessThan(fds / 2);
    expect(value('process_max_fds')).toBeGreaterThanOrEqual(value('process_open_fds'));
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(value('process_start_time_seconds')).toBeCloseTo(Date.now() / 1000 - process.uptime(), -1);
    expect(valueOf(series, 'nodejs_version_info', nodeVersionLabels())).toBe(1);
    expect(series.some((s) => s.name === 'nodejs_heap_size_used_bytes' && s.value > 0)).toBe(true);
    expect(series.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('times every /health request in coredns_health_request_duration_seconds', async () => {
    const health = `http://127.0.0.1:${server.app.endpointAddresses().get('health')!.port}/health`;
    const delta = await across(async () => {
      for (let i = 0; i < 3; i++) expect((await fetch(health)).status).toBe(200);
    });
    expect(delta('coredns_health_request_duration_seconds_count')).toBe(3);
    expect(delta('coredns_health_request_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(delta('coredns_health_request_duration_seconds_sum')).toBeGreaterThan(0);
  });

  it('names the plugins the block runs in coredns_plugin_enabled', async () => {
    const { series } = await scrape(url);
    const enabled = series
      .filter((s) => s.name === 'coredns_plugin_enabled')
      .map((s) => {
        expect(s.value).toBe(1);
        expect(s.labels).toMatchObject({ ...labels, zone: '.' });
        return s.labels.name;
      });
    expect(enabled.sort()).toEqual(['cache', 'file', 'forward', 'health', 'prometheus', 'ready']);
  });

  it('starts coredns_reload_failed_total at 0 (main.ts counts; test/ops/dashboard.test.ts reloads)', async () => {
    const { series } = await scrape(url);
    expect(series.filter((s) => s.name === 'coredns_reload_failed_total')).toEqual([
      { name: 'coredns_reload_failed_total', labels: {}, value: 0 },
    ]);
  });

  it('counts cluster queries by zone, proto, family, type, rcode and plugin', async () => {
    const delta = await across(async () => {
      for (let i = 0; i < 3; i++) await udpQuery(server.port, 'web.shop.svc.cluster.local', 'A');
      await tcpQuery(server.port, 'web.shop.svc.cluster.local', 'AAAA');
      await udpQuery(server.port, 'nothere.shop.svc.cluster.local', 'A', { udpSize: 1232, dnssecOk: true });
    });
    const zone = { ...labels, zone: 'cluster.local.' };
    // The repeated question is answered from compiled bytes after its first asking, and counted alike.
    expect(delta('clusterdns_precompiled_hits_total')).toBeGreaterThanOrEqual(2);
    expect(delta('coredns_dns_requests_total', { ...zone, proto: 'udp', family: '1', type: 'A' })).toBe(4);
    expect(delta('coredns_dns_requests_total', { ...zone, proto: 'tcp', family: '1', type: 'AAAA' })).toBe(1);
    expect(delta('coredns_dns_do_requests_total', zone)).toBe(1);
    expect(delta('coredns_dns_responses_total', { ...zone, rcode: 'NOERROR', plugin: 'kubernetes' })).toBe(4);
    expect(delta('coredns_dns_responses_total', { ...zone, rcode: 'NXDOMAIN', plugin: 'kubernetes' })).toBe(
      1,
    );
    expect(delta('coredns_dns_request_duration_seconds_count', { ...zone, type: 'A' })).toBe(4);
    expect(delta('coredns_dns_request_duration_seconds_bucket', { ...zone, type: 'A', le: '+Inf' })).toBe(4);
    expect(delta('coredns_dns_request_duration_seconds_bucket', { ...zone, type: 'A', le: '8.192' })).toBe(4);
    expect(delta('coredns_dns_request_size_bytes_count', { ...zone, proto: 'tcp' })).toBe(1);
    // A query for web.shop.svc.cluster.local is 44 bytes: 12 header, 28 name, 4 type and class.
    expect(delta('coredns_dns_request_size_bytes_sum', { ...zone, proto: 'tcp' })).toBe(44);
    expect(
      delta('coredns_dns_response_size_bytes_bucket', { ...zone, proto: 'udp', le: '100' }),
    ).toBeGreaterThan(0);
    expect(delta('coredns_dns_response_size_bytes_count', { ...zone, proto: 'udp' })).toBe(4);
  });

  it('counts every one of many answers served from compiled bytes, over each transport and kind of query', async () => {
    // Past the first asking, one in 16 of these is timed and recorded in full and the others are
    // tallied, to be counted at the scrape: it must show each query once, in every series.
    const name = 'db.shop.svc.cluster.local';
    const delta = await across(async () => {
      for (let i = 0; i < 300; i++) {
        await udpQuery(server.port, name, 'A');
        if (i % 3 === 0) await udpQuery(server.port, name, 'A', { udpSize: 1232 });
        if (i % 10 === 0) await tcpQuery(server.port, name, 'A');
      }
    });
    const zone = { ...labels, zone: 'cluster.local.' };
    expect(delta('clusterdns_precompiled_hits_total')).toBeGreaterThanOrEqual(400);
    expect(delta('coredns_dns_requests_total', { ...zone, proto: 'udp', family: '1', type: 'A' })).toBe(400);
    expect(delta('coredns_dns_requests_total', { ...zone, proto: 'tcp', family: '1', type: 'A' })).toBe(30);
    expect(delta('coredns_dns_responses_total', { ...zone, rcode: 'NOERROR', plugin: 'kubernetes' })).toBe(
      430,
    );
    expect(delta('coredns_dns_request_duration_seconds_count', { ...zone, type: 'A' })).toBe(430);
    expect(delta('coredns_dns_request_size_bytes_count', { ...zone, proto: 'udp' })).toBe(400);
    // The sizes of the very queries sent: 300 plain and 100 with an OPT record over UDP.
    const plainRequest = buildQuery(name, 'A').length;
    const withOpt = buildQuery(name, 'A', { udpSize: 1232 }).length;
    expect(delta('coredns_dns_request_size_bytes_sum', { ...zone, proto: 'udp' })).toBe(
      300 * plainRequest + 100 * withOpt,
    );
    expect(delta('coredns_dns_request_size_bytes_sum', { ...zone, proto: 'tcp' })).toBe(30 * plainRequest);
  });

  it('counts forwarded queries, the cache and the upstream under their CoreDNS names', async () => {
    const to = `127.0.0.1:${upstream.port}`;
    const delta = await across(async () => {
      await udpQuery(server.port, 'www.example.com', 'A');
      await udpQuery(server.port, 'www.example.com', 'A');
    });
    const root = { ...labels, zone: '.' };
    expect(delta('coredns_dns_requests_total', { ...root, proto: 'udp', family: '1', type: 'A' })).toBe(2);
    expect(delta('coredns_dns_responses_total', { ...root, rcode: 'NOERROR', plugin: 'forward' })).toBe(2);
    const cache = { ...labels, zones: '.' };
    expect(delta('coredns_cache_misses_total', cache)).toBe(1);
    expect(delta('coredns_cache_hits_total', { ...cache, type: 'success' })).toBe(1);
    expect(delta('coredns_cache_requests_total', cache)).toBe(2);
    expect(delta('coredns_cache_entries', { ...cache, type: 'success' })).toBe(1);
    expect(delta('coredns_forward_requests_total', { to })).toBe(1);
    expect(delta('coredns_forward_responses_total', { to, rcode: 'NOERROR' })).toBe(1);
    const proxy = { proxy_name: 'forward', to, rcode: 'NOERROR' };
    expect(delta('coredns_proxy_request_duration_seconds_count', proxy)).toBe(1);
    expect(delta('coredns_proxy_request_duration_seconds_bucket', { ...proxy, le: '+Inf' })).toBe(1);
    // The same under the names CoreDNS's current forward plugin, and the mixin's alerts, use.
    expect(delta('coredns_forward_request_duration_seconds_count', { to, rcode: 'NOERROR' })).toBe(1);
    const failures = (await scrape(url)).series.filter(
      (s) => s.name === 'coredns_forward_healthcheck_failures_total',
    );
    expect(failures).toEqual([
      { name: 'coredns_forward_healthcheck_failures_total', labels: { to }, value: 0 },
    ]);
  });

  it('counts packets dropped as malformed', async () => {
    const delta = await across(async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) =>
        socket.send(Buffer.from([1, 2, 3, 4, 5]), server.port, '127.0.0.1', () => resolve()),
      );
      socket.close();
      // The dropped packet gets no reply: a query after it shows it was read.
      await udpQuery(server.port, 'web.shop.svc.cluster.local', 'A');
    });
    expect(delta('clusterdns_malformed_packets_dropped_total')).toBe(1);
  });

  it('keeps query types outside CoreDNS’s list under type="other"', async () => {
    const delta = await across(async () => {
      await udpQuery(server.port, 'web.shop.svc.cluster.local', 'NAPTR');
    });
    const zone = { ...labels, zone: 'cluster.local.' };
    expect(delta('coredns_dns_requests_total', { ...zone, proto: 'udp', family: '1', type: 'other' })).toBe(
      1,
    );
    expect(delta('coredns_dns_request_duration_seconds_count', { ...zone, type: 'other' })).toBe(1);
  });
});

/** nodejs_version_info's labels for the Node running the tests. */
function nodeVersionLabels(): Record<string, string> {
  const [major, minor, patch] = process.versions.node.split('.');
  return { version: process.version, major: major!, minor: minor!, patch: patch! };
}

// An upstream that stops answering: after --upstream-max-fails failures it is down, and with every
// upstream down the forwarder tries them anyway and counts it, as CoreDNS's forward does
// (plugin/forward/forward.go: "All upstream proxies are dead, assume healthcheck is completely broken").
describe('/metrics when every upstream is down', () => {
  let server: TestServer;
  let upstream: FakeUpstream;
  let url: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    server = await startServer({ 'shop.yaml': SHOP }, [
      '--upstream',
      `127.0.0.1:${upstream.port}`,
      '--upstream-max-fails',
      '1',
      '--upstream-timeout',
      '200ms',
    ]);
    url = `http://127.0.0.1:${server.app.endpointAddresses().get('metrics')!.port}/metrics`;
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  it('counts coredns_forward_healthcheck_broken_total once per question that found them all down', async () => {
    const broken = async () =>
      valueOf((await scrape(url)).series, 'coredns_forward_healthcheck_broken_total');
    await udpQuery(server.port, 'www.example.com', 'A');
    expect(await broken()).toBe(0);
    upstream.stall(true);
    // The first failure marks the only upstream down; each question after it finds none up.
    for (const name of ['a.example.com', 'b.example.com', 'c.example.com']) {
      expect((await udpQuery(server.port, name, 'A')).packet.rcode).toBe('SERVFAIL');
    }
    expect(await broken()).toBe(2);
    upstream.stall(false);
  });
});

// Two tls:// upstreams on loopback: one whose certificate is for the name asked, one whose is not.
describe.runIf(pki)('/metrics of tls:// upstreams', () => {
  const { ca, serverCert, serverKey, pem } = pki ?? ({} as TestPki);
  let server: TestServer;
  let good: DotStub;
  let bad: DotStub;
  let url: string;

  beforeAll(async () => {
    const answering: Handler = (q) => [reply(q, { answers: [a(q.message.question[0]!.name, '192.0.2.80')] })];
    good = await startDotStub(answering, { cert: pem(serverCert), key: pem(serverKey) });
    // Self-signed: no CA the server trusts signed it.
    bad = await startDotStub(answering, { cert: pem(pki!.untrustedCert), key: pem(pki!.untrustedKey) });
    server = await startServer({ 'shop.yaml': SHOP }, [
      '--upstream',
      `tls://127.0.0.1:${bad.server.port},tls://127.0.0.1:${good.server.port}`,
      '--upstream-tls-servername',
      TEST_SERVER_NAME,
      '--upstream-tls-ca',
      ca,
      // Never marked down, so never probed: the bad one is tried once per question, no more.
      '--upstream-max-fails',
      '0',
    ]);
    url = `http://127.0.0.1:${server.app.endpointAddresses().get('metrics')!.port}/metrics`;
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all([good?.close(), bad?.close()]);
  });

  it('counts connections opened and handshakes failed per upstream', async () => {
    const goodTo = { to: `127.0.0.1:${good.server.port}` };
    const badTo = { to: `127.0.0.1:${bad.server.port}` };
    // The loop check at start-up has asked once already.
    const before = (await scrape(url)).series;
    const replies = [
      await udpQuery(server.port, 'www.example.com', 'A'),
      await udpQuery(server.port, 'www.example.org', 'A'),
    ];
    expect(replies.map((r) => r.packet.rcode)).toEqual(['NOERROR', 'NOERROR']);
    const after = (await scrape(url)).series;
    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(valueOf(after, 'clusterdns_upstream_tls_connections_total', goodTo)).toBe(1);
    expect(delta('clusterdns_upstream_tls_connections_total', goodTo)).toBe(0);
    expect(valueOf(after, 'clusterdns_upstream_tls_handshake_failures_total', goodTo)).toBe(0);
    expect(delta('clusterdns_upstream_tls_handshake_failures_total', badTo)).toBe(2);
    expect(bad.queries).toEqual([]);
  });
});
