// Stub upstream servers for the forwarder tests: real UDP and TCP sockets on 127.0.0.1, answering
// with whatever the test's handler returns, built with dns-packet (not our codec, so the two check
// each other). Also a log capture and a bounded wait.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as NetSocket } from 'node:net';
import { Writable } from 'node:stream';
import dnsPacket from 'dns-packet';
import { pino, type Logger } from 'pino';
import type { HostPort } from '../../../src/config/address.js';
import { decodeMessage, type DecodedMessage } from '../../../src/dns/index.js';

export interface StubQuery {
  bytes: Buffer;
  message: DecodedMessage;
  transport: 'udp' | 'tcp' | 'tls';
  /** The client's source port. */
  port: number;
}

/** A reply: raw bytes, optionally sent late or (UDP) from another socket, i.e. another source port. */
export type Send = Buffer | { bytes: Buffer; delayMs?: number; fromOtherPort?: boolean };

/** What to send for a query; nothing means silence over UDP and a closed connection over TCP. */
export type Handler = (query: StubQuery) => Send[];

export interface Stub {
  server: HostPort;
  queries: StubQuery[];
  /** Queries other than the health probe (`. NS`). */
  questions(): string[];
  handler: Handler;
  close(): Promise<void>;
}

export async function startStub(handler: Handler, { tcp = true } = {}): Promise<Stub> {
  // The TCP listener takes the port UDP got; in the rare case it is taken, start over.
  for (let tries = 0; tries < 20; tries++) {
    const udp = createSocket('udp4');
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    let tcpServer: Server | undefined;
    if (tcp) {
      tcpServer = createServer();
      const listening = await new Promise<boolean>((resolve) => {
        tcpServer!.once('error', () => resolve(false));
        tcpServer!.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!listening) {
        udp.close();
        other.close();
        continue;
      }
    }
    return serve(udp, other, tcpServer, port, handler);
  }
  throw new Error('no free port for a stub upstream after 20 tries');
}

function serve(udp: Socket, other: Socket, tcp: Server | undefined, port: number, handler: Handler): Stub {
  const timers = new Set<NodeJS.Timeout>();
  const connections = new Set<NetSocket>();
  const later = (delayMs: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, delayMs);
    timers.add(timer);
  };
  const stub: Stub = {
    server: { host: '127.0.0.1', port, family: 4 },
    queries: [],
    questions: () =>
      stub.queries
        .map(({ message }) => message.question[0]!)
        .filter((q) => !(q.name === '' && q.type === 2))
        .map((q) => `${q.name} ${q.type}`),
    handler,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => other.close(() => resolve()));
      if (tcp) {
        for (const socket of connections) socket.destroy();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      }
    },
  };
  udp.on('message', (bytes, from) => {
    const query: StubQuery = { bytes, message: decodeMessage(bytes), transport: 'udp', port: from.port };
    stub.queries.push(query);
    for (const send of stub.handler(query)) {
      const {
        bytes: out,
        delayMs = 0,
        fromOtherPort = false,
      } = Buffer.isBuffer(send) ? { bytes: send } : send;
      later(delayMs, () => (fromOtherPort ? other : udp).send(out, from.port, from.address));
    }
  });
  tcp?.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      const bytes = pending.subarray(2, 2 + pending.readUInt16BE(0));
      const query: StubQuery = {
        bytes: Buffer.from(bytes),
        message: decodeMessage(bytes),
        transport: 'tcp',
        port: socket.remotePort!,
      };
      stub.queries.push(query);
      const sends = stub.handler(query);
      if (sends.length === 0) socket.destroy();
      for (const send of sends) {
        const out = Buffer.isBuffer(send) ? send : send.bytes;
        const framed = Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]);
        later(Buffer.isBuffer(send) ? 0 : (send.delayMs ?? 0), () => socket.write(framed));
      }
    });
  });
  return stub;
}

export interface ReplySpec {
  rcode?: number;
  tc?: boolean;
  /** Overrides, to forge a reply that must be rejected. */
  id?: number;
  qr?: boolean;
  name?: string;
  type?: number;
  answers?: dnsPacket.Answer[];
  authorities?: dnsPacket.Answer[];
  additionals?: dnsPacket.Answer[];
}

/** A reply to `query` built with dns-packet, echoing its question unless told otherwise. */
export function reply(query: StubQuery, spec: ReplySpec = {}): Buffer {
  const question = query.message.question[0]!;
  const flags =
    dnsPacket.RECURSION_DESIRED |
    dnsPacket.RECURSION_AVAILABLE |
    (spec.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) |
    (spec.rcode ?? 0);
  return dnsPacket.encode({
    type: spec.qr === false ? 'query' : 'response',
    id: spec.id ?? query.message.id,
    flags,
    questions: [
      {
        name: spec.name ?? question.name,
        type: `UNKNOWN_${spec.type ?? question.type}` as dnsPacket.RecordType,
        class: 'IN',
      },
    ],
    answers: spec.answers ?? [],
    authorities: spec.authorities ?? [],
    additionals: spec.additionals ?? [],
  });
}

/** The query sent back with QR set: its question exactly as it came, whatever bytes it holds. */
export function echo(query: StubQuery): Buffer {
  const out = Buffer.from(query.bytes);
  out[2]! |= 0x80;
  return out;
}

export function a(name: string, address: string, ttl = 300): dnsPacket.Answer {
  return { name, type: 'A', ttl, data: address };
}

export function soa(zone: string, ttl: number, minimum: number): dnsPacket.Answer {
  return {
    name: zone,
    type: 'SOA',
    ttl,
    data: {
      mname: `ns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum,
    },
  };
}

export interface LogLine {
  level: number;
  msg: string;
  upstream?: string;
}

/** A pino logger whose lines are kept for the test to read. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
