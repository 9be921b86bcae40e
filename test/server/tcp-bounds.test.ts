// Hostile TCP clients against the real server on loopback: ten thousand connections, a client that
// never reads its replies, one that pipelines without end, one that sends nonsense lengths. Each is
// cut off or held to its bound, counted, and every other client keeps being answered.
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerLines, buildQuery, framed, tcpQuery, udpQuery } from '../helpers/dns-client.js';
import { bigHeadless, endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { scrape, valueOf } from '../helpers/prometheus.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { requireOpenFiles } from '../helpers/tools.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
  ...bigHeadless('shop', 'big', 200),
);
const WEB = ['web.shop.svc.cluster.local A 10.96.10.10'];

/** One UDP and one TCP query from other clients, both answered correctly. */
async function othersAnswered(port: number): Promise<void> {
  const [udp, tcp] = await Promise.all([
    udpQuery(port, 'web.shop.svc.cluster.local', 'A'),
    tcpQuery(port, 'web.shop.svc.cluster.local', 'A'),
  ]);
  expect(answerLines(udp.packet)).toEqual(WEB);
  expect(answerLines(tcp.packet)).toEqual(WEB);
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('TCP bounds', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP });
  });
  afterAll(() => server.close());

  it('cuts off a client that sends queries and never reads the replies, and answers everyone else', async () => {
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never read
    const query = buildQuery('big.shop.svc.cluster.local', 'A');
    // About 3.3 KB a reply: 20 000 replies are some 66 MB, far past the kernel's buffers and ours.
    for (let batch = 0; batch < 20 && !socket.destroyed; batch++) {
      socket.write(framed(new Array<Buffer>(1000).fill(query)));
      await othersAnswered(server.port);
    }
    await closed(socket);
    expect(server.app.counters.tcpClosedBy.unread).toBe(1);
    await othersAnswered(server.port);
    await until('the other clients to hang up', () => server.app.counters.tcpConnectionsOpen === 0);
    const url = `http://127.0.0.1:${server.app.endpointAddresses().get('metrics')!.port}/metrics`;
    const { series } = await scrape(url);
    expect(valueOf(series, 'clusterdns_tcp_connections_closed_total', { reason: 'unread' })).toBe(1);
    expect(valueOf(series, 'clusterdns_tcp_connections')).toBe(0);
  });

  it('closes a connection whose length prefix is too short for a DNS message, and only that one', async () => {
    const before = server.app.counters.tcpClosedBy.framing;
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    const replies: Buffer[] = [];
    socket.on('data', (chunk) => replies.push(chunk));
    // A good query first: answered. Then a 3-byte "message": the stream is not DNS.
    socket.write(
      Buffer.concat([framed([buildQuery('web.shop.svc.cluster.local', 'A')]), Buffer.from([0, 3, 1, 2, 3])]),
    );
    await closed(socket);
    expect(Buffer.concat(replies).length).toBeGreaterThan(12);
    expect(server.app.counters.tcpClosedBy.framing).toBe(before + 1);
    await othersAnswered(server.port);
  });

  it('answers a query dribbled a byte at a time', async () => {
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    const reply = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    await new Promise((resolve) => socket.once('connect', resolve));
    for (const byte of framed([buildQuery('web.shop.svc.cluster.local', 'A', { id: 77 })])) {
      socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect((await reply).readUInt16BE(2)).toBe(77);
    socket.destroy();
  });
});

describe('TCP pipelining bound', () => {
  let server: TestServer;
  let upstreamSeen = 0;
  const upstream = createSocket('udp4');
  beforeAll(async () => {
    // An upstream that takes every query and answers none: forwarded queries stay in flight.
    // (The start-up loop probe is not counted: only the names this test sends.)
    upstream.on('message', (message) => {
      if (message.includes('example')) upstreamSeen++;
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    server = await startServer({ 'shop.yaml': SHOP }, [
      '--upstream',
      `127.0.0.1:${upstream.address().port}`,
      '--upstream-timeout',
      '10s',
    ]);
  });
  afterAll(async () => {
    await server.close();
    upstream.close();
  });

  it('keeps at most 100 queries of one connection in flight; the rest wait unread', async () => {
    const socket = connect({ port: server.port, host: '127.0.0.1' });
    socket.on('error', () => {});
    const queries = Array.from({ length: 500 }, (_, i) => buildQuery(`name-${i}.example.com`, 'A'));
    socket.write(framed(queries));
    await until('the upstream to see 100 queries', () => upstreamSeen >= 100);
    // Cluster names are answered at once, so the server is plainly still reading other clients.
    await othersAnswered(server.port);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(upstreamSeen).toBe(100);
    socket.destroy();
  });
});

describe('ten thousand TCP connections', () => {
  const CONNECTIONS = 10_000;
  // Each connection is a socket here and (while the server keeps it) one in the server, in-process.
  const enoughFiles = requireOpenFiles(CONNECTIONS + 1000 + 200);
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP }, ['--tcp-max-connections', '1000']);
  });
  afterAll(() => server.close());

  it.runIf(enoughFiles)(
    'holds the server to 1000 connections while UDP and new TCP clients keep being answered',
    async () => {
      const sockets: Socket[] = [];
      let connected = 0;
      let peak = 0;
      // Opened in waves of 500 (the listen backlog is 511), never closed by this client.
      for (let opened = 0; opened < CONNECTIONS;) {
        const wave = Array.from({ length: 500 }, () => {
          // From an address of its own: its ten thousand local ports are then not ports on
          // 127.0.0.1, where the servers of tests running alongside bind theirs.
          const socket = connect({ port: server.port, host: '127.0.0.1', localAddress: '127.0.0.200' });
          socket.on('error', () => {});
          sockets.push(socket);
          opened++;
          return new Promise<void>((resolve) => {
            socket.once('connect', () => {
              connected++;
              resolve();
            });
            socket.once('close', () => resolve());
          });
        });
        await Promise.all(wave);
        peak = Math.max(peak, server.app.counters.tcpConnectionsOpen);
        if (opened % 2000 === 0) await othersAnswered(server.port);
      }
      expect(connected).toBe(CONNECTIONS);
      expect(peak).toBeLessThanOrEqual(1000);
      await othersAnswered(server.port);
      // Each connection past the thousandth made room by closing the idlest.
      const { evicted, limit } = server.app.counters.tcpClosedBy;
      expect(evicted + limit).toBeGreaterThanOrEqual(CONNECTIONS - 1000);
      expect(server.app.counters.tcpConnectionsOpen).toBeLessThanOrEqual(1000);
      for (const socket of sockets) socket.destroy();
      await until('the server to see the connections go', () => server.app.counters.tcpConnectionsOpen === 0);
    },
    120_000,
  );
});
