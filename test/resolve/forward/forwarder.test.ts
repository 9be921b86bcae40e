// The forwarder end to end against stub upstreams on loopback: what the client gets back.
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeResponse } from '../../../src/dns/index.js';
import { RRType, Rcode, type Question } from '../../../src/dns/types.js';
import { Forwarder, type ForwarderOptions } from '../../../src/resolve/forward/forwarder.js';
import type { QueryContext } from '../../../src/resolve/types.js';
import { a, captureLogger, reply, soa, startStub, type Handler, type Stub } from './stub.js';

const context: QueryContext = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 };
const question: Question = { name: 'www.example.com', type: RRType.A, class: 1 };
const answering: Handler = (q) => [reply(q, { answers: [a('www.example.com', '192.0.2.1', 60)] })];
const servfail: Handler = (q) => [reply(q, { rcode: Rcode.SERVFAIL })];

let stubs: Stub[] = [];
let forwarders: Forwarder[] = [];
afterEach(async () => {
  for (const forwarder of forwarders) forwarder.close();
  await Promise.all(stubs.map((stub) => stub.close()));
  stubs = [];
  forwarders = [];
});

async function stub(handler: Handler): Promise<Stub> {
  const started = await startStub(handler);
  stubs.push(started);
  return started;
}

function clock() {
  let ms = 5_000_000;
  return { now: () => ms, advance: (seconds: number) => (ms += seconds * 1000) };
}

function forwarder(upstreams: Stub[], options: Partial<ForwarderOptions> = {}): Forwarder {
  const created = new Forwarder({
    servers: upstreams.map((upstream) => upstream.server),
    logger: captureLogger().logger,
    timeoutMs: 300,
    ...options,
  });
  forwarders.push(created);
  return created;
}

describe('Forwarder', () => {
  it("passes the upstream's rcode and sections on, with RA and without AA or OPT", async () => {
    const upstream = await stub((q) => [
      reply(q, {
        rcode: Rcode.NXDOMAIN,
        answers: [{ name: 'www.example.com', type: 'CNAME', ttl: 60, data: 'gone.example.com' }],
        authorities: [soa('example.com', 300, 60)],
        additionals: [
          a('ns.example.com', '192.0.2.53'),
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 4096,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ],
      }),
    ]);
    const answer = await forwarder([upstream]).resolve(question, context);
    expect(answer).toMatchObject({ rcode: Rcode.NXDOMAIN, authoritative: false, ra: true });
    expect(answer.truncated).toBeUndefined();
    expect(answer.answers).toEqual([
      { name: 'www.example.com', ttl: 60, class: 1, data: { type: 'CNAME', target: 'gone.example.com' } },
    ]);
    expect(answer.authority.map((rr) => rr.data.type)).toEqual(['SOA']);
    expect(answer.additional).toEqual([
      { name: 'ns.example.com', ttl: 300, class: 1, data: { type: 'A', address: '192.0.2.53' } },
    ]);
  });

  it("answers in the client's spelling of the name, from upstream and from the cache", async () => {
    const upstream = await stub((q) => [
      reply(q, {
        name: 'www.example.com',
        answers: [a('www.example.com', '192.0.2.1'), a('other.example.com', '192.0.2.2')],
      }),
    ]);
    const forward = forwarder([upstream]);
    const first = await forward.resolve({ ...question, name: 'WwW.ExAmple.cOm' }, context);
    expect(first.answers.map((rr) => rr.name)).toEqual(['WwW.ExAmple.cOm', 'other.example.com']);
    const second = await forward.resolve({ ...question, name: 'www.EXAMPLE.com' }, context);
    expect(second.answers.map((rr) => rr.name)).toEqual(['www.EXAMPLE.com', 'other.example.com']);
    expect(upstream.questions()).toHaveLength(1);
  });

  it('serves the full answer after a TC → TCP retry, and passes TC on (uncached) when TCP fails', async () => {
    const many = Array.from({ length: 40 }, (_, i) => a('www.example.com', `192.0.2.${i + 1}`));
    const upstream = await stub((q) =>
      q.transport === 'udp'
        ? [reply(q, { tc: true, answers: many.slice(0, 2) })]
        : [reply(q, { answers: many })],
    );
    const forward = forwarder([upstream]);
    const full = await forward.resolve(question, context);
    expect(full.answers).toHaveLength(40);
    expect(full.truncated).toBeUndefined();

    upstream.handler = (q) =>
      q.transport === 'udp' ? [reply(q, { tc: true, answers: many.slice(0, 2) })] : [];
    const aaaa = { ...question, type: RRType.AAAA };
    const cut = await forward.resolve(aaaa, context);
    expect(cut).toMatchObject({ rcode: Rcode.NOERROR, truncated: true });
    expect(cut.answers).toHaveLength(2);
    await forward.resolve(aaaa, context);
    expect(upstream.questions().filter((q) => q.endsWith(' 28'))).toHaveLength(4);
    expect(forward.stats().upstreams[0]!.tcpRetries).toBe(3);
  });

  it('moves to the next upstream on timeout and on SERVFAIL', async () => {
    const silent = await stub(() => []);
    const failing = await stub(servfail);
    const good = await stub(answering);
    const started = Date.now();
    const answer = await forwarder([silent, failing, good], { maxFails: 5 }).resolve(question, context);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(answer.answers).toHaveLength(1);
    expect([silent, failing, good].map((s) => s.questions().length)).toEqual([1, 1, 1]);
  });

  it('does not serve forged replies, counts them, and takes the real reply sent after them', async () => {
    const upstream = await stub((q) => {
      const forged = reply(q, { answers: [a('www.example.com', '203.0.113.66')] });
      return [
        reply(q, { id: (q.message.id + 1) & 0xffff, answers: [a('www.example.com', '203.0.113.66')] }),
        reply(q, { name: 'evil.example.com', answers: [a('www.example.com', '203.0.113.66')] }),
        { bytes: forged, fromOtherPort: true },
        { bytes: reply(q, { answers: [a('www.example.com', '192.0.2.1')] }), delayMs: 30 },
      ];
    });
    const forward = forwarder([upstream]);
    const answer = await forward.resolve(question, context);
    expect(answer.answers.map((rr) => rr.data)).toEqual([{ type: 'A', address: '192.0.2.1' }]);
    expect(forward.stats().spoofedDropped).toBe(3);
  });

  it('answers SERVFAIL when only forged replies come', async () => {
    const upstream = await stub((q) => [
      { bytes: reply(q, { answers: [a('x', '203.0.113.66')] }), fromOtherPort: true },
    ]);
    const forward = forwarder([upstream]);
    const answer = await forward.resolve(question, context);
    expect(answer).toEqual({
      rcode: Rcode.SERVFAIL,
      authoritative: false,
      ra: true,
      answers: [],
      authority: [],
      additional: [],
    });
    expect(forward.stats()).toMatchObject({ spoofedDropped: 1, servfails: 1 });
  });

  it('serves stale with TTL 30 when every upstream fails, then SERVFAIL after the stale window', async () => {
    const time = clock();
    const first = await stub(answering);
    const second = await stub(servfail);
    const forward = forwarder([first, second], { cache: { now: time.now, staleWindow: 600 } });
    expect((await forward.resolve(question, context)).answers[0]!.ttl).toBe(60);

    first.handler = servfail;
    time.advance(61);
    const stale = await forward.resolve(question, context);
    expect(stale).toMatchObject({ rcode: Rcode.NOERROR, ra: true });
    expect(stale.answers.map((rr) => [rr.ttl, rr.data])).toEqual([[30, { type: 'A', address: '192.0.2.1' }]]);
    expect(forward.stats().cache.staleServed).toBe(1);

    time.advance(600);
    expect((await forward.resolve(question, context)).rcode).toBe(Rcode.SERVFAIL);
    expect(forward.stats().servfails).toBe(1);
  });

  it('counts cached TTLs down and asks upstream again when they run out', async () => {
    const time = clock();
    const upstream = await stub(answering);
    const forward = forwarder([upstream], { cache: { now: time.now } });
    await forward.resolve(question, context);
    time.advance(45);
    expect((await forward.resolve(question, context)).answers[0]!.ttl).toBe(15);
    time.advance(15);
    expect((await forward.resolve(question, context)).answers[0]!.ttl).toBe(60);
    expect(upstream.questions()).toHaveLength(2);
    expect(forward.stats().cache).toMatchObject({ hits: { success: 1, denial: 0 }, misses: 2, entries: 1 });
  });

  it('caches NXDOMAIN for the SOA minimum, and a denial without SOA not at all', async () => {
    const time = clock();
    const upstream = await stub((q) =>
      q.message.question[0]!.name === 'nosoa.example.com'
        ? [reply(q, { rcode: Rcode.NXDOMAIN })]
        : [reply(q, { rcode: Rcode.NXDOMAIN, authorities: [soa('example.com', 300, 20)] })],
    );
    const forward = forwarder([upstream], { cache: { now: time.now } });
    const nx = { ...question, name: 'nx.example.com' };
    await forward.resolve(nx, context);
    time.advance(19);
    const cached = await forward.resolve(nx, context);
    expect(cached.rcode).toBe(Rcode.NXDOMAIN);
    expect(cached.authority[0]!.ttl).toBe(1);
    time.advance(1);
    await forward.resolve(nx, context);
    expect(upstream.questions()).toEqual(['nx.example.com 1', 'nx.example.com 1']);

    const nosoa = { ...question, name: 'nosoa.example.com' };
    await forward.resolve(nosoa, context);
    await forward.resolve(nosoa, context);
    expect(upstream.questions().filter((q) => q.startsWith('nosoa'))).toHaveLength(2);
  });

  it('sends one upstream query for 10 identical questions at once', async () => {
    const upstream = await stub((q) => [
      { bytes: reply(q, { answers: [a('www.example.com', '192.0.2.1')] }), delayMs: 100 },
    ]);
    const forward = forwarder([upstream]);
    const spellings = Array.from({ length: 10 }, (_, i) => (i % 2 ? 'WWW.example.com' : 'www.example.com'));
    const answers = await Promise.all(
      spellings.map((name) => forward.resolve({ ...question, name }, context)),
    );
    expect(upstream.questions()).toHaveLength(1);
    expect(answers.map((answer) => answer.answers[0]!.name)).toEqual(spellings);
    expect(forward.stats().coalesced).toBe(9);
  });

  it('keeps different questions and DO bits apart', async () => {
    const upstream = await stub(answering);
    const forward = forwarder([upstream]);
    await Promise.all([
      forward.resolve(question, context),
      forward.resolve(question, { ...context, dnssecOk: true }),
      forward.resolve({ ...question, type: RRType.AAAA }, context),
    ]);
    expect(upstream.questions()).toHaveLength(3);
    expect(upstream.queries.map((q) => q.message.edns?.dnssecOk).sort()).toEqual([false, false, true]);
  });

  it('answers REFUSED beyond the in-flight bound without asking upstream', async () => {
    const upstream = await stub((q) => [{ bytes: reply(q), delayMs: 100 }]);
    const forward = forwarder([upstream], { maxConcurrent: 1 });
    const first = forward.resolve(question, context);
    const refused = await forward.resolve({ ...question, name: 'other.example.com' }, context);
    expect(refused).toMatchObject({ rcode: Rcode.REFUSED, ra: true, answers: [] });
    expect((await first).rcode).toBe(Rcode.NOERROR);
    expect(upstream.questions()).toEqual(['www.example.com 1']);
    expect(forward.stats().maxConcurrentRejects).toBe(1);
  });

  it('reproduces TXT data byte for byte, non-UTF-8 included', async () => {
    const texts = [Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from('plain'), Buffer.from([0xc3])];
    const upstream = await stub((q) => [
      reply(q, { answers: [{ name: 'www.example.com', type: 'TXT', ttl: 60, data: texts }] }),
    ]);
    const txt = { ...question, type: RRType.TXT };
    const answer = await forwarder([upstream]).resolve(txt, context);
    const wire = encodeResponse({ id: 1, opcode: 0, rd: true, cd: false, question: txt }, answer, {
      maxSize: 512,
    });
    const decoded = dnsPacket.decode(wire);
    expect(decoded.answers![0]).toMatchObject({ type: 'TXT', data: texts });
  });

  it('looks ExternalName targets up through the same cache, and says undefined when nothing answered', async () => {
    const upstream = await stub(answering);
    const forward = forwarder([upstream]);
    expect(await forward.lookup('WWW.example.com', RRType.A)).toEqual({
      rcode: Rcode.NOERROR,
      truncated: false,
      answers: [{ name: 'WWW.example.com', ttl: 60, class: 1, data: { type: 'A', address: '192.0.2.1' } }],
    });
    await forward.resolve(question, context);
    expect(upstream.questions()).toHaveLength(1);

    upstream.handler = servfail;
    expect(await forward.lookup('gone.example.com', RRType.A)).toBeUndefined();
  });

  // cache { prefetch 3 WINDOW 20% } (https://coredns.io/plugins/cache/): an answer with TTL 10,
  // asked at these seconds (the first a miss that fills the cache), is fetched again once 2 s are
  // left if the hits before were 3 in a row with no gap of WINDOW. How often the upstream is asked.
  it.each([
    ['3 hits, the last in its last 2 seconds', 60, [0, 5, 7, 8.5], 2],
    ['3 hits in a row, then one in its last 2 seconds', 60, [0, 1, 2, 8.5], 2],
    ['2 hits only', 60, [0, 5, 8.5], 1],
    ['3 hits, none near expiry', 60, [0, 1, 2, 3], 1],
    ['3 hits, but a gap of the window before the last', 3, [0, 1, 2, 8.5], 1],
  ] as const)('prefetch: %s (window %is)', async (_what, window, times, asked) => {
    const upstream = await stub((q) => [reply(q, { answers: [a('www.example.com', '192.0.2.1', 10)] })]);
    const time = clock();
    const forward = forwarder([upstream], {
      cache: { now: time.now, prefetch: { amount: 3, windowMs: window * 1000, percentage: 20 } },
    });
    let at = 0;
    for (const t of times) {
      time.advance(t - at);
      at = t;
      // The client is answered at once, from the cache after the first question.
      expect((await forward.resolve(question, context)).answers).toHaveLength(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.questions()).toHaveLength(asked);
    expect(forward.stats().prefetches).toBe(asked - 1);
    if (asked === 2) {
      // The fresh answer replaced the old one: its full TTL again, without asking upstream.
      const fresh = await forward.resolve(question, context);
      expect(fresh.answers[0]!.ttl).toBe(10);
      expect(upstream.questions()).toHaveLength(2);
    }
  });

  it('prefetch counts answers served from compiled bytes too (cached, then countCacheHit)', async () => {
    const upstream = await stub((q) => [reply(q, { answers: [a('www.example.com', '192.0.2.1', 10)] })]);
    const time = clock();
    const forward = forwarder([upstream], {
      cache: { now: time.now, prefetch: { amount: 2, windowMs: 60_000, percentage: 10 } },
    });
    await forward.resolve(question, context);
    time.advance(9.5);
    for (let i = 0; i < 2; i++) forward.countCacheHit(forward.peek(question, false)!);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.questions()).toHaveLength(2);
  });
});
