// CoreDNS's dns64 plugin under `clusterdns --corefile` (the built binary), asked with real dig over
// IPv6 and IPv4 loopback: AAAA records synthesized from the A records of an IPv4-only name, from
// the upstream and from the cluster zone, for IPv6 clients only unless allow_ipv4; and a cluster
// name's AAAA answer compiled for an IPv4 client is not what an IPv6 client is then served.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { requireIPv6Loopback, requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../registry/kubernetes/helpers.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);
const hasIPv6 = requireIPv6Loopback();

/** dig's status, then its answer records (TTLs left out), asking `server` (::1 or 127.0.0.1). */
async function dig(server: string, port: number, name: string, type = 'AAAA'): Promise<string[]> {
  const { stdout } = await run('dig', [
    `@${server}`,
    '-p',
    String(port),
    '+time=2',
    '+tries=1',
    // Without a cookie the query is a plain one, as stub resolvers send: the fast path may take it.
    '+nocookie',
    '+noall',
    '+answer',
    '+comments',
    type,
    name,
  ]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'no reply';
  const answers = stdout
    .split('\n')
    .filter((line) => line && !line.startsWith(';'))
    .map((line) =>
      line
        .split(/\s+/)
        .filter((_, i) => i !== 1)
        .join(' '),
    );
  return [status, ...answers];
}

// 10.96.45.10 is 0a60:2d0a, 192.0.2.10 is c000:020a.
const WEB = 'web.shop.svc.cluster.local.';

describe.skipIf(!hasDig || !hasIPv6)('dns64 under --corefile, asked with dig', () => {
  let api: FakeApiServer;
  let upstream: FakeUpstream;
  let dir: string;
  let port: number;
  let allPort: number;
  let cli: RunningCli;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
    ])
      api.apply(object);
    upstream = await startFakeUpstream({
      'v4only.example.org': ['192.0.2.10'],
      'dual.example.org': ['192.0.2.11', '2001:db8::11'],
    });
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-corefile-dns64-'));
    [port, allPort] = [await freePort(), await freePort()];
    const corefile = join(dir, 'Corefile');
    // The second server: every client, every answer, and a prefix of RFC 6052's /64 form.
    writeFileSync(
      corefile,
      `.:${port} {\n  bind 127.0.0.1 ::1\n  dns64\n  kubernetes cluster.local\n  forward . 127.0.0.1\n}\n` +
        `.:${allPort} {\n  bind 127.0.0.1 ::1\n  dns64 {\n    prefix 2001:db8:122:344::/64\n    translate_all\n    allow_ipv4\n  }\n  forward . 127.0.0.1\n}\n`,
    );
    // One process: the compiled answers the last case pins are each answering process's own.
    cli = await startCli([
      '--corefile',
      corefile,
      '--workers',
      '1',
      '--kubernetes',
      api.url,
      '--upstream',
      `127.0.0.1:${upstream.port}`,
    ]);
    if (cli.child.exitCode !== null) throw new Error(`clusterdns refused the Corefile:\n${cli.output()}`);
    // Both listeners of both servers are up once each has logged it.
    const deadline = Date.now() + 10_000;
    while ((cli.output().match(/"listening"/g) ?? []).length < 4) {
      if (Date.now() > deadline) throw new Error(`clusterdns did not listen:\n${cli.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await upstream?.close();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ROWS: [what: string, server: string, name: string, type: string, shown: string[]][] = [
    [
      'an IPv4-only upstream name, over IPv6',
      '::1',
      'v4only.example.org',
      'AAAA',
      ['NOERROR', 'v4only.example.org. IN AAAA 64:ff9b::c000:20a'],
    ],
    [
      'an IPv4-only cluster name, over IPv6',
      '::1',
      'web.shop.svc.cluster.local',
      'AAAA',
      ['NOERROR', `${WEB} IN AAAA 64:ff9b::a60:2d0a`],
    ],
    [
      'a name with AAAA records keeps its own',
      '::1',
      'dual.example.org',
      'AAAA',
      ['NOERROR', 'dual.example.org. IN AAAA 2001:db8::11'],
    ],
    ['NXDOMAIN passes through', '::1', 'nope.shop.svc.cluster.local', 'AAAA', ['NXDOMAIN']],
    [
      'an A question is untouched',
      '::1',
      'web.shop.svc.cluster.local',
      'A',
      ['NOERROR', `${WEB} IN A 10.96.45.10`],
    ],
    ['an IPv4 client gets no synthesis: upstream', '127.0.0.1', 'v4only.example.org', 'AAAA', ['NOERROR']],
    [
      'an IPv4 client gets no synthesis: cluster',
      '127.0.0.1',
      'web.shop.svc.cluster.local',
      'AAAA',
      ['NOERROR'],
    ],
  ];

  it.each(ROWS)('%s', async (_what, server, name, type, shown) => {
    expect(await dig(server, port, name, type)).toEqual(shown);
  });

  it('with allow_ipv4 and translate_all, synthesizes for an IPv4 client, in place of AAAA records', async () => {
    expect(await dig('127.0.0.1', allPort, 'v4only.example.org')).toEqual([
      'NOERROR',
      'v4only.example.org. IN AAAA 2001:db8:122:344:c0:2:a00:0',
    ]);
    expect(await dig('127.0.0.1', allPort, 'dual.example.org')).toEqual([
      'NOERROR',
      'dual.example.org. IN AAAA 2001:db8:122:344:c0:2:b00:0',
    ]);
  });

  it("serves an IPv6 client synthesis after an IPv4 client's empty answer for the name", async () => {
    // Asked twice in a plain query, a cluster name's answer is served from compiled bytes the
    // second time, to whoever asks: the IPv4 client's NODATA, compiled, would reach IPv6 clients.
    const name = 'web.shop.svc.cluster.local';
    expect(await dig('127.0.0.1', port, name)).toEqual(['NOERROR']);
    expect(await dig('127.0.0.1', port, name)).toEqual(['NOERROR']);
    expect(await dig('::1', port, name)).toEqual(['NOERROR', `${WEB} IN AAAA 64:ff9b::a60:2d0a`]);
  });
});
