// One server, one question: the query on the wire, the reply checks, TC → TCP, timeouts.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RRType, Rcode, type Question } from '../../../src/dns/types.js';
import { exchange } from '../../../src/resolve/forward/exchange.js';
import { a, echo, reply, startStub, type Stub } from './stub.js';

const question: Question = { name: 'www.example.com', type: RRType.A, class: 1 };
const options = { timeoutMs: 300, dnssecOk: false };

let stubs: Stub[] = [];
afterEach(async () => {
  await Promise.all(stubs.map((stub) => stub.close()));
  stubs = [];
});

async function stub(...args: Parameters<typeof startStub>): Promise<Stub> {
  const started = await startStub(...args);
  stubs.push(started);
  return started;
}

describe('exchange', () => {
  it('sends RD with EDNS (UDP size 1232) and returns the reply', async () => {
    const upstream = await stub((q) => [reply(q, { answers: [a('www.example.com', '192.0.2.1', 60)] })]);
    const result = await exchange(upstream.server, question, options);
    expect(result.kind).toBe('reply');
    if (result.kind !== 'reply') return;
    expect(result.transport).toBe('udp');
    expect(result.truncated).toBe(false);
    expect(result.reply.answers).toEqual([
      { name: 'www.example.com', ttl: 60, class: 1, data: { type: 'A', address: '192.0.2.1' } },
    ]);
    const sent = upstream.queries[0]!.message;
    expect(sent.qr).toBe(false);
    expect(sent.rd).toBe(true);
    expect(sent.edns).toEqual({ udpSize: 1232, version: 0, dnssecOk: false });
    expect(sent.question).toEqual([question]);
  });

  it('uses a new ID and source port per query and sets DO when asked', async () => {
    const upstream = await stub((q) => [reply(q)]);
    for (let i = 0; i < 4; i++) await exchange(upstream.server, question, { ...options, dnssecOk: true });
    const ids = new Set(upstream.queries.map((q) => q.message.id));
    const ports = new Set(upstream.queries.map((q) => q.port));
    expect(ids.size).toBeGreaterThan(1);
    expect(ports.size).toBeGreaterThan(1);
    expect(upstream.queries.every((q) => q.message.edns?.dnssecOk)).toBe(true);
  });

  it('writes names with escapes and any type and class exactly', async () => {
    const upstream = await stub((q) => [echo(q)]);
    const odd: Question = { name: 'We\\.ird\\000x.Example', type: 65280, class: 3 };
    const result = await exchange(upstream.server, odd, options);
    expect(result.kind).toBe('reply');
    expect(upstream.queries[0]!.message.question).toEqual([odd]);
  });

  it('retries a truncated reply over TCP and returns the whole answer', async () => {
    const many = Array.from({ length: 60 }, (_, i) => a('www.example.com', `192.0.2.${i + 1}`));
    const upstream = await stub((q) =>
      q.transport === 'udp'
        ? [reply(q, { tc: true, answers: many.slice(0, 3) })]
        : [reply(q, { answers: many })],
    );
    const result = await exchange(upstream.server, question, options);
    expect(result.kind === 'reply' && result.transport).toBe('tcp');
    if (result.kind !== 'reply') return;
    expect(result.truncated).toBe(false);
    expect(result.reply.answers).toHaveLength(60);
    expect(upstream.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('passes the truncated UDP reply on when TCP is refused', async () => {
    const upstream = await stub(
      (q) => [reply(q, { tc: true, answers: [a('www.example.com', '192.0.2.1')] })],
      {
        tcp: false,
      },
    );
    const result = await exchange(upstream.server, question, options);
    expect(result.kind).toBe('reply');
    if (result.kind !== 'reply') return;
    expect(result).toMatchObject({ transport: 'udp', truncated: true });
    expect(result.reply.answers).toHaveLength(1);
  });

  it('passes the truncated UDP reply on when the TCP connection closes without a reply', async () => {
    const upstream = await stub((q) => (q.transport === 'udp' ? [reply(q, { tc: true })] : []));
    const result = await exchange(upstream.server, question, options);
    expect(result).toMatchObject({ kind: 'reply', transport: 'udp', truncated: true });
    expect(upstream.queries.map((q) => q.transport)).toEqual(['udp', 'tcp']);
  });

  it('times out after about the read timeout when the server is silent', async () => {
    const upstream = await stub(() => []);
    const started = Date.now();
    const result = await exchange(upstream.server, question, options);
    const elapsed = Date.now() - started;
    expect(result.kind).toBe('timeout');
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(800);
  });

  it('drops replies with a wrong ID, question, type, QR bit or source port, then takes the real one', async () => {
    const upstream = await stub((q) => {
      const good = reply(q, { answers: [a('www.example.com', '192.0.2.1')] });
      const forged = (spec: Parameters<typeof reply>[1]) =>
        reply(q, { answers: [a('www.example.com', '203.0.113.66')], ...spec });
      return [
        forged({ id: (q.message.id + 1) & 0xffff }),
        forged({ name: 'www.example.net' }),
        forged({ type: RRType.AAAA }),
        forged({ qr: false }),
        { bytes: forged({}), fromOtherPort: true },
        Buffer.from('not dns'),
        { bytes: good, delayMs: 50 },
      ];
    });
    const result = await exchange(upstream.server, question, options);
    expect(result.kind).toBe('reply');
    if (result.kind !== 'reply') return;
    expect(result.reply.answers.map((rr) => rr.data)).toEqual([{ type: 'A', address: '192.0.2.1' }]);
    expect(result.dropped).toBe(6);
  });

  it('keeps waiting past forged replies and times out when no real one comes', async () => {
    const upstream = await stub((q) => [
      reply(q, { id: (q.message.id + 1) & 0xffff }),
      { bytes: reply(q), fromOtherPort: true },
    ]);
    const started = Date.now();
    const result = await exchange(upstream.server, question, options);
    expect(result).toEqual({ kind: 'timeout', dropped: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('accepts a reply whose question differs only in case', async () => {
    const upstream = await stub((q) => [reply(q, { name: 'WWW.EXAMPLE.COM' })]);
    expect((await exchange(upstream.server, question, options)).kind).toBe('reply');
  });

  it('drops a TCP reply with the wrong ID and takes the next one on the connection', async () => {
    const upstream = await stub((q) =>
      q.transport === 'udp'
        ? [reply(q, { tc: true })]
        : [
            reply(q, { id: (q.message.id + 1) & 0xffff }),
            reply(q, { answers: [a('www.example.com', '192.0.2.9')] }),
          ],
    );
    const result = await exchange(upstream.server, question, options);
    expect(result).toMatchObject({ kind: 'reply', transport: 'tcp', dropped: 1 });
  });

  it('asks again without EDNS when the server answers FORMERR without an OPT record', async () => {
    const upstream = await stub((q) => [reply(q, { rcode: q.message.edns ? Rcode.FORMERR : Rcode.NOERROR })]);
    const result = await exchange(upstream.server, question, options);
    expect(result.kind === 'reply' && result.reply.rcode).toBe(Rcode.NOERROR);
    expect(upstream.queries.map((q) => q.message.edns !== undefined)).toEqual([true, false]);
  });

  it('reports a network error for an unreachable address', async () => {
    // Port 0 cannot be sent to: the send fails at once, without waiting for the timeout.
    const result = await exchange({ host: '127.0.0.1', port: 0, family: 4 }, question, options);
    expect(result.kind).toBe('network');
  });

  it('ignores a reply from the right port but another address', async () => {
    // 127.0.0.2 is loopback too; the server is 127.0.0.1.
    const upstream = await stub(() => []);
    const impostor = createSocket('udp4');
    await new Promise<void>((resolve) => impostor.bind(upstream.server.port, '127.0.0.2', resolve));
    upstream.handler = (q) => {
      impostor.send(reply(q), q.port, '127.0.0.1');
      return [];
    };
    try {
      const result = await exchange(upstream.server, question, options);
      expect(result).toEqual({ kind: 'timeout', dropped: 1 });
    } finally {
      impostor.close();
    }
  });
});
