// TCP listener: RFC 7766 framing (a two-byte length before each message), several queries per
// connection answered as each is ready (so in any order), and bounds so one client cannot hold
// the server: an idle timeout, a cap on queries in flight per connection, and a cap on unread
// output (a client that never reads is cut off).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config/address.js';
import type { Counters } from '../ops/counters.js';
import type { QueryHandler } from './handler.js';

export interface TcpLimits {
  idleTimeoutMs: number;
  maxConnections: number;
  maxInFlightPerConnection: number;
  maxBufferedOutput: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = {
  idleTimeoutMs: 10_000,
  maxConnections: 1000,
  maxInFlightPerConnection: 100,
  maxBufferedOutput: 1 << 20,
};

interface Connection {
  inFlight: number;
  /** Shutting down: no new query is read; the socket ends once its answers are written. */
  closing: boolean;
}

export class TcpListener {
  private server: Server | undefined;
  private readonly connections = new Map<Socket, Connection>();

  constructor(
    private readonly address: HostPort,
    private readonly handler: Pick<QueryHandler, 'handle'>,
    private readonly logger: Logger,
    private readonly counters: Counters,
    private readonly limits: TcpLimits = DEFAULT_TCP_LIMITS,
  ) {}

  async start(): Promise<AddressInfo> {
    const server = createServer({ noDelay: true }, (socket) => this.serve(socket));
    server.maxConnections = this.limits.maxConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(
        { port: this.address.port, host: this.address.host, ipv6Only: this.address.family === 6 },
        () => {
          server.off('error', reject);
          resolve();
        },
      );
    });
    server.on('error', (error) => this.logger.warn({ err: error }, 'TCP listener error'));
    return server.address() as AddressInfo;
  }

  private serve(socket: Socket): void {
    const connection: Connection = { inFlight: 0, closing: false };
    this.connections.set(socket, connection);
    socket.setTimeout(this.limits.idleTimeoutMs);
    let buffered = Buffer.alloc(0);
    const context = {
      transport: 'tcp' as const,
      clientAddress: socket.remoteAddress ?? '',
      clientPort: socket.remotePort ?? 0,
    };
    const cutOff = () => {
      this.counters.tcpConnectionsClosed++;
      socket.destroy();
    };
    const send = (reply: Buffer | undefined) => {
      if (!reply || socket.destroyed) return;
      const frame = Buffer.allocUnsafe(2 + reply.length);
      frame.writeUInt16BE(reply.length, 0);
      reply.copy(frame, 2);
      socket.write(frame);
      if (socket.writableLength > this.limits.maxBufferedOutput) cutOff();
    };
    socket.on('timeout', cutOff);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
    socket.on('data', (chunk) => {
      if (connection.closing) return;
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const message = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const reply = this.handler.handle(message, context);
        if (!(reply instanceof Promise)) {
          send(reply);
          continue;
        }
        connection.inFlight++;
        if (connection.inFlight >= this.limits.maxInFlightPerConnection) socket.pause();
        reply.then((bytes) => {
          connection.inFlight--;
          send(bytes);
          if (connection.closing) {
            if (connection.inFlight === 0) socket.end();
          } else if (connection.inFlight < this.limits.maxInFlightPerConnection && socket.isPaused()) {
            socket.resume();
          }
        });
      }
    });
  }

  /**
   * Stops accepting connections and reading queries; answers already being worked on are still
   * written, then each connection ends. Whatever is left after `graceMs` is cut.
   */
  async close(graceMs = 0): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const [socket, connection] of this.connections) {
      connection.closing = true;
      if (connection.inFlight === 0) socket.end();
    }
    const cut = setTimeout(() => {
      for (const socket of this.connections.keys()) socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(cut);
  }
}
