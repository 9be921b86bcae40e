// The real dig against the real binary serving the bundled zones/, as the README tells a user to,
// and every dig example of README.md and docs/ asked as it is written there.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { bigHeadless, list, namespace } from '../helpers/manifests.js';
import { digExamples, documentation, shellCommands, type ConsoleDig } from '../helpers/markdown.js';
import { makeZonesDir } from '../helpers/server.js';
import { requireTool } from '../helpers/tools.js';
import { hasEtcd, startEtcd, type EtcdServer } from '../registry/etcd/etcd-server.js';
import { FakeNacos } from '../registry/nacos/fake-nacos.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);
const hasDrill = requireTool('drill', ['-v'], 'ldnsutils');
const hasCurl = requireTool('curl', ['--version'], 'curl');

/** clusterdns on the bundled zones (with `flags`) for the calling describe block, and dig asking it. */
function digDefaultZones(flags: string[] = []): (...args: string[]) => Promise<string> {
  let cli: RunningCli | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    cli = await startCli(['--listen', `127.0.0.1:${port}`, ...flags]);
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
// docs/multicluster.md's examples: the bundled zones' ServiceImports in clusterset.local.
describe.skipIf(!hasDig)('dig against the default zones with a multicluster zone', () => {
  const dig = digDefaultZones(
    ['cluster.local', 'clusterset.local', 'in-addr.arpa']
      .flatMap((zone) => ['--zone', zone])
      .concat('--multicluster', 'clusterset.local'),
  );
  const short = async (...args: string[]) => (await dig('+short', ...args)).trim().split('\n').sort();

  it.each([
    [['web.shop.svc.clusterset.local'], ['10.97.45.10']],
    [['db.shop.svc.clusterset.local'], ['10.245.1.20', '10.245.2.21', '10.246.1.20']],
    [
      ['_postgres._tcp.db.shop.svc.clusterset.local', 'SRV'],
      [
        '0 33 5432 db-0.east.db.shop.svc.clusterset.local.',
        '0 33 5432 db-0.west.db.shop.svc.clusterset.local.',
        '0 33 5432 db-1.east.db.shop.svc.clusterset.local.',
      ],
    ],
    [['db-0.west.db.shop.svc.clusterset.local'], ['10.246.1.20']],
    [['-x', '10.97.45.10'], ['web.shop.svc.clusterset.local.']],
    [['-x', '10.245.1.20'], ['db-0.east.db.shop.svc.clusterset.local.']],
    [['dns-version.clusterset.local', 'TXT'], ['"1.0.0"']],
    // The cluster's own names are untouched by the imports of the same names.
    [['web.shop.svc.cluster.local'], ['10.96.45.10']],
    [['db.shop.svc.cluster.local'], ['10.244.1.20', '10.244.2.21']],
    [['-x', '10.244.1.20'], ['db-0.db.shop.svc.cluster.local.']],
  ])('dig %j', async (args, expected) => {
    expect(await short(...args)).toEqual(expected);
  });

  it('answers NXDOMAIN for a not-ready endpoint and for a per-cluster name of a ClusterSetIP import', async () => {
    for (const name of ['db-1.west.db.shop.svc.clusterset.local', 'east.web.shop.svc.clusterset.local']) {
      expect(await dig('+noall', '+comments', name)).toMatch(/status: NXDOMAIN/);
    }
  });
});

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

// The documentation's examples: a ```console block's `$ dig` lines and what they print (as a set of
// lines: record order within an RRset is not part of the answer), and table rows whose answer cell's
// `code` parts are text dig prints. They ask `@127.0.0.1 -p 1053`, the address `npm start` serves;
// here that is the port the test's server took. (The glibc table's `dig +search web` asks port 53
// in a network namespace: test/server/glibc.test.ts asks it there.)
const examples = documentation().map(digExamples);
const consoleDigs = examples.flatMap((found) => found.console);
const tableDigs = examples.flatMap((found) => found.table);
const where = (example: { path: string; line: number }) => `${example.path}:${example.line}`;

/** The example's arguments with its port, 1053, replaced by the test server's. */
function asWritten(args: string[], port: number): string[] {
  return args.map((arg, i) => (args[i - 1] === '-p' ? String(port) : arg));
}

async function digAsWritten(args: string[], port: number): Promise<string> {
  return (await run('dig', ['+time=2', '+tries=1', ...asWritten(args, port)])).stdout;
}

function printedLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .sort();
}

describe('the dig examples of README.md and docs/', () => {
  it('are each written in a form this file asks', () => {
    expect(examples.flatMap((found) => found.unchecked).map((u) => `${where(u)}: ${u.text}`)).toEqual([]);
    // The bundled-zone table of docs/records.md and the README's examples at least.
    expect(tableDigs.length).toBeGreaterThanOrEqual(14);
    expect(consoleDigs.filter((example) => example.path === 'README.md').length).toBeGreaterThanOrEqual(5);
  });

  it('name only set-ups this file starts, each after the sh block that sets it up', () => {
    for (const example of consoleDigs.filter((e) => e.setup !== undefined)) {
      expect(['etcd', 'nacos'], where(example)).toContain(example.setup);
      expect(example.setupScript, where(example)).toMatch(/npx clusterdns /);
    }
  });
});

describe.skipIf(!hasDig)('the dig examples against the bundled zones (npm start)', () => {
  let cli: RunningCli | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    cli = await startCli(['--listen', `127.0.0.1:${port}`]);
  });
  afterAll(() => cli?.child.kill('SIGTERM'));

  it.each(consoleDigs.filter((e) => e.setup === undefined).map((e) => [where(e), e] as const))(
    '%s',
    async (_where, example) => {
      expect(printedLines(await digAsWritten(example.args, port))).toEqual([...example.output].sort());
    },
  );

  it.each(tableDigs.map((e) => [where(e), e] as const))('%s', async (_where, example) => {
    const printed = (await digAsWritten(example.args, port)).replace(/\s+/g, ' ');
    const parts = [...example.answer.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
    const rcodes = parts.filter((part) => /^(NOERROR|NXDOMAIN|SERVFAIL|REFUSED)$/.test(part));
    expect(/status: (\w+)/.exec(printed)?.[1]).toBe(rcodes[0] ?? 'NOERROR');
    for (const part of parts) {
      const pattern = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('<serial>', '\\d+');
      expect(printed, `${where(example)}: ${part}`).toMatch(new RegExp(pattern));
    }
  });
});

/** The `npx clusterdns ...` line of a set-up, its registry URL and listen address replaced. */
function serverArgs(script: string, flag: '--etcd' | '--nacos', url: string, port: number): string[] {
  const line = shellCommands(script).find((command) => command.startsWith('npx clusterdns '))!;
  const args = line.replace(/\s*&$/, '').split(/\s+/).slice(2);
  return args.map((arg, i) =>
    args[i - 1] === flag ? url : args[i - 1] === '--listen' ? `127.0.0.1:${port}` : arg,
  );
}

/** The examples of one set-up, grouped by the sh block they follow: one registry and server each. */
function bySetup(setup: string): [string, ConsoleDig[]][] {
  const groups = new Map<string, ConsoleDig[]>();
  for (const example of consoleDigs.filter((e) => e.setup === setup)) {
    const key = `${example.path}\n${example.setupScript}`;
    groups.set(key, [...(groups.get(key) ?? []), example]);
  }
  return [...groups.values()].map((group) => [where(group[0]!), group]);
}

describe.skipIf(!hasDig || !hasEtcd()).each(bySetup('etcd'))('the etcd example at %s', (_where, group) => {
  let etcd: EtcdServer | undefined;
  let cli: RunningCli | undefined;
  let port = 0;
  beforeAll(async () => {
    etcd = await startEtcd();
    const script = group[0]!.setupScript!;
    // The etcdctl lines as written; the variable points them at the test's etcd.
    const env = { ...process.env, ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: etcd.url };
    for (const command of shellCommands(script).filter((c) => c.startsWith('etcdctl '))) {
      await run('bash', ['-c', command], { env });
    }
    port = await freePort();
    cli = await startCli(serverArgs(script, '--etcd', etcd.url, port));
  });
  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await etcd?.stop();
  });

  it.each(group.map((e) => [where(e), e] as const))('%s', async (_where, example) => {
    expect(printedLines(await digAsWritten(example.args, port))).toEqual([...example.output].sort());
  });
});

describe.skipIf(!hasDig || !hasCurl).each(bySetup('nacos'))('the Nacos example at %s', (_where, group) => {
  const nacos = new FakeNacos();
  let cli: RunningCli | undefined;
  let port = 0;
  beforeAll(async () => {
    await nacos.start();
    const script = group[0]!.setupScript!;
    // The registrations as written, sent to the Nacos double (the heartbeat loop is not needed
    // within the 15 s an instance stays healthy without one).
    for (const command of shellCommands(script).filter((c) => c.startsWith('curl -X POST '))) {
      await run('bash', ['-c', command.replaceAll('http://127.0.0.1:8848', nacos.url)]);
    }
    port = await freePort();
    cli = await startCli(serverArgs(script, '--nacos', nacos.url, port));
  });
  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await nacos.stop();
  });

  it.each(group.map((e) => [where(e), e] as const))('%s', async (_where, example) => {
    expect(printedLines(await digAsWritten(example.args, port))).toEqual([...example.output].sort());
  });
});
