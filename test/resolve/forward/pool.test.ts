// Failover between upstreams, marking down and up, the in-flight bound.
import { afterEach, describe, expect, it } from 'vitest';
import { RRType, Rcode, type Question } from '../../../src/dns/types.js';
import { UpstreamPool, type PoolOptions } from '../../../src/resolve/forward/pool.js';
import { a, captureLogger, reply, startStub, waitFor, type Handler, type Stub } from './stub.js';

const question: Question = { name: 'www.example.com', type: RRType.A, class: 1 };
const answering: Handler = (q) => [reply(q, { answers: [a(q.message.question[0]!.name, '192.0.2.1')] })];
const silent: Handler = () => [];
const servfail: Handler = (q) => [reply(q, { rcode: Rcode.SERVFAIL })];

let stubs: Stub[] = [];
let pools: UpstreamPool[] = [];
afterEach(async () => {
  for (const pool of pools) pool.close();
  await Promise.all(stubs.map((stub) => stub.close()));
  stubs = [];
  pools = [];
});

async function stubsFor(...handlers: Handler[]): Promise<Stub[]> {
  const started = await Promise.all(handlers.map((handler) => startStub(handler)));
  stubs.push(...started);
  return started;
}

function pool(upstreams: Stub[], options: Partial<PoolOptions> = {}) {
  const log = captureLogger();
  const created = new UpstreamPool({
    servers: upstreams.map((stub) => stub.server),
    logger: log.logger,
    timeoutMs: 300,
    ...options,
  });
  pools.push(created);
  return { pool: created, lines: log.lines };
}

describe('UpstreamPool', () => {
  it('asks the first server and leaves the others alone', async () => {
    const [first, second] = await stubsFor(answering, answering);
    const { pool: upstreams } = pool([first!, second!]);
    const result = await upstreams.query(question);
    expect(result).toMatchObject({ kind: 'reply', server: `127.0.0.1:${first!.server.port}` });
    expect(first!.questions()).toEqual(['www.example.com 1']);
    expect(second!.questions()).toEqual([]);
  });

  it('moves to the next server after a timeout, about the timeout later', async () => {
    const [first, second] = await stubsFor(silent, answering);
    const { pool: upstreams } = pool([first!, second!]);
    const started = Date.now();
    const result = await upstreams.query(question);
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ kind: 'reply', server: `127.0.0.1:${second!.server.port}` });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
    expect(upstreams.stats().upstreams[0]!.failures).toEqual({
      timeout: 1,
      network: 0,
      servfail: 0,
      refused: 0,
    });
  });

  it('moves on after SERVFAIL and REFUSED, asking each server once', async () => {
    const refused: Handler = (q) => [reply(q, { rcode: Rcode.REFUSED })];
    const [first, second, third] = await stubsFor(servfail, refused, answering);
    const { pool: upstreams } = pool([first!, second!, third!]);
    expect((await upstreams.query(question)).kind).toBe('reply');
    expect([first, second, third].map((stub) => stub!.questions().length)).toEqual([1, 1, 1]);
    const [one, two] = upstreams.stats().upstreams;
    expect(one!.failures.servfail).toBe(1);
    expect(two!.failures.refused).toBe(1);
  });

  it('passes NXDOMAIN on as an answer, not a failure', async () => {
    const [first, second] = await stubsFor((q) => [reply(q, { rcode: Rcode.NXDOMAIN })], answering);
    const { pool: upstreams } = pool([first!, second!]);
    const result = await upstreams.query(question);
    expect(result.kind === 'reply' && result.reply.rcode).toBe(Rcode.NXDOMAIN);
    expect(second!.questions()).toEqual([]);
  });

  it('fails when every server fails, each asked once', async () => {
    const [first, second] = await stubsFor(servfail, servfail);
    const { pool: upstreams } = pool([first!, second!], { maxFails: 5 });
    expect(await upstreams.query(question)).toEqual({ kind: 'failed' });
    expect(first!.questions()).toHaveLength(1);
    expect(second!.questions()).toHaveLength(1);
  });

  it('marks a server down after maxFails failures, skips it, and marks it up when a probe is answered', async () => {
    const [first, second] = await stubsFor(servfail, answering);
    const { pool: upstreams, lines } = pool([first!, second!]);
    const name = `127.0.0.1:${first!.server.port}`;
    await upstreams.query(question);
    expect(upstreams.stats().upstreams[0]!.state).toBe('up');
    await upstreams.query(question);
    expect(upstreams.stats().upstreams[0]!.state).toBe('down');
    const down = lines.filter((line) => line.level === 40);
    expect(down).toHaveLength(1);
    expect(down[0]!.msg).toContain(`upstream ${name} marked down after 2 failures`);

    // Down: questions go straight to the second server.
    await upstreams.query(question);
    expect(first!.questions()).toHaveLength(2);
    expect(second!.questions()).toHaveLength(3);

    // Probes (`. NS`) every 500 ms; a SERVFAIL to a probe is still a reply: the server is back.
    first!.handler = (q) => [reply(q, { rcode: Rcode.SERVFAIL })];
    await waitFor(() => upstreams.stats().upstreams[0]!.state === 'up', 2000, 'the probe to mark it up');
    const probe = first!.queries.at(-1)!.message.question[0]!;
    expect(probe).toEqual({ name: '', type: RRType.NS, class: 1 });
    const up = lines.filter((line) => line.level === 30);
    expect(up).toHaveLength(1);
    expect(up[0]!.msg).toBe(`upstream ${name} is up again: it answered a probe`);
    expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
  });

  it('keeps a down server down while probes go unanswered, and stops probing on close', async () => {
    const [first, second] = await stubsFor(silent, answering);
    const { pool: upstreams } = pool([first!, second!], { maxFails: 1, timeoutMs: 100 });
    await upstreams.query(question);
    expect(upstreams.stats().upstreams[0]!.state).toBe('down');
    await waitFor(() => first!.queries.length >= 2, 1500, 'a probe');
    // The probe's own timeout (100 ms) passes unanswered.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(upstreams.stats().upstreams[0]).toMatchObject({ state: 'down', probes: 1 });
    upstreams.close();
    const seen = first!.queries.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(first!.queries.length).toBe(seen);
  });

  it('asks every server in order when all are down', async () => {
    const [first, second] = await stubsFor(servfail, servfail);
    const { pool: upstreams } = pool([first!, second!], { maxFails: 1 });
    await upstreams.query(question);
    expect(upstreams.stats().upstreams.map((u) => u.state)).toEqual(['down', 'down']);
    second!.handler = answering;
    const result = await upstreams.query(question);
    expect(result).toMatchObject({ kind: 'reply', server: `127.0.0.1:${second!.server.port}` });
    expect(first!.questions()).toHaveLength(2);
    // Answering a real question brings a server back as a probe would.
    expect(upstreams.stats().upstreams.map((u) => u.state)).toEqual(['down', 'up']);
  });

  it('refuses questions beyond maxConcurrent without sending them', async () => {
    const [slow] = await stubsFor((q) => [{ bytes: reply(q), delayMs: 150 }]);
    const { pool: upstreams } = pool([slow!], { maxConcurrent: 2 });
    const ask = (name: string) => upstreams.query({ ...question, name });
    const first = ask('one.example');
    const second = ask('two.example');
    expect(upstreams.stats().inFlight).toBe(2);
    expect(await ask('three.example')).toEqual({ kind: 'overloaded' });
    expect((await first).kind).toBe('reply');
    expect((await second).kind).toBe('reply');
    expect(slow!.questions()).toEqual(['one.example 1', 'two.example 1']);
    expect(upstreams.stats()).toMatchObject({ inFlight: 0, maxConcurrentRejects: 1 });
    expect((await ask('four.example')).kind).toBe('reply');
  });

  it('counts queries, latency and spoofed replies per server', async () => {
    const [upstream] = await stubsFor((q) => [reply(q, { id: (q.message.id + 1) & 0xffff }), reply(q)]);
    const { pool: upstreams } = pool([upstream!]);
    await upstreams.query(question);
    await upstreams.query(question);
    const stats = upstreams.stats();
    expect(stats.spoofedDropped).toBe(2);
    expect(stats.upstreams[0]).toMatchObject({ queries: 2, spoofedDropped: 2, state: 'up' });
    expect(stats.upstreams[0]!.latency.count).toBe(2);
    expect(stats.upstreams[0]!.latency.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(2);
  });

  it('needs at least one server and sensible limits', () => {
    const logger = captureLogger().logger;
    expect(() => new UpstreamPool({ servers: [], logger })).toThrow(/--upstream/);
    const servers = [{ host: '127.0.0.1', port: 53, family: 4 as const }];
    expect(() => new UpstreamPool({ servers, logger, maxFails: -1 })).toThrow(/maxFails/);
    expect(() => new UpstreamPool({ servers, logger, probeIntervalMs: 0 })).toThrow(/probeIntervalMs/);
    expect(() => new UpstreamPool({ servers, logger, timeoutMs: 0.5 })).toThrow(/timeoutMs/);
  });

  // forward's policy (https://coredns.io/plugins/forward/): which upstream each question goes to
  // first, over six questions to three answering upstreams.
  it.each([
    ['sequential', (counts: number[]) => expect(counts).toEqual([6, 0, 0])],
    ['round_robin', (counts: number[]) => expect(counts).toEqual([2, 2, 2])],
    // Random: a fresh order per question; over 200 questions an upstream never asked first has a
    // chance of (2/3)^200.
    ['random', (counts: number[]) => expect(counts.every((count) => count > 0)).toBe(true)],
  ] as const)('policy %s orders the upstreams', async (policy, check) => {
    const three = await stubsFor(answering, answering, answering);
    const { pool: upstreams } = pool(three, { policy });
    const asked = policy === 'random' ? 200 : 6;
    for (let i = 0; i < asked; i++) await upstreams.query({ ...question, name: `q${i}.example` });
    check(three.map((stub) => stub.questions().length));
  });

  it('policy sequential skips a down first upstream, and returns to it once a probe is answered', async () => {
    const [first, second] = await stubsFor(silent, answering);
    const { pool: upstreams } = pool([first!, second!], {
      policy: 'sequential',
      maxFails: 3,
      timeoutMs: 100,
      probeIntervalMs: 50,
    });
    // Three timeouts in a row take it down; the second server answers each of those questions.
    for (let i = 0; i < 3; i++) await upstreams.query(question);
    expect(upstreams.stats().upstreams.map((u) => u.state)).toEqual(['down', 'up']);
    await upstreams.query(question);
    expect(first!.questions()).toHaveLength(3);
    expect(second!.questions()).toHaveLength(4);
    first!.handler = answering;
    // Probes every 50 ms: back well within the 500 ms the default interval would take.
    const started = Date.now();
    await waitFor(() => upstreams.stats().upstreams[0]!.state === 'up', 2000, 'a probe to mark it up');
    expect(Date.now() - started).toBeLessThan(450);
    await upstreams.query(question);
    expect(first!.questions()).toHaveLength(4);
  });

  it('max_fails 0 never marks an upstream down, so it is never probed', async () => {
    const [first, second] = await stubsFor(servfail, answering);
    const { pool: upstreams } = pool([first!, second!], { maxFails: 0, probeIntervalMs: 20 });
    for (let i = 0; i < 5; i++) await upstreams.query(question);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstreams.stats().upstreams[0]).toMatchObject({ state: 'up', probes: 0 });
    expect(first!.questions()).toHaveLength(5);
  });

  it('probes with health_check domain NAME and no_rec as given', async () => {
    const [first, second] = await stubsFor(silent, answering);
    const { pool: upstreams } = pool([first!, second!], {
      maxFails: 1,
      timeoutMs: 100,
      probeIntervalMs: 50,
      probe: { name: 'example.org', recursion: false },
    });
    await upstreams.query(question);
    await waitFor(() => first!.queries.length >= 2, 2000, 'a probe');
    const probe = first!.queries[1]!;
    expect(probe.message.question[0]).toEqual({ name: 'example.org', type: RRType.NS, class: 1 });
    // RD is the low bit of the third header byte (RFC 1035 §4.1.1).
    expect(probe.bytes[2]! & 1).toBe(0);
    expect(first!.queries[0]!.bytes[2]! & 1).toBe(1);
  });

  // force_tcp, prefer_udp and the default (the client's transport), as forward has them.
  it.each([
    ['tcp', 'udp', 'tcp'],
    ['tcp', 'tcp', 'tcp'],
    ['udp', 'tcp', 'udp'],
    ['udp', 'udp', 'udp'],
    ['client', 'tcp', 'tcp'],
    ['client', 'udp', 'udp'],
  ] as const)(
    'transport %s, client over %s: the upstream is asked over %s',
    async (transport, client, seen) => {
      const [upstream] = await stubsFor(servfail);
      const { pool: upstreams } = pool([upstream!], { transport, maxFails: 1, probeIntervalMs: 20 });
      await upstreams.query(question, false, client);
      // The probe of the down server goes over TCP with force_tcp, over UDP otherwise.
      await waitFor(() => upstream!.queries.length >= 2, 2000, 'a probe');
      const probe = transport === 'tcp' ? 'tcp' : 'udp';
      expect(upstream!.queries.slice(0, 2).map((q) => q.transport)).toEqual([seen, probe]);
    },
  );
});
