// The real server on loopback UDP and TCP sockets, queried as a client would.
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerLines,
  decodeReply,
  buildQuery,
  framed,
  tcpExchange,
  tcpQuery,
  udpExchange,
  udpQuery,
} from '../helpers/dns-client.js';
import { bigHeadless, endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
  ...bigHeadless('shop', 'big', 40),
);

describe('server over UDP and TCP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP }, ['--log-queries']);
  });
  afterAll(() => server.close());

  it('answers over UDP with the query ID, AA set and RD echoed', async () => {
    const { packet } = await udpQuery(server.port, 'web.shop.svc.cluster.local', 'A', { id: 4242 });
    expect(packet.id).toBe(4242);
    expect(packet.flags & dnsPacket.AUTHORITATIVE_ANSWER).toBeTruthy();
    expect(packet.flags & dnsPacket.RECURSION_DESIRED).toBeTruthy();
    expect(answerLines(packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
  });

  it('answers several pipelined TCP queries on one connection, framed even when split byte by byte', async () => {
    const names = ['web.shop.svc.cluster.local', 'nope.shop.svc.cluster.local', 'dns-version.cluster.local'];
    const queries = names.map((name, i) =>
      buildQuery(name, name.startsWith('dns-version') ? 'TXT' : 'A', { id: 100 + i }),
    );
    for (const chunkSize of [undefined, 1]) {
      const replies = (await tcpExchange(server.port, queries, chunkSize ? { chunkSize } : {})).map((reply) =>
        decodeReply(reply),
      );
      const byId = new Map(replies.map((reply) => [reply.id, reply]));
      expect(answerLines(byId.get(100)!)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
      expect(byId.get(101)!.rcode).toBe('NXDOMAIN');
      expect(answerLines(byId.get(102)!)).toEqual(['dns-version.cluster.local TXT 1.1.0']);
    }
  });

  it('truncates a 40-endpoint answer to the 29 records that fit 512 bytes without EDNS, and TCP returns all 40', async () => {
    const udp = await udpQuery(server.port, 'big.shop.svc.cluster.local', 'A');
    expect(udp.bytes.length).toBeLessThanOrEqual(512);
    expect(udp.packet.flags & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    const tcp = await tcpQuery(server.port, 'big.shop.svc.cluster.local', 'A');
    expect(tcp.packet.flags & dnsPacket.TRUNCATED_RESPONSE).toBeFalsy();
    expect(tcp.packet.answers).toHaveLength(40);
    // The first records of the whole answer, as many as fit: what a client without TCP uses.
    expect(answerLines(udp.packet)).toEqual(answerLines(tcp.packet).slice(0, 29));
  });

  it('compresses names: 40 answers fit a 1232-byte EDNS buffer', async () => {
    const { bytes, packet } = await udpQuery(server.port, 'big.shop.svc.cluster.local', 'A', {
      udpSize: 1232,
    });
    expect(packet.flags & dnsPacket.TRUNCATED_RESPONSE).toBeFalsy();
    expect(packet.answers).toHaveLength(40);
    // Uncompressed, each record would repeat the 29-byte owner name: 40 × (29 + 14) bytes of answers.
    expect(bytes.length).toBeLessThan(40 * (29 + 14));
    const opt = packet.additionals?.find((record) => record.type === 'OPT') as
      { udpPayloadSize: number } | undefined;
    expect(opt?.udpPayloadSize).toBe(1232);
  });

  it('honours the client EDNS size but never less than 512', async () => {
    const { bytes, packet } = await udpQuery(server.port, 'big.shop.svc.cluster.local', 'SRV', {
      udpSize: 100,
    });
    expect(bytes.length).toBeLessThanOrEqual(512);
    expect(packet.flags & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
  });

  it('answers NOTIMP to other opcodes, FORMERR to a broken body, and drops what has no header', async () => {
    const status = buildQuery('web.shop.svc.cluster.local', 'A', { id: 7 });
    status[2] = (status[2]! & 0x87) | (2 << 3); // opcode STATUS
    const notimp = decodeReply((await udpExchange(server.port, status))!);
    expect([notimp.id, notimp.rcode]).toEqual([7, 'NOTIMP']);

    const broken = buildQuery('web.shop.svc.cluster.local', 'A', { id: 8 }).subarray(0, 20);
    const formerr = decodeReply((await udpExchange(server.port, broken))!);
    expect([formerr.id, formerr.rcode]).toEqual([8, 'FORMERR']);

    const before = server.app.counters.malformedDropped;
    expect(await udpExchange(server.port, Buffer.from([1, 2, 3]), '127.0.0.1', 300)).toBeUndefined();
    expect(server.app.counters.malformedDropped).toBe(before + 1);
  });

  it('answers BADVERS to an EDNS version it does not speak', async () => {
    const query = buildQuery('web.shop.svc.cluster.local', 'A', { udpSize: 1232 });
    query[query.length - 11 + 6] = 1; // OPT TTL: extended rcode 0, version 1
    const reply = decodeReply((await udpExchange(server.port, query))!);
    const opt = reply.additionals?.find((record) => record.type === 'OPT') as
      { extendedRcode: number } | undefined;
    expect(opt?.extendedRcode).toBe(1); // BADVERS = 16: the upper bits (1) live in OPT
  });

  it('keeps the question case on the wire, and each record name exactly as the resolver wrote it', async () => {
    const { packet } = await udpQuery(server.port, '_HTTP._Tcp.WEB.shop.svc.Cluster.Local', 'SRV');
    expect(packet.answers.map((record) => record.name)).toEqual(['_HTTP._Tcp.WEB.shop.svc.Cluster.Local']);
    expect((packet.answers[0]!.data as { target: string }).target).toBe('web.shop.svc.Cluster.Local');
    expect(packet.additionals.filter((record) => record.type === 'A').map((record) => record.name)).toEqual([
      'web.shop.svc.Cluster.Local',
    ]);
  });

  it('refuses names outside the served zones', async () => {
    const { packet } = await udpQuery(server.port, 'example.com', 'A');
    expect(packet.rcode).toBe('REFUSED');
  });

  it('keeps answering after ten thousand random and mutated packets', async () => {
    const valid = buildQuery('web.shop.svc.cluster.local', 'A', { udpSize: 1232 });
    const client = (await import('node:dgram')).createSocket('udp4');
    for (let i = 0; i < 10_000; i++) {
      let packet: Buffer;
      if (i % 2 === 0) {
        packet = randomBytes(1 + (i % 300));
      } else {
        packet = Buffer.from(valid);
        for (let flips = 0; flips <= i % 4; flips++)
          packet[(i * 7 + flips * 13) % packet.length] = (i * 31 + flips) & 0xff;
        if (i % 5 === 0) packet = packet.subarray(0, i % packet.length);
      }
      client.send(packet, server.port, '127.0.0.1');
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.close();
    const { packet } = await udpQuery(server.port, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
    expect(server.app.counters.queryErrors).toBe(0);
  });

  it('logs one line per query with --log-queries', async () => {
    await udpQuery(server.port, 'web.shop.svc.cluster.local', 'AAAA', { id: 999 });
    const line = server.logs.find((entry) => entry.msg === 'query' && entry.id === 999);
    expect(line).toMatchObject({
      name: 'web.shop.svc.cluster.local',
      type: 'AAAA',
      transport: 'udp',
      rcode: 'NOERROR',
    });
    expect(line!.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(line!.size).toBeGreaterThan(12);
    expect(line!.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe('watched zones directory', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP });
  });
  afterAll(() => server.close());

  async function waitForAnswer(name: string, expected: string[], withinMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      const { packet } = await udpQuery(server.port, name, 'A');
      if (JSON.stringify(answerLines(packet)) === JSON.stringify(expected)) return Date.now() - started;
      if (Date.now() - started > withinMs)
        throw new Error(`${name} still answers ${answerLines(packet).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it('serves a changed file within one second, without a restart', async () => {
    const next = SHOP.replaceAll('10.96.10.10', '10.96.10.11');
    const temp = join(server.dir, '.shop.yaml.tmp');
    await writeFile(temp, next);
    await rename(temp, join(server.dir, 'shop.yaml'));
    const took = await waitForAnswer(
      'web.shop.svc.cluster.local',
      ['web.shop.svc.cluster.local A 10.96.10.11'],
      1000,
    );
    expect(took).toBeLessThan(1000);
  });

  it('serves a new file and rejects a broken one while its last good content keeps serving', async () => {
    const good = list(
      service('shop', 'api', { clusterIPs: ['10.96.10.20'], ports: [{ name: 'http', port: 80 }] }),
    );
    await writeFile(join(server.dir, 'api.yaml'), good);
    await waitForAnswer('api.shop.svc.cluster.local', ['api.shop.svc.cluster.local A 10.96.10.20'], 1000);

    await writeFile(join(server.dir, 'api.yaml'), good.replaceAll('10.96.10.20', '10.96.10.999'));
    const deadline = Date.now() + 2000;
    while (
      !server.logs.some((entry) => String(entry.file ?? '').endsWith('api.yaml') && entry.level === 40)
    ) {
      if (Date.now() > deadline) throw new Error('no log line for the broken file');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const rejection = server.logs.find(
      (entry) => String(entry.file ?? '').endsWith('api.yaml') && entry.level === 40,
    )!;
    expect(rejection.object).toContain('api');
    expect(String(rejection.problem)).toContain('10.96.10.999');
    const { packet } = await udpQuery(server.port, 'api.shop.svc.cluster.local', 'A');
    expect(answerLines(packet)).toEqual(['api.shop.svc.cluster.local A 10.96.10.20']);
  });
});

describe('TCP connection bounds', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP }, ['--tcp-idle-timeout', '1']);
  });
  afterAll(() => server.close());

  // Idle is counted from the last whole query: bytes of a message that never completes do not
  // keep a connection (slowloris).
  const query = framed([buildQuery('web.shop.svc.cluster.local', 'A')]);
  it.each([
    ['sends nothing', (_socket: Socket) => {}],
    ['sends a length prefix and then nothing', (socket: Socket) => socket.write(query.subarray(0, 2))],
    [
      'dribbles a query a byte every 200 ms',
      (socket: Socket) => {
        let at = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || at >= query.length) clearInterval(timer);
          else socket.write(query.subarray(at, ++at));
        }, 200);
      },
    ],
  ])('closes a connection that %s, past --tcp-idle-timeout', async (_what, behave) => {
    const before = server.app.counters.tcpClosedBy.idle;
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('connect', () => behave(socket));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      socket.on('close', () => resolve());
      // A byte written as the server closes may meet a reset: the close that follows is what counts.
      socket.on('error', () => {});
      setTimeout(() => reject(new Error('the idle connection was not closed')), 3000);
    });
    const idle = Date.now() - started;
    expect(idle).toBeGreaterThanOrEqual(900);
    expect(idle).toBeLessThan(2500);
    expect(server.app.counters.tcpClosedBy.idle).toBe(before + 1);
  });

  it('keeps a connection that sends a whole query more often than --tcp-idle-timeout', async () => {
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    let replies = 0;
    socket.on('data', () => replies++);
    await new Promise((resolve) => socket.once('connect', resolve));
    for (let i = 0; i < 5; i++) {
      socket.write(query);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(socket.destroyed).toBe(false);
    expect(replies).toBe(5);
    socket.destroy();
  });
});

describe('recursion policy', () => {
  let server: TestServer;
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ 'example.com': ['192.0.2.80'] });
    server = await startServer({ 'shop.yaml': SHOP }, [
      '--upstream',
      `127.0.0.1:${upstream.port}`,
      '--allow-recursion',
      '127.0.0.2/32',
    ]);
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  it('refuses external names to a client outside --allow-recursion, and answers it cluster names', async () => {
    const external = await udpQuery(server.port, 'example.com', 'A', { from: '127.0.0.1' });
    expect(external.packet.rcode).toBe('REFUSED');
    expect(external.packet.flags & dnsPacket.RECURSION_AVAILABLE).toBeFalsy();
    const cluster = await udpQuery(server.port, 'web.shop.svc.cluster.local', 'A', { from: '127.0.0.1' });
    expect(answerLines(cluster.packet)).toEqual(['web.shop.svc.cluster.local A 10.96.10.10']);
    expect(upstream.asked.filter((question) => question.startsWith('example.com'))).toEqual([]);
  });

  it('says why in the log, naming the client and the flag, once a minute however many are refused', async () => {
    await udpQuery(server.port, 'example.com', 'A', { from: '127.0.0.1' });
    await udpQuery(server.port, 'www.example.com', 'A', { from: '127.0.0.1' });
    const told = server.logs.filter((line) => String(line.msg).includes('outside --allow-recursion'));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ client: '127.0.0.1', level: 40 });
  });

  it('forwards for an allowed client, with RA set and its ID and case kept', async () => {
    const { packet } = await udpQuery(server.port, 'Example.COM', 'A', { from: '127.0.0.2', id: 777 });
    expect(packet.id).toBe(777);
    expect(packet.flags & dnsPacket.RECURSION_AVAILABLE).toBeTruthy();
    expect(packet.flags & dnsPacket.AUTHORITATIVE_ANSWER).toBeFalsy();
    expect(answerLines(packet)).toEqual(['Example.COM A 192.0.2.80']);
  });
});
