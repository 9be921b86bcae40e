// The clusterdns command as a user runs it: flags, environment, validation, signals.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, loopbackEndpoints, startCli, type RunningCli } from '../helpers/cli.js';
import { answerLines, udpQuery } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { makeZonesDir } from '../helpers/server.js';

const run = promisify(execFile);

const MANIFESTS = list(
  namespace('shop'),
  namespace('other'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
  service('shop', 'idle', { clusterIPs: ['10.96.10.30'], ports: [{ name: 'http', port: 80 }] }),
  service('shop', 'search', { externalName: 'www.example.com' }),
  service('shop', 'big', { externalName: 'big.example.com' }),
  service('other', 'db', { clusterIPs: ['10.96.20.20'], ports: [{ name: 'pg', port: 5432 }] }),
);

async function expectExit(args: string[], code: number, message: RegExp, env: NodeJS.ProcessEnv = {}) {
  const failure = await run(process.execPath, [BIN, ...loopbackEndpoints(args, env), ...args], {
    env: { ...process.env, ...env },
  }).then(
    () => undefined,
    (error: { code: number; stderr: string; stdout: string }) => error,
  );
  expect(failure?.code).toBe(code);
  const output = `${failure?.stderr}${failure?.stdout}`;
  expect(output).toMatch(message);
  return output;
}

describe('clusterdns command', () => {
  let dir: string;
  let upstream: FakeUpstream;
  let cli: RunningCli;
  let port: number;

  beforeAll(async () => {
    dir = await makeZonesDir({ 'cluster.yaml': MANIFESTS });
    upstream = await startFakeUpstream(
      { 'www.example.com': ['192.0.2.80'], 'big.example.com': ['192.0.2.81'] },
      { truncate: ['big.example.com'], forgeFirst: true },
    );
    port = await freePort();
    // Exactly the flags the conformance suite runs with.
    cli = await startCli([
      '--zones',
      dir,
      '--listen',
      `127.0.0.1:${port}`,
      '--zone',
      'cluster.local',
      '--zone',
      '10.in-addr.arpa',
      '--ttl',
      '5',
      '--namespaces',
      'shop',
      '--pods',
      'insecure',
      '--ignore-empty-service',
      '--upstream',
      `127.0.0.1:${upstream.port}`,
    ]);
  });

  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves a directory of manifests with the conformance flags', async () => {
    const web = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(web.packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
    expect(web.packet.answers[0]!.ttl).toBe(5);
    expect((await udpQuery(port, 'db.other.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN'); // --namespaces
    expect((await udpQuery(port, 'idle.shop.svc.cluster.local', 'A')).packet.rcode).toBe('NXDOMAIN'); // --ignore-empty-service
    const pod = await udpQuery(port, '10-244-1-5.shop.pod.cluster.local', 'A'); // --pods insecure
    expect(answerLines(pod.packet)).toEqual(['10-244-1-5.shop.pod.cluster.local A 10.244.1.5']);
    const ptr = await udpQuery(port, '10.10.96.10.in-addr.arpa', 'PTR'); // --zone 10.in-addr.arpa
    expect(answerLines(ptr.packet)).toEqual(['10.10.96.10.in-addr.arpa PTR web.shop.svc.cluster.local']);
    // Not a served zone: forwarded, not answered with authority.
    const outside = await udpQuery(port, '1.0.0.192.in-addr.arpa', 'PTR');
    expect(outside.packet.flags & dnsPacket.AUTHORITATIVE_ANSWER).toBeFalsy();
    expect(upstream.asked).toContain('1.0.0.192.in-addr.arpa PTR'); // not a served zone
  });

  it('asks --upstream for ExternalName targets, CNAME first, drops a forged reply and passes TC on', async () => {
    const search = await udpQuery(port, 'search.shop.svc.cluster.local', 'A');
    expect(answerLines(search.packet)).toEqual([
      'search.shop.svc.cluster.local CNAME www.example.com',
      'www.example.com A 192.0.2.80',
    ]);
    expect(search.packet.flags & dnsPacket.TRUNCATED_RESPONSE).toBeFalsy();
    const big = await udpQuery(port, 'big.shop.svc.cluster.local', 'A');
    expect(big.packet.flags & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    expect(upstream.asked).toContain('www.example.com A');
  });

  it('takes options from CLUSTERDNS_* variables', async () => {
    const envPort = await freePort();
    const other = await startCli(['--zones', dir], {
      CLUSTERDNS_LISTEN: `127.0.0.1:${envPort}`,
      CLUSTERDNS_TTL: '30',
    });
    try {
      const { packet } = await udpQuery(envPort, 'web.shop.svc.cluster.local', 'A');
      expect(packet.answers[0]!.ttl).toBe(30);
    } finally {
      other.child.kill('SIGTERM');
      expect(await other.exited).toBe(0);
      expect(other.output()).toContain('shutting down');
    }
  });

  it('rejects bad values with a message naming the option and what was expected', async () => {
    await expectExit(['--ttl', '5000'], 2, /--ttl: "5000": expected a whole number from 0 to 3600/);
    await expectExit(['--pods', 'maybe'], 2, /--pods: "maybe": expected disabled, insecure or verified/);
    await expectExit(['--listen', 'localhost'], 2, /--listen: "localhost": expected IP:PORT/);
    await expectExit(['--zone', '999.in-addr.arpa'], 2, /--zone: zone "999.in-addr.arpa"/);
    await expectExit(['--frobnicate'], 2, /Unknown option '--frobnicate'/);
    await expectExit(
      ['--namespaces', 'shop', '--namespace-labels', 'team=a'],
      2,
      /--namespace-labels: cannot go with --namespaces: a namespace label selector needs/,
    );
    await expectExit(['--namespaces', 'shop,a/b'], 2, /--namespaces: "a\/b": expected namespace names/);
    await expectExit(
      ['--zonal', '--no-endpoints'],
      2,
      /--zonal: cannot go with --no-endpoints: zone-scoped names are answered from EndpointSlices/,
    );
    await expectExit([], 2, /CLUSTERDNS_LOG_QUERIES: "perhaps": expected true or false/, {
      CLUSTERDNS_LOG_QUERIES: 'perhaps',
    });
  });

  it('prints help and version', async () => {
    const help = await run(process.execPath, [BIN, '--help']);
    expect(help.stdout).toContain('--ignore-empty-service');
    const version = await run(process.execPath, [BIN, '--version']);
    expect(version.stdout).toMatch(/^clusterdns \d+\.\d+\.\d+/);
  });
});
