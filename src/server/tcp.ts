// TCP listener: RFC 7766 framing (a two-byte length before each message), several queries per
// connection answered as each is ready (so in any order), and bounds so no client can hold the
// server: a cap on connections (at the cap the connection idle the longest makes room, else the
// new one is closed), an idle timeout, a cap on queries in flight per connection, a cap on unread
// output (a client that never reads is cut off) and framing that must make sense (a length too
// short for a DNS header closes the connection).
//
// The idle timeout counts from the last whole query (or answer), not the last byte: a client that
// dribbles a byte a second (slowloris), or sends a length prefix and then nothing, would otherwise
// hold its connection for as long as it likes. RFC 7766 §6.2.3 lets the server close a connection
// that is idle; one that never completes a message is idle in every sense that matters.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config/address.js';
import type { Counters, TcpCloseReason } from '../ops/counters.js';
import { OnceAMinute } from '../ops/once-a-minute.js';
import { FrameReader } from './framing.js';
import { listenError } from './listener-pair.js';
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
  socket: Socket;
  inFlight: number;
  /** When a query last arrived (or the connection opened): the idlest connection makes room. */
  lastQueryAt: number;
  /** Shutting down: no new query is read; the socket ends once its answers are written. */
  closing: boolean;
}

export class TcpListener {
  private server: Server | undefined;
  private readonly connections = new Map<Socket, Connection>();
  /** Cuts at a bound are warned of once a minute per reason. */
  private readonly warnings = new OnceAMinute<TcpCloseReason>();

  constructor(
    private readonly address: HostPort,
    private readonly handler: Pick<QueryHandler, 'handle'>,
    private readonly logger: Logger,
    private readonly counters: Counters,
    private readonly limits: TcpLimits = DEFAULT_TCP_LIMITS,
  ) {}

  async start(): Promise<AddressInfo> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => reject(listenError(error, this.address, 'TCP'));
      server.once('error', failed);
      server.listen(
        { port: this.address.port, host: this.address.host, ipv6Only: this.address.family === 6 },
        () => {
          server.off('error', failed);
          resolve();
        },
      );
    });
    server.on('error', (error) => this.logger.warn({ err: error }, 'TCP listener error'));
    return server.address() as AddressInfo;
  }

  /** Connections open now. */
  get size(): number {
    return this.connections.size;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.limits.maxConnections) {
      const idlest = this.idlest();
      if (!idlest) {
        this.cut(socket, 'limit');
        return;
      }
      this.cut(idlest.socket, 'evicted');
    }
    this.serve(socket);
  }

  /** The open connection with no query in flight that has waited longest for one. */
  private idlest(): Connection | undefined {
    let found: Connection | undefined;
    for (const connection of this.connections.values()) {
      if (connection.inFlight === 0 && (!found || connection.lastQueryAt < found.lastQueryAt))
        found = connection;
    }
    return found;
  }

  private cut(socket: Socket, reason: TcpCloseReason): void {
    if (socket.destroyed) return;
    this.forget(socket);
    this.counters.tcpConnectionsClosed++;
    this.counters.tcpClosedBy[reason]++;
    socket.destroy();
    const client = socket.remoteAddress;
    this.logger.debug({ client, reason }, 'TCP connection closed');
    if (reason === 'idle' || !this.warnings.due(reason)) return;
    this.logger.warn(
      { client, reason, closedSoFar: this.counters.tcpClosedBy[reason], limits: this.limits },
      'TCP connection cut at a bound (one line a minute per reason; see clusterdns_tcp_connections_closed_total)',
    );
  }

  /** No longer counted as open: at once when the server cuts it, else when it closes. */
  private forget(socket: Socket): void {
    if (this.connections.delete(socket)) this.counters.tcpConnectionsOpen--;
  }

  private serve(socket: Socket): void {
    const connection: Connection = { socket, inFlight: 0, lastQueryAt: performance.now(), closing: false };
    this.connections.set(socket, connection);
    this.counters.tcpConnectionsOpen++;
    // Not socket.setTimeout: that counts any byte as activity (see the top of this file).
    const idle = setTimeout(() => {
      // A query waiting on an upstream is not idleness of the client's.
      if (connection.inFlight > 0) idle.refresh();
      else this.cut(socket, 'idle');
    }, this.limits.idleTimeoutMs);
    idle.unref();
    const frames = new FrameReader();
    const context = {
      transport: 'tcp' as const,
      clientAddress: socket.remoteAddress ?? '',
      clientPort: socket.remotePort ?? 0,
    };
    const send = (reply: Buffer | undefined) => {
      if (!reply || socket.destroyed) return;
      const frame = Buffer.allocUnsafe(2 + reply.length);
      frame.writeUInt16BE(reply.length, 0);
      reply.copy(frame, 2);
      socket.write(frame);
      if (socket.writableLength > this.limits.maxBufferedOutput) this.cut(socket, 'unread');
    };
    const answered = (bytes: Buffer | undefined) => {
      connection.inFlight--;
      idle.refresh();
      send(bytes);
      if (connection.closing) {
        if (connection.inFlight === 0) socket.end();
      } else {
        readFrames();
      }
    };
    // Answers every whole frame buffered, until the connection has as many queries in flight as it
    // may; then reading waits (socket paused) until one is answered.
    const readFrames = () => {
      while (!socket.destroyed && !connection.closing) {
        if (connection.inFlight >= this.limits.maxInFlightPerConnection) {
          socket.pause();
          return;
        }
        const message = frames.next();
        if (message === undefined) break;
        if (message === null) {
          this.cut(socket, 'framing');
          return;
        }
        connection.lastQueryAt = performance.now();
        idle.refresh();
        const reply = this.handler.handle(message, context);
        if (reply instanceof Promise) {
          connection.inFlight++;
          reply.then(answered);
        } else {
          send(reply);
        }
      }
      if (socket.isPaused() && !socket.destroyed) socket.resume();
    };
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(idle);
      this.forget(socket);
    });
    socket.on('data', (chunk) => {
      if (connection.closing) return;
      frames.push(chunk);
      readFrames();
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
