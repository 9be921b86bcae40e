// One query's failure is that query's alone. A table whose names cannot be written (an endpoint
// name over 255 bytes under a long zone) answers SERVFAIL for that name and goes on serving;
// resolvers in a real chain that throw, reject, or fail after answering cost only their query,
// over UDP and TCP, with a log line and a count each.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { newCounters } from '../../src/ops/counters.js';
import { createLogger } from '../../src/ops/logger.js';
import { ResolverChain } from '../../src/resolve/chain.js';
import type { Resolver } from '../../src/resolve/types.js';
import { Rcode, type Answer } from '../../src/dns/types.js';
import { QueryMetrics } from '../../src/ops/metrics/query-metrics.js';
import { QueryHandler } from '../../src/server/handler.js';
import { isolated } from '../../src/server/isolate.js';
import { startListenerPair } from '../../src/server/listener-pair.js';
import { TcpListener } from '../../src/server/tcp.js';
import { UdpListener } from '../../src/server/udp.js';
import { decodeReply, tcpQuery, udpExchange, udpQuery, buildQuery } from '../helpers/dns-client.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { startServer, type TestServer } from '../helpers/server.js';

const LONG = (c: string) => c.repeat(63);
// Its EndpointSlice is named `<service>-abcde`, which must stay a 63-byte label.
const SERVICE = 's'.repeat(57);
// Endpoint names under this zone are 64 + 58 + 64 + 4 + 85 = 275 bytes: more than a name may have, though
// every label is valid and the service's own name fits.
const ZONE = `${LONG('z')}.${'y'.repeat(20)}`;

describe('a table whose names cannot be written', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers SERVFAIL for that name alone, logs it, counts it, and goes on', async () => {
    server = await startServer(
      {
        'long.yaml': list(
          namespace(LONG('n')),
          service(LONG('n'), SERVICE, { headless: true, ports: [{ name: 'http', port: 80 }] }),
          endpointSlice(
            LONG('n'),
            SERVICE,
            [{ ip: '10.244.7.7', hostname: LONG('h') }],
            [{ name: 'http', port: 80 }],
          ),
          namespace('shop'),
          service('shop', 'web', { clusterIPs: ['10.96.45.10'] }),
        ),
      },
      ['--zone', ZONE],
    );
    // The SRV targets are the endpoint names.
    const srv = `_http._tcp.${SERVICE}.${LONG('n')}.svc.${ZONE}`;
    expect((await udpQuery(server.port, srv, 'SRV')).packet.rcode).toBe('SERVFAIL');
    expect((await tcpQuery(server.port, srv, 'SRV')).packet.rcode).toBe('SERVFAIL');
    expect(server.app.counters.queryErrors).toBe(2);
    expect(
      server.logs.filter((line) => line.msg === 'answering a query failed; replied SERVFAIL'),
    ).toHaveLength(2);
    const web = await udpQuery(server.port, `web.shop.svc.${ZONE}`, 'A');
    expect(web.packet.answers.map((a) => a.data)).toEqual(['10.96.45.10']);
  });
});

/** Resolvers that fail in each way a resolver can, each for its own name. */
const FAILING: Resolver = {
  resolve(question) {
    if (question.name === 'sync.test') throw new Error('sync throw');
    if (question.name === 'async.test') return Promise.reject(new Error('async rejection'));
    if (question.name === 'late.test') {
      return new Promise<Answer>((_, reject) => setTimeout(() => reject(new Error('late rejection')), 20));
    }
    if (question.name === 'bad-rcode.test') {
      // An answer no encoder can write: even the SERVFAIL it becomes is built apart from it.
      return { rcode: 99_999, authoritative: true, answers: [], authority: [], additional: [] };
    }
    return undefined;
  },
};
const OK: Resolver = {
  resolve: () => ({
    rcode: Rcode.NOERROR,
    authoritative: true,
    answers: [{ name: 'ok.test', ttl: 5, data: { type: 'A', address: '192.0.2.1' } }],
    authority: [],
    additional: [],
  }),
};

describe('resolvers that fail, in a real chain behind real listeners', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function serve(recorderThrows = false) {
    const logs: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
        callback();
      },
    });
    const logger = createLogger('info', sink);
    const counters = newCounters();
    const handler = new QueryHandler({
      resolver: new ResolverChain([FAILING, OK]),
      logger,
      counters,
      recursionAvailable: () => false,
    });
    if (recorderThrows) {
      const broken = () => {
        throw new Error('recorder broke');
      };
      handler.recordTo({
        answered: broken,
        answeredFrom: broken,
        timedFrom: broken,
        tallies: new Float64Array(0),
        answerSlots: new QueryMetrics([], []).answerSlots,
      });
    }
    const entry = isolated((message, context) => handler.handle(message, context), logger, counters);
    // Any free port, for UDP and TCP alike, as the server binds one.
    const { udp, udpAddress, tcp } = await startListenerPair(
      0,
      (port) => new UdpListener({ host: '127.0.0.1', port, family: 4 }, entry, logger, counters),
      (port) =>
        new TcpListener({ host: '127.0.0.1', port, family: 4 }, entry, logger, counters, {
          idleTimeoutMs: 5000,
          maxConnections: 10,
          maxInFlightPerConnection: 10,
          maxBufferedOutput: 1 << 20,
        }),
    );
    const port = udpAddress.port;
    closers.push(
      () => udp.close(),
      () => tcp.close(),
    );
    return { port, counters, logs };
  }

  it.each(['sync.test', 'async.test', 'late.test', 'bad-rcode.test'])(
    '%s: SERVFAIL over UDP and TCP, and the next query is answered',
    async (name) => {
      const { port, counters, logs } = await serve();
      expect((await udpQuery(port, name, 'A')).packet.rcode).toBe('SERVFAIL');
      expect((await tcpQuery(port, name, 'A')).packet.rcode).toBe('SERVFAIL');
      expect(counters.queryErrors).toBe(2);
      expect(logs.filter((line) => line.level === 50)).toHaveLength(2);
      expect((await udpQuery(port, 'ok.test', 'A')).packet.answers).toHaveLength(1);
      expect((await tcpQuery(port, 'ok.test', 'A')).packet.answers).toHaveLength(1);
    },
  );

  it('a failure after the answer is built (metrics) costs that reply alone, never the process', async () => {
    const { port, counters, logs } = await serve(true);
    for (const name of ['ok.test', 'async.test']) {
      expect(await udpExchange(port, buildQuery(name, 'A'), '127.0.0.1', 300)).toBeUndefined();
    }
    expect(counters.queryErrors).toBeGreaterThanOrEqual(2);
    expect(logs.some((line) => line.msg === 'answering a query failed; no reply sent')).toBe(true);
    // The listeners still read and answer: a reply that does not reach the recorder comes back.
    expect(decodeReply((await udpExchange(port, Buffer.alloc(12)))!).rcode).toBeDefined();
  });
});
