// chaos (https://coredns.io/plugins/chaos/) over real UDP with the real dig: CH TXT questions about
// the server, as a user asks them (`dig CH TXT version.bind`).
import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);

/** dig's status line and answer records (`+noall +answer [+comments]`), TTL and class kept. */
async function dig(port: number, ...args: string[]): Promise<{ status: string; answers: string[] }> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'none';
  // With +noall +answer, every line that is not a comment is an answer record.
  const answers = stdout
    .split('\n')
    .filter((line) => line && !line.startsWith(';'))
    .map((line) => line.split(/\s+/).join(' '));
  return { status, answers };
}

describe.skipIf(!hasDig)('chaos', () => {
  let all: TestServer;
  let hostOnly: TestServer;
  let defaults: TestServer;
  beforeAll(async () => {
    all = await startServer({}, [
      '--chaos',
      '.',
      '--chaos-version',
      'CoreDNS-1.14.1',
      '--chaos-authors',
      'Miek Gieben',
      '--chaos-authors',
      'Yong Tang',
    ]);
    // OpenShift's `hostname.bind:5353 { chaos }`: only that name is this block's.
    hostOnly = await startServer({}, ['--chaos', 'hostname.bind']);
    defaults = await startServer({}, ['--chaos', '.']);
  });
  afterAll(async () => {
    await Promise.all([all, hostOnly, defaults].map((server) => server?.close()));
  });

  const host = hostname();
  it.each([
    ['all', 'version.bind', 'NOERROR', ['version.bind. 0 CH TXT "CoreDNS-1.14.1"']],
    ['all', 'VERSION.Server', 'NOERROR', ['VERSION.Server. 0 CH TXT "CoreDNS-1.14.1"']],
    ['all', 'hostname.bind', 'NOERROR', [`hostname.bind. 0 CH TXT "${host}"`]],
    ['all', 'id.server', 'NOERROR', [`id.server. 0 CH TXT "${host}"`]],
    [
      'all',
      'authors.bind',
      'NOERROR',
      ['authors.bind. 0 CH TXT "Miek Gieben"', 'authors.bind. 0 CH TXT "Yong Tang"'],
    ],
    // Not a chaos name, and not the server's to answer.
    ['all', 'other.bind', 'REFUSED', []],
    ['hostOnly', 'hostname.bind', 'NOERROR', [`hostname.bind. 0 CH TXT "${host}"`]],
    ['hostOnly', 'version.bind', 'REFUSED', []],
    [
      'defaults',
      'version.bind',
      'NOERROR',
      [expect.stringMatching(/^version\.bind\. 0 CH TXT "clusterdns-\d+\.\d+\.\d+.*"$/)],
    ],
    // No authors given: authors.bind is not answered.
    ['defaults', 'authors.bind', 'REFUSED', []],
  ] as const)('%s: CH TXT %s is %s', async (which, name, status, answers) => {
    const server = { all, hostOnly, defaults }[which];
    const reply = await dig(server.port, '+noall', '+answer', '+comments', 'CH', 'TXT', name);
    expect(reply.status).toBe(status);
    expect([...reply.answers].sort()).toEqual(answers);
  });

  it('answers only CH TXT: IN TXT version.bind and CH A version.bind are not chaos questions', async () => {
    for (const args of [
      ['IN', 'TXT'],
      ['CH', 'A'],
    ]) {
      const reply = await dig(all.port, '+noall', '+answer', '+comments', ...args, 'version.bind');
      expect(reply.answers, args.join(' ')).toEqual([]);
    }
  });

  it('shuffles authors.bind for each question, as CoreDNS does', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 30 && orders.size < 2; i++) {
      orders.add((await dig(all.port, '+noall', '+answer', 'CH', 'TXT', 'authors.bind')).answers.join('|'));
    }
    expect(orders.size).toBe(2);
  });
});
