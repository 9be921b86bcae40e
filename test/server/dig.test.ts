// The real dig against the real binary serving the bundled zones/, as the README tells a user to.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { bigHeadless, list, namespace } from '../helpers/manifests.js';
import { makeZonesDir } from '../helpers/server.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);

describe.skipIf(!hasDig)('dig against the default zones', () => {
  let cli: RunningCli;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    cli = await startCli(['--listen', `127.0.0.1:${port}`]);
  });
  afterAll(() => cli?.child.kill('SIGTERM'));

  async function dig(...args: string[]): Promise<string> {
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args]);
    return stdout;
  }
  const short = async (...args: string[]) => (await dig('+short', ...args)).trim().split('\n').sort();

  it.each([
    [['web.shop.svc.cluster.local', 'A'], ['10.96.45.10']],
    [['api.shop.svc.cluster.local', 'A'], ['10.96.120.15']],
    [['api.shop.svc.cluster.local', 'AAAA'], ['fd00:10:96::7c1f']],
    [
      ['db.shop.svc.cluster.local', 'A'],
      ['10.244.1.20', '10.244.2.21'],
    ],
    [['db-0.db.shop.svc.cluster.local', 'A'], ['10.244.1.20']],
    [
      ['_postgres._tcp.db.shop.svc.cluster.local', 'SRV'],
      ['0 50 5432 db-0.db.shop.svc.cluster.local.', '0 50 5432 db-1.db.shop.svc.cluster.local.'],
    ],
    [
      ['_https._tcp.kubernetes.default.svc.cluster.local', 'SRV'],
      ['0 100 443 kubernetes.default.svc.cluster.local.'],
    ],
    [['-x', '10.96.45.10'], ['web.shop.svc.cluster.local.']],
    [['-x', 'fd00:10:96::7c1f'], ['api.shop.svc.cluster.local.']],
    [['-x', '10.244.1.20'], ['db-0.db.shop.svc.cluster.local.']],
    [['dns-version.cluster.local', 'TXT'], ['"1.1.0"']],
    [['search.shop.svc.cluster.local', 'CNAME'], ['www.example.com.']],
  ])('dig %j', async (args, expected) => {
    expect(await short(...args)).toEqual(expected);
  });

  it('answers over TCP too', async () => {
    expect(await short('+tcp', 'kubernetes.default.svc.cluster.local')).toEqual(['10.96.0.1']);
  });

  it('shows NXDOMAIN with the SOA in the authority section, and AA', async () => {
    const out = await dig('+noall', '+comments', '+authority', 'nope.shop.svc.cluster.local');
    expect(out).toMatch(/status: NXDOMAIN/);
    expect(out).toMatch(/flags: qr aa rd;/);
    expect(out).toMatch(
      /cluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5/,
    );
  });

  it('shows NODATA for AAAA of an IPv4-only service', async () => {
    const out = await dig(
      '+noall',
      '+comments',
      '+answer',
      '+authority',
      'web.shop.svc.cluster.local',
      'AAAA',
    );
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/ANSWER: 0, AUTHORITY: 1/);
  });
});

describe.skipIf(!hasDig)('dig and truncation', () => {
  let cli: RunningCli;
  let port: number;
  let dir: string;

  beforeAll(async () => {
    dir = await makeZonesDir({ 'big.yaml': list(namespace('shop'), ...bigHeadless('shop', 'big', 40)) });
    port = await freePort();
    cli = await startCli(['--zones', dir, '--listen', `127.0.0.1:${port}`]);
  });
  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('sets TC over UDP without EDNS, and dig retrying over TCP gets all 40', async () => {
    const base = ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', 'big.shop.svc.cluster.local'];
    const truncated = (await run('dig', [...base, '+noedns', '+ignore', '+noall', '+comments', '+stats']))
      .stdout;
    expect(truncated).toMatch(/flags: qr aa tc rd;/);
    expect(truncated).toMatch(/MSG SIZE\s+rcvd: (\d+)/);
    expect(Number(/MSG SIZE\s+rcvd: (\d+)/.exec(truncated)![1])).toBeLessThanOrEqual(512);
    const full = (await run('dig', [...base, '+noedns', '+short'])).stdout.trim().split('\n');
    expect(full).toHaveLength(40);
  });
});
