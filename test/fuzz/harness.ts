// The query handler over a real resolver chain (hosts, the cluster zone over a small table, and a
// forwarder to an upstream on loopback), and the checks every reply to any input must pass: the
// handler never throws, drops only what is not a query, and answers with a well-formed message
// carrying the query's ID that dns-packet decodes, within the transport's size, with the rcode the
// parser's verdict calls for, and, for anything still a query, the same answer a clean query for
// the same question gets.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { Writable } from 'node:stream';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { encodeResponse, parseQuery, type ParseOutcome } from '../../src/dns/index.js';
import { decodeMessage } from '../../src/dns/message.js';
import { RRType, Rcode, type Answer } from '../../src/dns/types.js';
import { newCounters, type Counters } from '../../src/ops/counters.js';
import { createLogger } from '../../src/ops/logger.js';
import { QueryMetrics } from '../../src/ops/metrics/query-metrics.js';
import { ResolverChain } from '../../src/resolve/chain.js';
import { ClusterZoneResolver } from '../../src/resolve/cluster/resolver.js';
import { Forwarder } from '../../src/resolve/forward/forwarder.js';
import { buildQuery } from '../../src/resolve/forward/query.js';
import { HostsResolver, parseHosts } from '../../src/resolve/hosts/hosts.js';
import { AddressPolicy, RecursionGate } from '../../src/resolve/recursion.js';
import type { QueryContext } from '../../src/resolve/types.js';
import { DEFAULT_ZONES, ZoneSet } from '../../src/resolve/zones.js';
import { PrecompiledAnswers } from '../../src/answers/precompiled.js';
import { QueryHandler } from '../../src/server/handler.js';
import { ServiceTable } from '../../src/table/table.js';
import { fixture } from '../resolve/fixture.js';
import { anyBytes, hostileMessage, mutatedQuery } from './queries.js';

export interface Harness {
  handler: QueryHandler;
  counters: Counters;
  forwarder: Forwarder;
  /** Runs every check on one message over one transport; throws (an AssertionError) on a failure. */
  check(message: Buffer, transport: 'udp' | 'tcp'): Promise<ParseOutcome['kind']>;
  close(): Promise<void>;
}

/**
 * An upstream that answers any question it can read with 192.0.2.1 for A, NODATA for other
 * types, and FORMERR or nothing otherwise: the same codec as the server, so it is as total.
 */
async function startUpstream(): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    const outcome = parseQuery(message);
    if (outcome.kind !== 'query') return;
    const { query } = outcome;
    const answer: Answer = {
      rcode: Rcode.NOERROR,
      authoritative: false,
      answers:
        query.question.type === RRType.A
          ? [{ name: query.question.name, ttl: 300, data: { type: 'A', address: '192.0.2.1' } }]
          : [],
      authority: [],
      additional: [],
    };
    const edns = query.edns ? { edns: { udpSize: 1232, dnssecOk: query.edns.dnssecOk } } : {};
    socket.send(encodeResponse(query, answer, { maxSize: 1232, ...edns }), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: socket.address().port };
}

export async function startHarness(): Promise<Harness> {
  const upstream = await startUpstream();
  const silent = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const counters = newCounters();
  const table = new ServiceTable();
  table.setContent('test', fixture);
  const forwarder = new Forwarder({
    servers: [{ host: '127.0.0.1', port: upstream.port, family: 4 }],
    logger: silent,
    timeoutMs: 2000,
  });
  const hosts = new HostsResolver(
    parseHosts('10.0.0.9 gateway.example\nfd00::9 gateway.example', 'hosts'),
    60,
  );
  const zones = ZoneSet.parse(DEFAULT_ZONES);
  const cluster = new ClusterZoneResolver(table, {
    zones,
    ttl: 5,
    pods: 'insecure',
    ignoreEmptyService: false,
    nsAddresses: ['127.0.0.1'],
    upstream: forwarder,
  });
  const policy = new AddressPolicy(['127.0.0.0/8']);
  const resolver = new ResolverChain([hosts, cluster, new RecursionGate(policy, forwarder)]);
  // The fast path in front, as the server runs it: it is what reads raw bytes first.
  const metrics = new QueryMetrics(
    zones.zones.map((zone) => zone.name),
    ['hosts', 'kubernetes', 'forward'],
  );
  const precompiled = new PrecompiledAnswers({
    table,
    cluster,
    dependencies: cluster,
    clusterLink: 1,
    negativeAnswers: true,
    rotatesAddresses: false,
    forwarded: { link: 2, forwarder },
    answerSlots: metrics.answerSlots,
  });
  const handler = new QueryHandler({
    resolver,
    logger: silent,
    counters,
    recursionAvailable: (address) => policy.allows(address),
    precompiled,
  });
  handler.recordTo(metrics.recorder('dns://:53', 4));

  const context = (transport: 'udp' | 'tcp'): QueryContext => ({
    transport,
    clientAddress: '127.0.0.1',
    clientPort: 40000,
  });

  async function check(message: Buffer, transport: 'udp' | 'tcp'): Promise<ParseOutcome['kind']> {
    const outcome = parseQuery(message);
    const reply = await handler.handle(message, context(transport));
    if (outcome.kind === 'drop') {
      // Only what cannot be answered at all is dropped: too short for a header, or a response.
      assert.equal(reply, undefined);
      assert.ok(message.length < 12 || (message[2]! & 0x80) !== 0, 'dropped a message that is a query');
      return outcome.kind;
    }
    assert.ok(reply, `no reply to a ${outcome.kind} message`);
    const edns = outcome.kind === 'query' || outcome.kind === 'badvers' ? outcome.query.edns : undefined;
    const limit =
      transport === 'tcp' ? 65535 : Math.max(512, outcome.kind === 'formerr' ? 0 : (edns?.udpSize ?? 0));
    assert.ok(reply.length <= limit, `a ${reply.length}-byte reply over ${transport} (limit ${limit})`);

    const packet = dnsPacket.decode(reply);
    assert.equal(packet.id, message.readUInt16BE(0), 'the reply carries the query ID');
    assert.equal(packet.type, 'response');
    const ours = decodeMessage(reply);
    const header = outcome.kind === 'query' || outcome.kind === 'badvers' ? outcome.query : outcome;
    assert.deepEqual(ours.question, header.question ? [header.question] : [], 'the question is echoed');
    assert.equal(ours.opcode, header.opcode);
    // RD and CD are echoed in replies to QUERY only, the opcode that defines them (RFC 8906 §8.1.4).
    assert.equal(ours.rd, header.opcode === 0 && header.rd);
    assert.equal(ours.cd, header.opcode === 0 && header.cd);
    const expected = { formerr: Rcode.FORMERR, notimp: Rcode.NOTIMP, badvers: Rcode.BADVERS }[
      outcome.kind as 'formerr'
    ];
    if (expected !== undefined) {
      assert.equal(ours.rcode, expected);
      assert.deepEqual([ours.answers, ours.authority, ours.additional], [[], [], []]);
      return outcome.kind;
    }
    if (outcome.kind !== 'query' || ours.tc) return outcome.kind;
    // Whatever else the message carried, the answer is the one a clean query gets.
    const { question } = outcome.query;
    const clean = buildQuery(1, question, { edns: edns !== undefined, dnssecOk: edns?.dnssecOk === true });
    const cleanReply = decodeMessage((await handler.handle(clean, context('tcp')))!);
    assert.equal(ours.rcode, cleanReply.rcode, 'the rcode a clean query gets');
    // TTLs of cached answers count down: the two replies may straddle a second.
    const untimed = (records: typeof ours.answers) => records.map((record) => ({ ...record, ttl: 0 }));
    assert.deepEqual(untimed(ours.answers), untimed(cleanReply.answers), 'the answers a clean query gets');
    ours.answers.forEach((record, i) => assert.ok(Math.abs(record.ttl - cleanReply.answers[i]!.ttl) <= 1));
    return outcome.kind;
  }

  return {
    handler,
    counters,
    forwarder,
    check,
    async close() {
      forwarder.close();
      await new Promise<void>((resolve) => upstream.socket.close(() => resolve()));
    },
  };
}

/** The parser returns a verdict on anything, never throws. */
export function parserProperty() {
  return fc.property(fc.oneof(anyBytes, mutatedQuery), (message) => {
    parseQuery(message);
  });
}

/** Every hostile message over UDP or TCP passes Harness.check; `seen` counts the parser's verdicts. */
export function handlerProperty(harness: Harness, seen: Map<string, number>) {
  return fc.asyncProperty(
    hostileMessage,
    fc.constantFrom('udp' as const, 'tcp' as const),
    async (message, transport) => {
      const kind = await harness.check(message, transport);
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
    },
  );
}
