// tls:// upstreams (RFC 7858) over real TLS on loopback: certificate checks, pipelining and
// out-of-order replies on one connection, reuse, idle expiry and reconnection, the reply checks
// plain upstreams get, and health probes over TLS.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RRType, type Question } from '../../../src/dns/types.js';
import { DotUpstream } from '../../../src/resolve/forward/dot.js';
import { UpstreamPool, type PoolOptions, type PoolResult } from '../../../src/resolve/forward/pool.js';
import { dotContext } from '../../../src/config/tls-context.js';
import type { UpstreamTls } from '../../../src/config/tls-context.js';
import { makeTestPki, TEST_SERVER_NAME, type TestPki } from '../../helpers/certificates.js';
import { startDotStub, type DotStub, type DotStubOptions } from './dot-stub.js';
import { a, captureLogger, reply, waitFor, type Handler } from './stub.js';

const question = (name = 'www.example.com'): Question => ({ name, type: RRType.A, class: 1 });
/** The addresses a pool result answers with; undefined when it failed. */
const addresses = (result: PoolResult) =>
  result.kind === 'reply'
    ? result.reply.answers.map((rr) => (rr.data as { address: string }).address)
    : undefined;
const answering: Handler = (q) => [reply(q, { answers: [a(q.message.question[0]!.name, '192.0.2.1')] })];

const pki = makeTestPki();
let stubs: DotStub[] = [];
let pools: UpstreamPool[] = [];
afterEach(async () => {
  for (const pool of pools) pool.close();
  await Promise.all(stubs.map((stub) => stub.close()));
  stubs = [];
  pools = [];
});
afterAll(() => pki?.remove());

describe.runIf(pki)('tls:// upstreams', () => {
  const { ca, serverCert, serverKey, untrustedCert, untrustedKey, clientCert, clientKey, pem } =
    pki ?? ({} as TestPki);
  let serverPem: DotStubOptions;
  beforeAll(() => {
    serverPem = { cert: pem(serverCert), key: pem(serverKey) };
  });

  async function stub(handler: Handler, options: DotStubOptions = serverPem): Promise<DotStub> {
    const started = await startDotStub(handler, options);
    stubs.push(started);
    return started;
  }

  function pool(
    upstream: DotStub,
    tls: Omit<UpstreamTls, 'expireMs'> & { expireMs?: number },
    options: Partial<PoolOptions> = {},
  ) {
    const log = captureLogger();
    const created = new UpstreamPool({
      servers: [upstream.server],
      logger: log.logger,
      timeoutMs: 1000,
      tls: { expireMs: 10_000, ...tls },
      ...options,
    });
    pools.push(created);
    return { pool: created, lines: log.lines };
  }

  // As forward's README: `tls CA`, `tls CERT KEY CA`, `tls_servername NAME`, or the IP without it.
  it.each([
    ['tls_servername and the CA', { serverName: TEST_SERVER_NAME, caFile: ca }],
    ['the IP (no tls_servername) and the CA', { caFile: ca }],
    [
      'a client certificate, tls_servername and the CA',
      { serverName: TEST_SERVER_NAME, caFile: ca, certFile: clientCert, keyFile: clientKey },
    ],
  ])('answers over TLS, verified with %s', async (_, tls) => {
    const upstream = await stub(answering);
    const { pool: upstreams } = pool(upstream, tls);
    const result = await upstreams.query(question());
    expect(result).toMatchObject({ kind: 'reply' });
    expect(addresses(result)).toEqual(['192.0.2.1']);
    expect(upstream.queries.map((q) => q.transport)).toEqual(['tls']);
    expect(upstreams.stats().upstreams[0]!.tls).toMatchObject({ connections: 1, handshakeFailures: 0 });
  });

  it.each([
    [
      'a name the certificate does not carry',
      { serverName: 'other.test', caFile: ca },
      'trusted',
      /other\.test/,
    ],
    [
      'a certificate no trusted CA signed',
      { serverName: TEST_SERVER_NAME, caFile: ca },
      'untrusted',
      /self[- ]signed/i,
    ],
    [
      'the system roots, which do not hold the test CA',
      { serverName: TEST_SERVER_NAME },
      'trusted',
      /issuer|verify/i,
    ],
  ])('fails, logs and counts %s, and never takes its answer', async (_, tls, served, logged) => {
    const options = served === 'untrusted' ? { cert: pem(untrustedCert), key: pem(untrustedKey) } : serverPem;
    const upstream = await stub(answering, options);
    const { pool: upstreams, lines } = pool(upstream, tls, { maxFails: 0 });
    expect(await upstreams.query(question())).toEqual({ kind: 'failed' });
    expect(await upstreams.query(question())).toEqual({ kind: 'failed' });
    expect(upstream.queries).toEqual([]);
    const [stats] = upstreams.stats().upstreams;
    expect(stats!.failures.network).toBe(2);
    expect(stats!.tls).toMatchObject({ connections: 2, handshakeFailures: 2 });
    // One line for the same failure, not one per query.
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(logged);
    expect(warnings[0]!.msg).toContain(`tls://127.0.0.1:${upstream.server.port}`);
  });

  it('is refused by a server that wants a client certificate when none is given', async () => {
    const upstream = await stub(answering, { ...serverPem, clientCa: pem(ca) });
    const { pool: without, lines } = pool(
      upstream,
      { serverName: TEST_SERVER_NAME, caFile: ca },
      { maxFails: 0 },
    );
    expect(await without.query(question())).toEqual({ kind: 'failed' });
    // With TLS 1.3 the refusal comes after our side saw the handshake done: still a failed connection.
    expect(without.stats().upstreams[0]!.tls).toMatchObject({ connections: 1, handshakeFailures: 1 });
    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).toEqual([
      expect.stringMatching(/TLS connection failed, nothing from it is used: .*certificate/i),
    ]);
    const { pool: withCert } = pool(upstream, {
      serverName: TEST_SERVER_NAME,
      caFile: ca,
      certFile: clientCert,
      keyFile: clientKey,
    });
    expect(await withCert.query(question())).toMatchObject({ kind: 'reply' });
  });

  it('sends concurrent queries on one connection and matches replies that come in reverse order', async () => {
    const count = 50;
    // The first query asked is answered last.
    const upstream = await stub((q) => {
      const index = Number(/^q(\d+)\./.exec(q.message.question[0]!.name)![1]);
      const address = `192.0.2.${index + 1}`;
      return [
        {
          bytes: reply(q, { answers: [a(q.message.question[0]!.name, address)] }),
          delayMs: (count - index) * 4,
        },
      ];
    });
    const { pool: upstreams } = pool(upstream, { serverName: TEST_SERVER_NAME, caFile: ca });
    const names = Array.from({ length: count }, (_, i) => `q${i}.example.com`);
    const results = await Promise.all(names.map((name) => upstreams.query(question(name))));
    expect(results.map((result) => addresses(result)?.[0])).toEqual(names.map((_, i) => `192.0.2.${i + 1}`));
    expect(upstream.connections).toBe(1);
    expect(new Set(upstream.queries.map((q) => q.message.id)).size).toBe(count);
  });

  it('reuses its connection across queries and opens a new one after the server closes it', async () => {
    const upstream = await stub(answering);
    const { pool: upstreams } = pool(upstream, { serverName: TEST_SERVER_NAME, caFile: ca });
    // Apart in time, so that each finds the connection idle (well within expire).
    for (let i = 0; i < 3; i++) {
      expect((await upstreams.query(question(`r${i}.example.com`))).kind).toBe('reply');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(upstream.connections).toBe(1);
    upstream.dropConnections();
    await waitFor(() => upstreams.stats().upstreams[0]!.tls!.open === 0, 2000, 'the client to see the close');
    expect((await upstreams.query(question('after.example.com'))).kind).toBe('reply');
    expect(upstream.connections).toBe(2);
    expect(upstreams.stats().upstreams[0]!.failures.network).toBe(0);
  });

  it('closes an idle connection after expire, and opens one again for the next query', async () => {
    const upstream = await stub(answering);
    const { pool: upstreams } = pool(upstream, { serverName: TEST_SERVER_NAME, caFile: ca, expireMs: 150 });
    expect((await upstreams.query(question())).kind).toBe('reply');
    expect(upstreams.stats().upstreams[0]!.tls!.open).toBe(1);
    await waitFor(
      () => upstreams.stats().upstreams[0]!.tls!.open === 0,
      2000,
      'the idle connection to close',
    );
    expect((await upstreams.query(question('again.example.com'))).kind).toBe('reply');
    expect(upstream.connections).toBe(2);
  });

  it('drops replies with another ID or another question and takes the real one', async () => {
    const upstream = await stub((q) => [
      reply(q, { id: (q.message.id + 1) & 0xffff, answers: [a('www.example.com', '203.0.113.66')] }),
      reply(q, { name: 'evil.example.com', answers: [a('evil.example.com', '203.0.113.66')] }),
      reply(q, { answers: [a('www.example.com', '192.0.2.1')] }),
    ]);
    const { pool: upstreams } = pool(upstream, { serverName: TEST_SERVER_NAME, caFile: ca });
    const result = await upstreams.query(question());
    expect(addresses(result)).toEqual(['192.0.2.1']);
    expect(upstreams.stats().spoofedDropped).toBe(2);
  });

  it('counts a reply after its timeout as late, not as a spoof', async () => {
    const upstream = await stub((q) => [
      { bytes: reply(q, { answers: [a('www.example.com', '192.0.2.1')] }), delayMs: 300 },
    ]);
    const { pool: upstreams } = pool(
      upstream,
      { serverName: TEST_SERVER_NAME, caFile: ca },
      { timeoutMs: 100, maxFails: 0 },
    );
    expect(await upstreams.query(question())).toEqual({ kind: 'failed' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(upstreams.stats()).toMatchObject({ spoofedDropped: 0 });
    expect(upstreams.stats().upstreams[0]!.failures.timeout).toBe(1);
  });

  it('bounds the queries waiting: past the connections and their queries, one fails at once', async () => {
    const upstream = await stub(() => []);
    const dot = new DotUpstream({
      server: upstream.server,
      connect: dotContext({ serverName: TEST_SERVER_NAME, caFile: ca, expireMs: 10_000 })(upstream.server),
      handshakeTimeoutMs: 1000,
      expireMs: 10_000,
      logger: captureLogger().logger,
      limits: { connections: 2, pendingPerConnection: 3 },
    });
    try {
      const started = Date.now();
      const names = Array.from({ length: 7 }, (_, i) => `b${i}.example.com`);
      const asked = names.map((name) => dot.ask(question(name), { edns: true, dnssecOk: false }, 300));
      const over = await asked[6]!;
      expect(over).toMatchObject({
        kind: 'network',
        error: { message: expect.stringMatching(/6 queries already waiting/) },
      });
      expect(Date.now() - started).toBeLessThan(100);
      expect((await Promise.all(asked.slice(0, 6))).map((attempt) => attempt.kind)).toEqual(
        Array(6).fill('timeout'),
      );
      expect(upstream.connections).toBe(2);
    } finally {
      dot.close();
    }
  });

  it('is marked down after max_fails and up again when a probe over TLS is answered', async () => {
    let answer = false;
    const upstream = await stub((q) => (answer ? answering(q) : []));
    const { pool: upstreams, lines } = pool(
      upstream,
      { serverName: TEST_SERVER_NAME, caFile: ca },
      { timeoutMs: 100, maxFails: 2, probeIntervalMs: 50 },
    );
    await upstreams.query(question());
    await upstreams.query(question());
    expect(upstreams.stats().upstreams[0]!.state).toBe('down');
    await waitFor(
      () =>
        upstream.queries.some(
          (q) => q.message.question[0]!.name === '' && q.message.question[0]!.type === RRType.NS,
        ),
      2000,
      'a probe',
    );
    expect(upstream.queries.every((q) => q.transport === 'tls')).toBe(true);
    answer = true;
    await waitFor(() => upstreams.stats().upstreams[0]!.state === 'up', 2000, 'the upstream to be up');
    expect(lines.some((line) => /is up again: it answered a probe/.test(line.msg))).toBe(true);
  });
});
