// dns64 as flags (`--dns64 PREFIX`, `--dns64-allow-ipv4`, `--dns64-translate-all`) over real UDP
// with the real dig, on the zone-file registry, asked over IPv6 and IPv4 loopback; and the
// refusals of a prefix RFC 6052 has no form for, and of the options without --dns64.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { requireIPv6Loopback, requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);
const hasIPv6 = requireIPv6Loopback();

const SHOP = `namespace: shop
services:
  web:
    clusterIP: 10.96.45.10
    ports: [http:80]
  dual:
    clusterIPs: [10.96.45.11, fd00:10:96::11]
    ports: [http:80]
`;

/** dig's status, then its answer records, TTLs left out. */
async function dig(server: string, port: number, name: string): Promise<string[]> {
  const { stdout } = await run('dig', [
    `@${server}`,
    '-p',
    String(port),
    '+time=2',
    '+tries=1',
    '+nocookie',
    '+noall',
    '+answer',
    '+comments',
    'AAAA',
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

describe.skipIf(!hasDig || !hasIPv6)('--dns64', () => {
  const servers: TestServer[] = [];
  /** The server's IPv4 and IPv6 loopback ports. */
  const start = async (flags: string[]) => {
    const server = await startServer({ 'shop.yaml': SHOP }, ['--listen', '[::1]:0', ...flags]);
    servers.push(server);
    const port = (family: string) =>
      server.app.bound().find((b) => b.transport === 'udp' && b.address.family === family)!.address.port;
    return { v4: port('IPv4'), v6: port('IPv6') };
  };

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  describe('PREFIX alone', () => {
    let ports: { v4: number; v6: number };
    beforeAll(async () => {
      ports = await start(['--dns64', '64:ff9b::/96']);
    });

    it.each([
      [
        'an IPv4-only service, over IPv6',
        '::1',
        'web',
        ['NOERROR', 'web.shop.svc.cluster.local. IN AAAA 64:ff9b::a60:2d0a'],
      ],
      [
        'a dual-stack service keeps its AAAA',
        '::1',
        'dual',
        ['NOERROR', 'dual.shop.svc.cluster.local. IN AAAA fd00:10:96::11'],
      ],
      ['an IPv4 client gets no synthesis', '127.0.0.1', 'web', ['NOERROR']],
    ] as const)('%s', async (_what, server, service, shown) => {
      const port = server === '::1' ? ports.v6 : ports.v4;
      expect(await dig(server, port, `${service}.shop.svc.cluster.local`)).toEqual(shown);
    });
  });

  describe('with --dns64-allow-ipv4 and --dns64-translate-all', () => {
    let ports: { v4: number; v6: number };
    beforeAll(async () => {
      ports = await start(['--dns64', '64:ff9b::/96', '--dns64-allow-ipv4', '--dns64-translate-all']);
    });

    it('synthesizes for an IPv4 client, in place of AAAA records', async () => {
      expect(await dig('127.0.0.1', ports.v4, 'web.shop.svc.cluster.local')).toEqual([
        'NOERROR',
        'web.shop.svc.cluster.local. IN AAAA 64:ff9b::a60:2d0a',
      ]);
      expect(await dig('127.0.0.1', ports.v4, 'dual.shop.svc.cluster.local')).toEqual([
        'NOERROR',
        'dual.shop.svc.cluster.local. IN AAAA 64:ff9b::a60:2d0b',
      ]);
    });
  });
});

describe('--dns64 refusals', () => {
  it('names the flag and what it expected', () => {
    expect(() => parseCommandLine(['--dns64', '64:ff9b::/100'], {})).toThrow(
      '--dns64: "64:ff9b::/100": expected an IPv6 prefix of length 32, 40, 48, 56, 64, 96 (RFC 6052), such as 64:ff9b::/96',
    );
    expect(() => parseCommandLine(['--dns64-allow-ipv4'], {})).toThrow(
      '--dns64-allow-ipv4: needs --dns64 PREFIX',
    );
    expect(() => parseCommandLine(['--dns64-translate-all'], {})).toThrow(
      '--dns64-translate-all: needs --dns64 PREFIX',
    );
  });

  it('takes the variable as it takes the flag', () => {
    const command = parseCommandLine([], {
      CLUSTERDNS_DNS64: '64:1337::/48',
      CLUSTERDNS_DNS64_ALLOW_IPV4: 'true',
    });
    if (command.kind !== 'serve') throw new Error('expected a serve command');
    expect(command.config.dns64).toEqual({ prefix: '64:1337::/48', translateAll: false, allowIPv4: true });
  });
});
