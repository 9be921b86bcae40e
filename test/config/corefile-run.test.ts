// The Corefile Kubernetes ships, run as it is under `clusterdns --corefile` against a Kubernetes
// API server, answers like the same configuration given as flags and like the config file that
// `config print` makes of it: asked the same names over UDP, the three reply alike.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { answerLines, udpQuery, type Reply } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../registry/kubernetes/helpers.js';

const run = promisify(execFile);
const COREFILE = fileURLToPath(new URL('fixtures/kubernetes-addon.Corefile', import.meta.url));

/** The Corefile's settings, flag by flag. */
const SAME_AS_FLAGS = [
  '--zone',
  'cluster.local',
  '--zone',
  'in-addr.arpa',
  '--zone',
  'ip6.arpa',
  '--pods',
  'insecure',
  '--fallthrough',
  'in-addr.arpa,ip6.arpa',
  '--ttl',
  '30',
  '--max-concurrent',
  '1000',
  '--cache-max-ttl',
  '30',
  '--cache-denial-max-ttl',
  '30',
  '--serve-stale',
  '0',
  '--loadbalance',
];

const QUESTIONS: [string, string][] = [
  ['web.shop.svc.cluster.local', 'A'],
  ['WEB.shop.svc.cluster.local', 'A'],
  ['web.shop.svc.cluster.local', 'AAAA'],
  ['_http._tcp.web.shop.svc.cluster.local', 'SRV'],
  ['pool.shop.svc.cluster.local', 'A'],
  ['missing.shop.svc.cluster.local', 'A'],
  ['10-244-1-5.shop.pod.cluster.local', 'A'],
  ['10.45.96.10.in-addr.arpa', 'PTR'],
  ['1.2.0.192.in-addr.arpa', 'PTR'],
  ['cluster.local', 'SOA'],
  ['www.example.com', 'A'],
];

/** What a user compares: rcode, AA and RA, and the records (in any order: loadbalance rotates). */
function summary(packet: Reply) {
  return {
    rcode: packet.rcode,
    aa: Boolean(packet.flags & dnsPacket.AUTHORITATIVE_ANSWER),
    ra: Boolean(packet.flags & dnsPacket.RECURSION_AVAILABLE),
    // The SOA serial is the table version: each server counts its own.
    answers: answerLines(packet)
      .map((line) => line.replace(/^(\S+ SOA \S+ \S+) \d+/, '$1 SERIAL'))
      .sort(),
    ttls: packet.answers.map((answer) => answer.ttl).sort(),
  };
}

describe('the Kubernetes Corefile under --corefile', () => {
  let api: FakeApiServer;
  let upstream: FakeUpstream;
  let dir: string;
  const servers: Record<'corefile' | 'flags' | 'printed', { cli: RunningCli; port: number }> = {} as never;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('default'),
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
      service('shop', 'pool', { clusterIP: 'None' }),
      slice('shop', 'pool', ['10.244.2.1', '10.244.2.2', '10.244.2.3']),
    ])
      api.apply(object);
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    dir = await mkdtemp(join(tmpdir(), 'clusterdns-corefile-'));
    // Where the Corefile listens and asks is the machine's business, not the test's: flags set
    // loopback addresses (flags win over the Corefile), and variables the ops endpoints'.
    const local = async (extra: string[]) => {
      const port = await freePort();
      const env = {
        CLUSTERDNS_HEALTH: `127.0.0.1:${await freePort()}`,
        CLUSTERDNS_READY: `127.0.0.1:${await freePort()}`,
        CLUSTERDNS_METRICS: `127.0.0.1:${await freePort()}`,
      };
      const args = [
        ...extra,
        '--listen',
        `127.0.0.1:${port}`,
        '--kubernetes',
        api.url,
        '--upstream',
        `127.0.0.1:${upstream.port}`,
      ];
      return { cli: await startCli(args, env), port };
    };
    const printed = await run(process.execPath, [BIN, 'config', 'print', '--corefile', COREFILE]);
    await writeFile(join(dir, 'printed.yaml'), printed.stdout);
    servers.corefile = await local(['--corefile', COREFILE]);
    servers.flags = await local(SAME_AS_FLAGS);
    servers.printed = await local(['--config', join(dir, 'printed.yaml')]);
  });

  afterAll(async () => {
    for (const server of Object.values(servers)) server?.cli.child.kill('SIGKILL');
    await upstream?.close();
    await api?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // First, while no server has cached anything the others have not.
  it('answers every question as the same settings given as flags, and as its printed config', async () => {
    for (const [name, type] of QUESTIONS) {
      const ask = (port: number) => udpQuery(port, name, type);
      const [corefile, flags, printed] = await Promise.all([
        ask(servers.corefile.port),
        ask(servers.flags.port),
        ask(servers.printed.port),
      ]);
      const expected = summary(corefile.packet);
      expect(summary(flags.packet), `${name} ${type} with flags`).toEqual(expected);
      expect(summary(printed.packet), `${name} ${type} from config print`).toEqual(expected);
    }
  });

  it('answers what the Corefile says', async () => {
    const port = servers.corefile.port;
    const web = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(web.packet)).toEqual(['web.shop.svc.cluster.local A 10.96.45.10']);
    expect(web.packet.answers[0]!.ttl).toBe(30); // ttl 30
    const pod = await udpQuery(port, '10-244-1-5.shop.pod.cluster.local', 'A'); // pods insecure
    expect(answerLines(pod.packet)).toEqual(['10-244-1-5.shop.pod.cluster.local A 10.244.1.5']);
    expect((await udpQuery(port, 'missing.shop.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN');
    // fallthrough in-addr.arpa: a reverse name the cluster does not know goes upstream.
    const outside = await udpQuery(port, '1.2.0.192.in-addr.arpa', 'PTR');
    expect(outside.packet.rcode).toBe('NOERROR');
    expect(outside.packet.flags & dnsPacket.AUTHORITATIVE_ANSWER).toBeFalsy();
    expect(upstream.asked).toContain('1.2.0.192.in-addr.arpa PTR');
    const ptr = await udpQuery(port, '10.45.96.10.in-addr.arpa', 'PTR');
    expect(answerLines(ptr.packet)).toEqual(['10.45.96.10.in-addr.arpa PTR web.shop.svc.cluster.local']);
    // forward: names outside the zones are asked upstream.
    const www = await udpQuery(port, 'www.example.com', 'A');
    expect(answerLines(www.packet)).toEqual(['www.example.com A 192.0.2.80']);
    // cache 30: the cached answer lives 30 s at most, whatever the upstream's TTL (300).
    const cached = await udpQuery(port, 'www.example.com', 'A');
    expect(cached.packet.answers[0]!.ttl).toBeLessThanOrEqual(30);
  });

  it('rotates the addresses of successive answers (loadbalance)', async () => {
    const first = async () =>
      answerLines((await udpQuery(servers.corefile.port, 'pool.shop.svc.cluster.local', 'A')).packet)[0];
    const firsts = new Set([await first(), await first(), await first()]);
    expect(firsts.size).toBe(3);
  });
});

describe('a Corefile clusterdns cannot run as written', () => {
  it('stops at start-up naming the directive and its line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clusterdns-corefile-'));
    const path = join(dir, 'Corefile');
    await writeFile(path, '.:53 {\n  errors\n  kubernetes cluster.local\n  dnssec\n}\n');
    const failure = await run(process.execPath, [BIN, '--corefile', path]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    await rm(dir, { recursive: true, force: true });
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain(`${path}:4: directive "dnssec" is not supported by clusterdns`);
  });
});

describe('a Corefile with several server blocks and ports', () => {
  it('serves each port its own way, stub domains from their own upstreams, hosts entries, noendpoints', async () => {
    const api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      service('shop', 'pool', { clusterIP: 'None' }),
      slice('shop', 'pool', ['10.244.2.1']),
    ]) {
      api.apply(object);
    }
    const main = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    const consul = await startFakeUpstream({ 'db.service.consul.local': ['10.150.0.7'] });
    const dir = await mkdtemp(join(tmpdir(), 'clusterdns-corefile-'));
    const [port, otherPort] = [await freePort(), await freePort()];
    const path = join(dir, 'Corefile');
    await writeFile(
      path,
      `.:${port} {
        bind 127.0.0.1
        kubernetes cluster.local {
          endpoint ${api.url}
        }
        hosts {
          10.0.0.9 gateway.example
          fallthrough
        }
        forward . 127.0.0.1:${main.port}
      }
      consul.local:${port} {
        bind 127.0.0.1
        forward . 127.0.0.1:${consul.port}
      }
      .:${otherPort} {
        bind 127.0.0.1
        kubernetes cluster.local {
          endpoint ${api.url}
          ttl 99
          noendpoints
        }
      }
      `,
    );
    const cli = await startCli(['--corefile', path]);
    try {
      const web = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
      expect(answerLines(web.packet)).toEqual(['web.shop.svc.cluster.local A 10.96.45.10']);
      expect(web.packet.answers[0]!.ttl).toBe(5);
      const db = await udpQuery(port, 'db.service.consul.local', 'A');
      expect(answerLines(db.packet)).toEqual(['db.service.consul.local A 10.150.0.7']);
      expect(consul.asked).toEqual(['db.service.consul.local A']);
      expect(answerLines((await udpQuery(port, 'www.example.com', 'A')).packet)).toEqual([
        'www.example.com A 192.0.2.80',
      ]);
      expect(main.asked).toContain('www.example.com A');
      expect(main.asked).not.toContain('db.service.consul.local A');
      expect(answerLines((await udpQuery(port, 'gateway.example', 'A')).packet)).toEqual([
        'gateway.example A 10.0.0.9',
      ]);
      const pool = await udpQuery(port, 'pool.shop.svc.cluster.local', 'A');
      expect(answerLines(pool.packet)).toEqual(['pool.shop.svc.cluster.local A 10.244.2.1']);
      // The second port: its own TTL, no endpoints (a headless name does not exist there), and no
      // forward, so nothing outside the zone is answered.
      const other = await udpQuery(otherPort, 'web.shop.svc.cluster.local', 'A');
      expect(other.packet.answers[0]!.ttl).toBe(99);
      expect((await udpQuery(otherPort, 'pool.shop.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN');
      expect((await udpQuery(otherPort, 'www.example.com', 'A')).packet.rcode).toBe('REFUSED');
    } finally {
      cli.child.kill('SIGKILL');
      await Promise.all([main.close(), consul.close(), api.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
