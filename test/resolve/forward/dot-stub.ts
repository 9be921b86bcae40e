// A DNS-over-TLS upstream for the forwarder tests: a real node:tls server on 127.0.0.1 with a
// certificate made at test time, answering each query with whatever the test's handler returns
// (the Handler of stub.ts), reading every frame of a pipelined stream. It counts the connections
// it accepts and can close them all, as a server shedding idle connections does.
import { createServer, type TLSSocket } from 'node:tls';
import { decodeMessage } from '../../../src/dns/index.js';
import type { Upstream } from '../../../src/config/options/upstream-tls.js';
import type { Handler, StubQuery } from './stub.js';

export interface DotStub {
  server: Upstream;
  queries: StubQuery[];
  /** Queries other than the health probe (`. NS`). */
  questions(): string[];
  handler: Handler;
  /** TLS connections accepted (handshake done). */
  connections: number;
  /** Connections whose handshake failed on the server's side. */
  refusedHandshakes: number;
  /** Closes every open connection. */
  dropConnections(): void;
  close(): Promise<void>;
}

export interface DotStubOptions {
  cert: string;
  key: string;
  /** When given, a client certificate signed by it is required. */
  clientCa?: string;
}

export async function startDotStub(handler: Handler, options: DotStubOptions): Promise<DotStub> {
  const open = new Set<TLSSocket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer({
    cert: options.cert,
    key: options.key,
    ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  });
  const stub: DotStub = {
    server: { host: '127.0.0.1', port: 0, family: 4, tls: true },
    queries: [],
    questions: () =>
      stub.queries
        .map(({ message }) => message.question[0]!)
        .filter((q) => !(q.name === '' && q.type === 2))
        .map((q) => `${q.name} ${q.type}`),
    handler,
    connections: 0,
    refusedHandshakes: 0,
    dropConnections: () => {
      for (const socket of open) socket.destroy();
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      stub.dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('tlsClientError', () => stub.refusedHandshakes++);
  server.on('secureConnection', (socket) => {
    stub.connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const bytes = Buffer.from(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + bytes.length);
        const query: StubQuery = {
          bytes,
          message: decodeMessage(bytes),
          transport: 'tls',
          port: socket.remotePort!,
        };
        stub.queries.push(query);
        for (const send of stub.handler(query)) {
          const out = Buffer.isBuffer(send) ? send : send.bytes;
          const framed = Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]);
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              if (!socket.destroyed) socket.write(framed);
            },
            Buffer.isBuffer(send) ? 0 : (send.delayMs ?? 0),
          );
          timers.add(timer);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.server.port = (server.address() as { port: number }).port;
  return stub;
}
