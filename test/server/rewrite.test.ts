// rewrite as a flag (`--rewrite RULE`, the same rules as a Corefile's rewrite lines) over real UDP
// with the real dig, on the zone-file registry; and a rule the flag cannot take, refused by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { dig, requireTool } from '../helpers/tools.js';

const hasDig = requireTool('dig', ['-v']);

const SHOP = `namespace: shop
services:
  web:
    clusterIP: 10.96.45.10
    ports: [http:80]
  search:
    externalName: www.example.com
`;

/** dig's status, then its answer records, TTLs left out. */
async function digShown(port: number, name: string, type = 'A'): Promise<string[]> {
  const stdout = await dig(port, ['+noall', '+answer', '+comments', type, name]);
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

describe.skipIf(!hasDig)('--rewrite', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP }, [
      '--rewrite',
      'name suffix .example.internal .svc.cluster.local answer auto',
      '--rewrite',
      'ttl suffix .svc.cluster.local 60-',
    ]);
  });
  afterAll(() => server?.close());

  const ROWS: [name: string, type: string, shown: string[]][] = [
    ['web.shop.example.internal', 'A', ['NOERROR', 'web.shop.example.internal. IN A 10.96.45.10']],
    // The CNAME's owner is named back; its target is outside the rewritten name and stays.
    [
      'search.shop.example.internal',
      'CNAME',
      ['NOERROR', 'search.shop.example.internal. IN CNAME www.example.com.'],
    ],
    ['nothere.shop.example.internal', 'A', ['NXDOMAIN']],
  ];

  it.each(ROWS)('%s %s', async (name, type, shown) => {
    expect(await digShown(server.port, name, type)).toEqual(shown);
  });

  it('applies the ttl rule to names no earlier rule stopped at', async () => {
    const stdout = await dig(server.port, ['+noall', '+answer', 'web.shop.svc.cluster.local']);
    expect(stdout.split(/\s+/).slice(0, 5)).toEqual([
      'web.shop.svc.cluster.local.',
      '60',
      'IN',
      'A',
      '10.96.45.10',
    ]);
  });
});

describe('--rewrite refusals', () => {
  it('names the flag, the rule and what was expected', () => {
    expect(() => parseCommandLine(['--rewrite', 'edns0 local set 0xffee abcd'], {})).toThrow(
      '--rewrite: "edns0 local set 0xffee abcd": edns0 rules are not supported by clusterdns; the rules it runs are name, type, class, ttl',
    );
    expect(() => parseCommandLine(['--rewrite', 'name regex (?=x) y'], {})).toThrow('Go has no look-around');
  });
});
