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
const hasDrill = requireTool('drill', ['-v'], 'ldnsutils');

/** clusterdns on the bundled zones for the calling describe block, and dig asking it. */
function digDefaultZones(): (...args: string[]) => Promise<string> {
  let cli: RunningCli | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    cli = await startCli(['--listen', `127.0.0.1:${port}`]);
  });
  afterAll(() => cli?.child.kill('SIGTERM'));
  return async (...args) =>
    (await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args])).stdout;
}

describe.skipIf(!hasDig)('dig against the default zones', () => {
  const dig = digDefaultZones();
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

// The queries of ISC's EDNS compliance tester (DNS-Compliance-Testing genreport, the checks behind
// ednscomp.isc.org; RFC 6891 and RFC 8906 §8), asked with the dig commands it prints, and the
// header, EDNS and answer it accepts as compliant.
describe.skipIf(!hasDig)('dig: the EDNS compliance checks', () => {
  const dig = digDefaultZones();

  /** What the tester reads from a reply, from dig's output: null where a part is absent. */
  async function check(args: string[]) {
    const stdout = await dig(...args);
    const header = /->>HEADER<<- opcode: (\S+), status: (\w+)/.exec(stdout);
    const flags = /;; flags:([^;]*);/.exec(stdout);
    const edns = /; EDNS: (.*)/.exec(stdout);
    return {
      opcode: header?.[1],
      status: header?.[2],
      flags: flags?.[1]?.trim(),
      edns: edns?.[1] ?? null,
      answer: /ANSWER: (\d+)/.exec(stdout)?.[1],
      // Anything set in a must-be-zero field (header Z, EDNS flags), and options echoed back.
      mbz: /MBZ/.test(stdout),
      options: stdout.match(/^; [A-Z0-9=]+: .*$/gm)?.filter((line) => !line.startsWith('; EDNS')) ?? [],
    };
  }

  const SOA = ['SOA', 'cluster.local'];
  const plain = { opcode: 'QUERY', status: 'NOERROR', flags: 'qr aa', edns: null, answer: '1' };
  const edns0 = { ...plain, edns: 'version: 0, flags:; udp: 1232' };
  const badvers = { opcode: 'QUERY', status: 'BADVERS', flags: 'qr', answer: '0' };
  const notimp = { opcode: 'RESERVED15', status: 'NOTIMP', flags: 'qr', edns: null, answer: '0' };
  it.each([
    ['dns', ['+noedns', '+noad', '+norec', ...SOA], plain],
    ['aa', ['+noedns', '+noad', '+norec', '+aaflag', ...SOA], plain],
    ['ad', ['+noedns', '+ad', '+norec', ...SOA], plain],
    ['cd', ['+noedns', '+noad', '+norec', '+cd', ...SOA], { ...plain, flags: 'qr aa cd' }],
    ['rd', ['+noedns', '+noad', '+rec', ...SOA], { ...plain, flags: 'qr aa rd' }],
    ['zflag', ['+noedns', '+noad', '+norec', '+zflag', ...SOA], plain],
    ['opcode', ['+noedns', '+noad', '+norec', '+header-only', '+opcode=15'], notimp],
    [
      'opcodeflg',
      [
        '+noedns',
        '+header-only',
        '+opcode=15',
        '+tcflag',
        '+rec',
        '+raflag',
        '+cd',
        '+ad',
        '+aaflag',
        '+zflag',
      ],
      notimp,
    ],
    ['type666', ['+noedns', '+noad', '+norec', 'TYPE666', 'cluster.local'], { ...plain, answer: '0' }],
    ['tcp', ['+noedns', '+noad', '+norec', '+tcp', ...SOA], plain],
    ['edns', ['+edns=0', '+nocookie', '+noad', '+norec', ...SOA], edns0],
    [
      'edns1',
      ['+edns=1', '+noednsneg', '+nocookie', '+noad', '+norec', ...SOA],
      { ...badvers, edns: 'version: 0, flags:; udp: 1232' },
    ],
    ['ednsopt', ['+edns=0', '+nocookie', '+noad', '+norec', '+ednsopt=100', ...SOA], edns0],
    [
      'edns1opt',
      ['+edns=1', '+noednsneg', '+nocookie', '+noad', '+norec', '+ednsopt=100', ...SOA],
      { ...badvers, edns: 'version: 0, flags:; udp: 1232' },
    ],
    [
      'do',
      ['+edns=0', '+nocookie', '+noad', '+norec', '+dnssec', ...SOA],
      { ...plain, edns: 'version: 0, flags: do; udp: 1232' },
    ],
    [
      'docd',
      ['+edns=0', '+nocookie', '+noad', '+norec', '+dnssec', '+cd', ...SOA],
      { ...plain, flags: 'qr aa cd', edns: 'version: 0, flags: do; udp: 1232' },
    ],
    [
      'edns1do',
      ['+edns=1', '+noednsneg', '+nocookie', '+noad', '+norec', '+dnssec', ...SOA],
      { ...badvers, edns: 'version: 0, flags: do; udp: 1232' },
    ],
    ['ednsflags', ['+edns=0', '+nocookie', '+noad', '+norec', '+ednsflags=0x0080', ...SOA], edns0],
    [
      'optlist',
      [
        '+edns=0',
        '+noad',
        '+norec',
        '+nsid',
        '+subnet=0.0.0.0/0',
        '+expire',
        '+cookie=0102030405060708',
        ...SOA,
      ],
      edns0,
    ],
    [
      'ednstcp',
      ['+edns=0', '+nocookie', '+noad', '+norec', '+dnssec', '+bufsize=512', '+tcp', ...SOA],
      { ...plain, edns: 'version: 0, flags: do; udp: 1232' },
    ],
  ])('%s', async (_test, args, expected) => {
    // Nothing set that must be zero, no option echoed: the tester's "mbz", "z" and "echoed".
    expect(await check(args)).toEqual({ ...expected, mbz: false, options: [] });
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

  // drill (ldns) does not retry over TCP: like musl, it shows what the truncated reply carries.
  it.skipIf(!hasDrill)('gives a client that does not retry over TCP the 29 records that fit', async () => {
    const { stdout } = await run('drill', [
      '-p',
      String(port),
      '@127.0.0.1',
      'big.shop.svc.cluster.local',
      'A',
    ]);
    expect(stdout).toMatch(/flags: qr aa tc rd ; QUERY: 1, ANSWER: 29, AUTHORITY: 0, ADDITIONAL: 0/);
    const addresses = stdout.match(/^big\.shop\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+(\S+)$/gm) ?? [];
    expect(addresses.map((line) => line.split(/\s+/).at(-1))).toEqual(
      Array.from({ length: 29 }, (_, i) => `10.244.7.${i + 1}`),
    );
  });
});
