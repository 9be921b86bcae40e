// Server blocks on one port, each its own plugin chain, under `clusterdns --corefile` (the built
// binary): a query goes to the block whose zone holds its name most closely, and that block's
// forward, cache and log answer it. The real Corefiles are rendered onto loopback: their bind
// addresses and upstreams become 127.0.0.1 and the test's ports, nothing else changes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrl, freePort, startCli, type RunningCli } from '../helpers/cli.js';
import {
  answerLines,
  buildQuery,
  decodeReply,
  tcpQuery,
  udpExchange,
  udpQuery,
} from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { eventually, namespace, service, slice } from '../registry/kubernetes/helpers.js';

/** A real Corefile without its source comments, which name the addresses it holds. */
const real = (name: string) =>
  readFileSync(new URL(`fixtures/corefiles/real/${name}`, import.meta.url), 'utf8').replace(/^#.*\n/gm, '');
const count = (text: string, needle: string) => text.split(needle).length - 1;

const externalName = (ns: string, name: string, target: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { type: 'ExternalName', externalName: target },
});

describe('server blocks, each its own chain', () => {
  let api: FakeApiServer;
  let dir: string;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
      externalName('shop', 'search', 'www.example.com'),
      service('shop', 'db', { clusterIP: 'None' }),
      {
        ...slice('shop', 'db', []),
        endpoints: [
          {
            addresses: ['10.244.2.7'],
            conditions: { ready: true },
            targetRef: { kind: 'Pod', name: 'db-7f9c' },
          },
          {
            addresses: ['10.244.2.8'],
            hostname: 'db-1',
            conditions: { ready: true },
            targetRef: { kind: 'Pod', name: 'db-x' },
          },
        ],
      },
    ])
      api.apply(object);
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-blocks-'));
  });

  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(args: string[]): Promise<RunningCli> {
    const cli = await startCli(args);
    running.push(cli);
    if (cli.child.exitCode !== null) throw new Error(`clusterdns refused:\n${cli.output()}`);
    return cli;
  }

  async function serveCorefile(name: string, text: string): Promise<{ cli: RunningCli; file: string }> {
    const file = join(dir, name);
    writeFileSync(file, text);
    return { cli: await start(['--corefile', file, '--kubernetes', api.url]), file };
  }

  // Kubernetes' NodeLocal DNSCache addon: cluster.local and the reverse zones forwarded over TCP to
  // the cluster's DNS (here a clusterdns reading the API double), everything else to the node's
  // resolver (here a UDP-only upstream), each block with its own cache.
  describe('NodeLocal DNSCache', () => {
    let port: number;
    let clusterDns: RunningCli;
    let upstream: FakeUpstream;
    let local: { cli: RunningCli; file: string };
    let clusterPort: number;
    const render = (text: string, clusterPort: number) =>
      text
        .replaceAll('bind 169.254.20.10 10.96.0.10', 'bind 127.0.0.1')
        .replace('health 169.254.20.10:8080', 'health 127.0.0.1:8080')
        .replaceAll(':53 {', `:${port} {`)
        .replaceAll('forward . 10.96.0.11', `forward . 127.0.0.1:${clusterPort}`)
        .replaceAll('forward . /etc/resolv.conf', `forward . 127.0.0.1:${upstream.port}`);

    beforeAll(async () => {
      upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
      clusterPort = await freePort();
      clusterDns = await start([
        '--kubernetes',
        api.url,
        '--listen',
        `127.0.0.1:${clusterPort}`,
        '--upstream',
        `127.0.0.1:${upstream.port}`,
        '--log-queries',
      ]);
      port = await freePort();
      const text = render(real('nodelocaldns.Corefile'), clusterPort);
      expect(text).not.toMatch(/169\.254|10\.96\.0\.1|resolv\.conf/);
      local = await serveCorefile('nodelocaldns.Corefile', text);
    });

    afterAll(() => upstream?.close());

    it('answers cluster names from the cluster DNS, over TCP (force_tcp), and no other', async () => {
      const asked = (name: string) => count(clusterDns.output(), `"name":"${name}"`);
      expect(answerLines((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet)).toEqual([
        'web.shop.svc.cluster.local A 10.96.45.10',
      ]);
      expect(answerLines((await udpQuery(port, '10.45.96.10.in-addr.arpa', 'PTR')).packet)).toEqual([
        '10.45.96.10.in-addr.arpa PTR web.shop.svc.cluster.local',
      ]);
      // The cluster DNS writes its query log lines after it answers.
      await eventually(
        () => /"name":"web\.shop\.svc\.cluster\.local".*"transport":"tcp"/.test(clusterDns.output()),
        3000,
        'the cluster DNS asked over TCP',
      );
      expect(upstream.asked.filter((q) => q.includes('cluster.local') || q.includes('arpa'))).toEqual([]);
      // Each block caches its own answers: the second ask never leaves the node.
      const before = asked('web.shop.svc.cluster.local');
      await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(asked('web.shop.svc.cluster.local')).toBe(before);
    });

    it('answers other names from the node resolver, cached by the . block', async () => {
      expect(answerLines((await udpQuery(port, 'www.example.com', 'A')).packet)).toEqual([
        'www.example.com A 192.0.2.80',
      ]);
      // From the cache: the upstream speaks UDP only, and a TCP client is forwarded over TCP.
      expect(answerLines((await tcpQuery(port, 'www.example.com', 'A')).packet)).toEqual([
        'www.example.com A 192.0.2.80',
      ]);
      expect(answerLines((await udpQuery(port, 'www.example.com', 'A')).packet)).toEqual([
        'www.example.com A 192.0.2.80',
      ]);
      expect(upstream.asked.filter((q) => q === 'www.example.com A')).toHaveLength(1);
      expect(clusterDns.output()).not.toContain('"name":"www.example.com"');
    });

    it("counts each block's queries under its zone, and every block's upstream queries once per upstream", async () => {
      await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
      await udpQuery(port, '10.45.96.10.in-addr.arpa', 'PTR');
      const metrics = await (await fetch(endpointUrl(local.cli.output(), 'metrics'))).text();
      expect(metrics).toMatch(/coredns_dns_requests_total\{[^}]*zone="cluster\.local\."[^}]*\} [1-9]/);
      expect(metrics).toMatch(/coredns_dns_requests_total\{[^}]*zone="in-addr\.arpa\."[^}]*\} [1-9]/);
      // The cluster.local and in-addr.arpa blocks both asked the cluster's DNS: one series, summed.
      const toCluster = metrics
        .split('\n')
        .filter(
          (line) => line.startsWith('coredns_forward_requests_total{') && line.includes(`:${clusterPort}"`),
        );
      expect(toCluster).toHaveLength(1);
      expect(Number(toCluster[0]!.split(' ').pop())).toBeGreaterThanOrEqual(2);
    });

    it('keeps the cache of every block a reload leaves unchanged, and rebuilds the changed one', async () => {
      const asked = () => count(clusterDns.output(), '"name":"web.shop.svc.cluster.local"');
      await udpQuery(port, 'www.example.com', 'A');
      await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const upstreamBefore = upstream.asked.length;
      const clusterBefore = asked();
      const reloads = count(local.cli.output(), 'configuration reloaded');
      // Only the cluster.local block changes: its success cache now holds answers 20 s.
      const text = readFileSync(local.file, 'utf8').replace('success 9984 30', 'success 9984 20');
      writeFileSync(local.file, text);
      await eventually(() => count(local.cli.output(), 'configuration reloaded') > reloads, 5000, 'reload');
      expect(answerLines((await udpQuery(port, 'www.example.com', 'A')).packet)).toEqual([
        'www.example.com A 192.0.2.80',
      ]);
      expect(upstream.asked.length).toBe(upstreamBefore);
      expect(answerLines((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet)).toEqual([
        'web.shop.svc.cluster.local A 10.96.45.10',
      ]);
      await eventually(() => asked() === clusterBefore + 1, 3000, 'the cluster DNS asked again');
    });
  });

  // OpenShift's DNS operator with per-zone forwarders: each block its own upstreams, policy, cache
  // and log of errors only, beside the block with kubernetes.
  describe("OpenShift's Corefile with forwarders", () => {
    let port: number;
    const upstreams: Record<string, FakeUpstream> = {};
    let cli: RunningCli;

    beforeAll(async () => {
      // Each upstream knows www.foo.com with its own address: the answer says who was asked.
      const names = ['foo', 'bar', 'fizz', 'buzz', 'node'];
      for (const [i, name] of names.entries()) {
        upstreams[name] = await startFakeUpstream(
          {
            'www.foo.com': [`192.0.2.${i + 1}`],
            'www.bar.com': [`192.0.2.${i + 1}`],
            'www.example.com': [`192.0.2.${i + 1}`],
            'www.fizz.com': [`192.0.2.${i + 1}`],
            'www.example.buzz.com': [`192.0.2.${i + 1}`],
            'www.other.org': [`192.0.2.${i + 1}`],
          },
          { denyBelow: 'foo.com' },
        );
      }
      port = await freePort();
      const at = (name: string) => `127.0.0.1:${upstreams[name]!.port}`;
      const text = real('openshift-forwarders.Corefile')
        .replace('forward . 1.1.1.1 2.2.2.2:5353', `forward . ${at('foo')}`)
        .replace('forward . 3.3.3.3', `forward . ${at('bar')}`)
        .replace('forward . 5.5.5.5 6.6.6.6', `forward . ${at('fizz')} ${at('fizz')}`)
        .replace('forward . 4.4.4.4', `forward . ${at('buzz')}`)
        .replace('forward . /etc/resolv.conf', `forward . ${at('node')}`)
        .replaceAll(':5353 ', `:${port} `);
      expect(text).not.toMatch(/([1-6])\.\1\.\1\.\1|resolv\.conf|:5353/);
      ({ cli } = await serveCorefile('openshift-forwarders.Corefile', text));
    });

    afterAll(() => Promise.all(Object.values(upstreams).map((upstream) => upstream.close())));

    it.each([
      ['www.foo.com', '192.0.2.1'],
      ['www.bar.com', '192.0.2.2'],
      ['www.example.com', '192.0.2.2'],
      ['www.fizz.com', '192.0.2.3'],
      ['www.example.buzz.com', '192.0.2.4'],
      ['www.other.org', '192.0.2.5'],
    ])('sends %s to its own block’s upstream', async (name, address) => {
      expect(answerLines((await udpQuery(port, name, 'A')).packet)).toEqual([`${name} A ${address}`]);
    });

    it('answers cluster names from the block with kubernetes', async () => {
      expect(answerLines((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet)).toEqual([
        'web.shop.svc.cluster.local A 10.96.45.10',
      ]);
    });

    it('logs errors only (log . { class error }): not a success, not a denial', async () => {
      await udpQuery(port, 'www.foo.com', 'A');
      const denied = await udpQuery(port, 'nope.foo.com', 'A');
      expect(denied.packet.rcode).toBe('NXDOMAIN');
      await udpQuery(port, 'nope.shop.svc.cluster.local', 'A');
      upstreams.foo!.stall(true);
      try {
        // The upstream's read timeout (2 s) passes before the SERVFAIL.
        const failed = await udpExchange(port, buildQuery('stalled.foo.com', 'A'), '127.0.0.1', 6000);
        expect(decodeReply(failed!).rcode).toBe('SERVFAIL');
      } finally {
        upstreams.foo!.stall(false);
      }
      await eventually(() => cli.output().includes('"name":"stalled.foo.com"'), 3000, 'error logged');
      expect(cli.output()).not.toContain('"name":"www.foo.com"');
      expect(cli.output()).not.toContain('"name":"nope.foo.com"');
      expect(cli.output()).not.toContain('"name":"nope.shop.svc.cluster.local"');
    });
  });

  describe('a kubernetes block beside a . block', () => {
    let port: number;
    let upstream: FakeUpstream;

    beforeAll(async () => {
      upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
      port = await freePort();
      await serveCorefile(
        'split.Corefile',
        `cluster.local:${port} {\n  kubernetes\n}\n.:${port} {\n  forward . 127.0.0.1:${upstream.port}\n}\n`,
      );
    });

    afterAll(() => upstream?.close());

    it("resolves an ExternalName's target through the block that holds it", async () => {
      expect(answerLines((await udpQuery(port, 'search.shop.svc.cluster.local', 'A')).packet)).toEqual([
        'search.shop.svc.cluster.local CNAME www.example.com',
        'www.example.com A 192.0.2.80',
      ]);
    });

    it('forwards names outside cluster.local from the . block, and REFUSES none', async () => {
      expect(answerLines((await udpQuery(port, 'www.example.com', 'A')).packet)).toEqual([
        'www.example.com A 192.0.2.80',
      ]);
    });
  });

  // https://coredns.io/plugins/kubernetes/: endpoint_pod_names names an endpoint without a hostname
  // by its pod; a hostname still wins.
  it.each([
    ['', ['10-244-2-7.db.shop.svc.cluster.local', 'db-1.db.shop.svc.cluster.local']],
    ['endpoint_pod_names', ['db-1.db.shop.svc.cluster.local', 'db-7f9c.db.shop.svc.cluster.local']],
  ])('kubernetes { %s } names headless endpoints', async (option, names) => {
    const port = await freePort();
    const { cli } = await serveCorefile(
      `pods-${option || 'ip'}.Corefile`,
      `.:${port} {\n  kubernetes cluster.local {\n    ${option}\n  }\n}\n`,
    );
    try {
      const srv = (await udpQuery(port, 'db.shop.svc.cluster.local', 'SRV')).packet;
      expect(srv.answers.map((answer) => (answer.data as { target: string }).target).sort()).toEqual(names);
      // The endpoint without a hostname, by the name the option gives it.
      const unnamed = names.find((name) => !name.startsWith('db-1.'))!;
      expect(answerLines((await udpQuery(port, unnamed, 'A')).packet)).toEqual([`${unnamed} A 10.244.2.7`]);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
});
