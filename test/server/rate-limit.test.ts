// Response rate limiting: the limiter's arithmetic with an injected clock, then the whole server
// over real UDP and TCP sockets, and the real dig retrying over TCP when it gets a slipped answer.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeResponse } from '../../src/dns/encode.js';
import { decodeMessage } from '../../src/dns/message.js';
import { Rcode } from '../../src/dns/types.js';
import { RateLimiter, truncatedReply, type Verdict } from '../../src/server/rate-limit.js';
import { DnsLoadClient } from '../../bench/soak/client.js';
import { tcpQuery, udpQuery } from '../helpers/dns-client.js';
import { scrape, valueOf } from '../helpers/prometheus.js';
import { list, namespace, service } from '../helpers/manifests.js';
import { freePort, startCli } from '../helpers/cli.js';
import { makeZonesDir, startServer, type TestServer } from '../helpers/server.js';
import { requireTool } from '../helpers/tools.js';

function limiter(options: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {}) {
  let ms = 0;
  const rrl = new RateLimiter({ rate: 10, slip: 2, window: 5, maxClients: 100, now: () => ms, ...options });
  return { rrl, advance: (seconds: number) => (ms += seconds * 1000) };
}

const verdicts = (rrl: RateLimiter, address: string, n: number) => {
  const counts: Record<Verdict, number> = { send: 0, slip: 0, drop: 0 };
  for (let i = 0; i < n; i++) counts[rrl.check(address)]++;
  return counts;
};

describe('RateLimiter', () => {
  it('sends `rate` responses a second, then slips every second one and drops the rest', () => {
    const { rrl } = limiter();
    expect(verdicts(rrl, '192.0.2.1', 30)).toEqual({ send: 10, slip: 10, drop: 10 });
  });

  it('with slip 0 drops every limited response, with slip 1 truncates every one', () => {
    expect(verdicts(limiter({ slip: 0 }).rrl, '192.0.2.1', 30)).toEqual({ send: 10, slip: 0, drop: 20 });
    expect(verdicts(limiter({ slip: 1 }).rrl, '192.0.2.1', 30)).toEqual({ send: 10, slip: 20, drop: 0 });
  });

  it('counts a /24 (IPv4) or a /56 (IPv6) as one client', () => {
    const { rrl } = limiter();
    expect(verdicts(rrl, '192.0.2.1', 5).send).toBe(5);
    expect(verdicts(rrl, '192.0.2.200', 10).send).toBe(5);
    expect(verdicts(rrl, '192.0.3.1', 10).send).toBe(10);
    expect(verdicts(rrl, '2001:db8:0:ab01::1', 5).send).toBe(5);
    expect(verdicts(rrl, '2001:db8:0:abff:ffff::9', 10).send).toBe(5);
    expect(verdicts(rrl, '2001:db8:0:ac00::1', 10).send).toBe(10);
    expect(rrl.stats().clients).toBe(4);
  });

  it('credits `rate` a second, never more than one second of it', () => {
    const { rrl, advance } = limiter();
    verdicts(rrl, '192.0.2.1', 10);
    advance(0.5);
    expect(verdicts(rrl, '192.0.2.1', 10).send).toBe(5);
    advance(3600);
    expect(verdicts(rrl, '192.0.2.1', 20).send).toBe(10);
  });

  it('keeps a network that flooded limited for up to `window` seconds', () => {
    const { rrl, advance } = limiter();
    verdicts(rrl, '192.0.2.1', 1000);
    advance(4);
    expect(verdicts(rrl, '192.0.2.1', 1).send).toBe(0);
    advance(2);
    expect(verdicts(rrl, '192.0.2.1', 1).send).toBe(1);
  });

  it('tracks at most maxClients networks whatever the sources', () => {
    const { rrl } = limiter({ maxClients: 100 });
    for (let i = 0; i < 100_000; i++) rrl.check(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    for (let i = 0; i < 10_000; i++) rrl.check(`2001:db8:${i.toString(16)}::1`);
    expect(rrl.stats().clients).toBe(100);
    expect(rrl.stats().evicted).toBeGreaterThan(10_000);
  });
});

describe('truncatedReply', () => {
  const NAME = 'web.shop.svc.cluster.local';
  const QUESTION_END = 12 + NAME.length + 2 + 4;
  /** A reply as the server writes it: an answer, glue, and the OPT record if asked with EDNS. */
  const replyTo = (edns: boolean) =>
    encodeResponse(
      { id: 9, opcode: 0, rd: true, cd: false, question: { name: NAME, type: 1, class: 1 } },
      {
        rcode: Rcode.NOERROR,
        authoritative: true,
        answers: [{ name: NAME, ttl: 5, data: { type: 'A', address: '10.96.45.10' } }],
        authority: [],
        additional: [{ name: `x.${NAME}`, ttl: 5, data: { type: 'A', address: '10.0.0.1' } }],
      },
      { maxSize: 512, ...(edns ? { edns: { udpSize: 1232, dnssecOk: true } } : {}) },
    );

  // Query with EDNS or not → the slipped reply's length, counts, and its OPT record.
  it.each([
    [false, QUESTION_END, [1, 0, 0, 0]],
    [true, QUESTION_END + 11, [1, 0, 0, 1]],
  ])(
    'with EDNS %s: keeps the header and question, sets TC, drops every record but OPT',
    (edns, length, counts) => {
      const reply = replyTo(edns);
      const cut = truncatedReply(reply);
      expect(cut.length).toBe(length);
      expect(cut.subarray(0, 2)).toEqual(reply.subarray(0, 2));
      expect(cut[2]! & 0x02).toBe(2);
      expect([cut.readUInt16BE(4), cut.readUInt16BE(6), cut.readUInt16BE(8), cut.readUInt16BE(10)]).toEqual(
        counts,
      );
      const decoded = decodeMessage(cut);
      expect(decoded.tc).toBe(true);
      expect(decoded.question.map((q) => q.name)).toEqual([NAME]);
      expect(decoded.edns).toEqual(edns ? { udpSize: 1232, version: 0, dnssecOk: true } : undefined);
    },
  );

  it('leaves a bare header a header', () => {
    expect(truncatedReply(Buffer.alloc(12)).length).toBe(12);
  });
});

const hasDig = requireTool('dig', ['-v']);

describe('--rrl over real sockets', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const zones = {
    'shop.yaml': list(namespace('shop'), service('shop', 'web', { clusterIPs: ['10.96.45.10'] })),
  };
  const NAME = 'web.shop.svc.cluster.local';
  const BURST = 150;

  it('limits a flooding client, slips every second limited answer, and leaves other networks and TCP alone', async () => {
    server = await startServer(zones, ['--rrl', '20', '--rrl-slip', '2']);
    const client = await DnsLoadClient.open(server.port);
    const started = performance.now();
    const exchanges = await Promise.all(Array.from({ length: BURST }, () => client.query(NAME, 'A', 1000)));
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    const full = exchanges.filter((e) => e.reply && e.reply.answers.length === 1).length;
    const truncated = exchanges.filter((e) => e.reply && (e.reply.flags & 0x200) !== 0);
    const none = exchanges.filter((e) => !e.reply).length;
    // 20 at once, plus 20 a second for the time the burst took (generous: counts, not timing).
    expect(full).toBeGreaterThanOrEqual(20);
    expect(full).toBeLessThanOrEqual(20 + Math.ceil(seconds * 20) + 1);
    expect(truncated.every((e) => e.reply!.answers.length === 0)).toBe(true);
    // A loaded machine may lose some of the burst in socket buffers: count by what was decided.
    const { rrlDropped, rrlSlipped } = server.app.counters;
    expect(truncated.length).toBe(rrlSlipped);
    expect(Math.abs(rrlDropped - rrlSlipped)).toBeLessThanOrEqual(1);
    expect(none).toBeGreaterThanOrEqual(rrlDropped);
    expect(full + rrlSlipped + rrlDropped).toBeLessThanOrEqual(BURST);
    expect(rrlSlipped).toBeGreaterThan(BURST / 4);

    // Another /24 (127.0.1.0/24 is loopback too) is another client; TCP is never limited.
    const other = await udpQuery(server.port, NAME, 'A', { from: '127.0.1.1' });
    expect(other.packet.answers).toHaveLength(1);
    expect((await tcpQuery(server.port, NAME, 'A')).packet.answers).toHaveLength(1);

    const url = `http://127.0.0.1:${server.app.endpointAddresses().get('metrics')!.port}/metrics`;
    const { series } = await scrape(url);
    expect(valueOf(series, 'clusterdns_rrl_dropped_total')).toBe(rrlDropped);
    expect(valueOf(series, 'clusterdns_rrl_slipped_total')).toBe(rrlSlipped);
  });

  it.skipIf(!hasDig)('a limited dig gets a truncated answer and its full answer over TCP', async () => {
    server = await startServer(zones, ['--rrl', '5', '--rrl-slip', '1']);
    const client = await DnsLoadClient.open(server.port);
    await Promise.all(Array.from({ length: 50 }, () => client.query(NAME, 'A', 1000)));
    await client.close();
    const { stdout } = await promisify(execFile)('dig', [
      '@127.0.0.1',
      '-p',
      String(server.port),
      '+time=2',
      '+tries=1',
      NAME,
    ]);
    expect(stdout).toMatch(/Truncated, retrying in TCP mode/);
    expect(stdout).toMatch(/web\.shop\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+10\.96\.45\.10/);
  });

  it('turns on and off with a reload of the config file', async () => {
    const dir = await makeZonesDir(zones);
    // Beside the zone directory, not in it: every YAML file there is a zone file.
    const work = await mkdtemp(join(tmpdir(), 'clusterdns-rrl-'));
    const file = join(work, 'clusterdns.yaml');
    const port = await freePort();
    const write = (lines: string[]) =>
      writeFile(file, [`zones: ${dir}`, `listen: [127.0.0.1:${port}]`, ...lines, ''].join('\n'));
    await write([]);
    const cli = await startCli(['--config', file]);
    try {
      const answered = async () => {
        const client = await DnsLoadClient.open(port);
        const got = await Promise.all(Array.from({ length: 100 }, () => client.query(NAME, 'A', 1000)));
        await client.close();
        return got.filter((e) => e.reply?.answers.length === 1).length;
      };
      const reload = async (lines: string[]) => {
        const before = cli.output().split('configuration reloaded').length;
        await write(lines);
        cli.child.kill('SIGHUP');
        for (let i = 0; i < 200 && cli.output().split('configuration reloaded').length === before; i++)
          await new Promise((resolve) => setTimeout(resolve, 25));
      };
      expect(await answered()).toBe(100);
      await reload(['rrl: 10', 'rrl-slip: 0']);
      expect(await answered()).toBeLessThan(50);
      await reload([]);
      expect(await answered()).toBe(100);
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
      await rm(dir, { recursive: true, force: true });
      await rm(work, { recursive: true, force: true });
    }
  });
});
