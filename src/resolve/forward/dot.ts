// DNS over TLS to one upstream (RFC 7858): a few long-lived connections, each carrying many
// queries at once. Every query on a connection has its own ID and replies are matched by ID, in
// whatever order they come (RFC 7766 §6.2.1.1); a frame with an unknown ID, or our ID with another
// question, is dropped and counted, and the query keeps waiting (the check plain upstreams get,
// matchReply). Messages are framed by a two-byte length (RFC 7858 §3.3, RFC 7766 §8), which also
// bounds every reply to 65535 bytes. A connection is opened when none has room, reused while it
// lives, closed after `expireMs` without a query waiting (forward's expire), and opened afresh
// after the server closes it (RFC 7766 §6.2.3 lets it). Queries waiting on one connection, and
// connections per upstream, are bounded; past both a query fails at once rather than queue.
import { connect, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from '../../config/address.js';
import type { Question } from '../../dns/types.js';
import type { Attempt } from './attempt.js';
import { buildQuery, matchReply, randomId, type QueryOptions } from './query.js';
import type { DotConnectOptions } from '../../config/tls-context.js';

export const DOT_LIMITS = {
  /** Queries waiting on one connection before another is opened. */
  pendingPerConnection: 128,
  /** 8 × 128 is above forward's default max_concurrent (1000): the pool's bound is met first. */
  connections: 8,
  /** Timed-out IDs remembered per connection, so that a late reply is not taken for a spoof. */
  abandoned: 256,
};

export interface DotOptions {
  server: HostPort;
  connect: DotConnectOptions;
  /** The longest a TLS handshake may take (the query timeout). */
  handshakeTimeoutMs: number;
  /** An idle connection closes after this long. */
  expireMs: number;
  logger: Logger;
  /** Default DOT_LIMITS. */
  limits?: Partial<typeof DOT_LIMITS>;
}

export interface DotStats {
  /** Connections opened (each one handshake). */
  connections: number;
  /**
   * Connections that failed before their first reply: unreachable, refused, a certificate not
   * trusted or not for the name, or ours refused (with TLS 1.3 the server says so only after the
   * handshake seems done, so success is the first reply, not the handshake).
   */
  handshakeFailures: number;
  open: number;
}

interface Waiter {
  question: Question;
  dropped: number;
  timer: NodeJS.Timeout;
  resolve: (attempt: Attempt) => void;
}

export class DotUpstream {
  private readonly connections: DotConnection[] = [];
  private opened = 0;
  private handshakeFailures = 0;
  /** Frames with an ID no query on their connection waits for. */
  private strays = 0;
  private lastHandshakeError: string | undefined;
  private closed = false;
  readonly name: string;
  private readonly limits: typeof DOT_LIMITS;

  constructor(private readonly options: DotOptions) {
    this.name = `tls://${formatHostPort(options.server)}`;
    this.limits = { ...DOT_LIMITS, ...options.limits };
  }

  ask(question: Question, query: QueryOptions, timeoutMs: number): Promise<Attempt> {
    if (this.closed) {
      return Promise.resolve({ kind: 'network', error: new Error(`${this.name}: closed`), dropped: 0 });
    }
    const connection = this.connection();
    if (!connection) {
      const most = this.limits.connections * this.limits.pendingPerConnection;
      return Promise.resolve({
        kind: 'network',
        error: new Error(`${this.name}: ${most} queries already waiting`),
        dropped: 0,
      });
    }
    return connection.ask(question, query, timeoutMs);
  }

  /** Frames with an unknown ID, taken since the last call. */
  takeStrays(): number {
    const strays = this.strays;
    this.strays = 0;
    return strays;
  }

  stats(): DotStats {
    return {
      connections: this.opened,
      handshakeFailures: this.handshakeFailures,
      open: this.connections.length,
    };
  }

  close(): void {
    this.closed = true;
    for (const connection of [...this.connections])
      connection.destroy(new Error(`${this.name}: closed`), true);
  }

  /** The open connection with the fewest waiting queries that has room, or a new one. */
  private connection(): DotConnection | undefined {
    let best: DotConnection | undefined;
    for (const connection of this.connections) {
      if (connection.usable && connection.waiting < this.limits.pendingPerConnection) {
        if (!best || connection.waiting < best.waiting) best = connection;
      }
    }
    if (best) return best;
    if (this.connections.length >= this.limits.connections) return undefined;
    const connection = new DotConnection(this.options, this.limits.abandoned, {
      secured: () => {
        if (this.lastHandshakeError !== undefined) {
          this.options.logger.info({ upstream: this.name }, `${this.name}: TLS connection works again`);
        }
        this.lastHandshakeError = undefined;
      },
      handshakeFailed: (error) => {
        this.handshakeFailures++;
        // One line per kind of failure, not one per query: a down upstream is tried on every query.
        if (error.message === this.lastHandshakeError) return;
        this.lastHandshakeError = error.message;
        this.options.logger.warn(
          { upstream: this.name, err: error.message, servername: this.options.connect.servername },
          `${this.name}: TLS connection failed, nothing from it is used: ${error.message}`,
        );
      },
      stray: () => this.strays++,
      closed: () => {
        const at = this.connections.indexOf(connection);
        if (at !== -1) this.connections.splice(at, 1);
      },
    });
    this.opened++;
    this.connections.push(connection);
    return connection;
  }
}

interface ConnectionEvents {
  secured(): void;
  handshakeFailed(error: Error): void;
  stray(): void;
  closed(): void;
}

class DotConnection {
  private readonly socket: TLSSocket;
  private readonly waiters = new Map<number, Waiter>();
  private readonly abandoned = new Set<number>();
  private buffered: Buffer = Buffer.alloc(0);
  /** A reply has come: the connection works, whatever happens to it later. */
  private carried = false;
  private ending = false;
  private done = false;
  private readonly handshakeTimer: NodeJS.Timeout;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: DotOptions,
    private readonly maxAbandoned: number,
    private readonly events: ConnectionEvents,
  ) {
    const { server } = options;
    this.socket = connect({ host: server.host, port: server.port, ...options.connect });
    this.socket.setNoDelay(true);
    this.handshakeTimer = setTimeout(
      () => this.destroy(new Error(`TLS handshake not done within ${options.handshakeTimeoutMs} ms`)),
      options.handshakeTimeoutMs,
    );
    this.socket.on('secureConnect', () => clearTimeout(this.handshakeTimer));
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (error) => this.destroy(error));
    this.socket.on('close', () => this.destroy(new Error(`${formatHostPort(server)} closed the connection`)));
    // The server may close an idle connection; a half-closed one takes no more queries.
    this.socket.on('end', () => {
      this.ending = true;
    });
  }

  get usable(): boolean {
    return !this.done && !this.ending;
  }

  get waiting(): number {
    return this.waiters.size;
  }

  ask(question: Question, query: QueryOptions, timeoutMs: number): Promise<Attempt> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    // An ID no other query on this connection holds, nor a recent timed-out one whose reply may come.
    let id = randomId();
    while (this.waiters.has(id) || this.abandoned.has(id)) id = randomId();
    const message = buildQuery(id, question, query);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        this.abandon(id);
        resolve({ kind: 'timeout', dropped: waiter.dropped });
        this.idleIfQuiet();
      }, timeoutMs);
      const waiter: Waiter = { question, dropped: 0, timer, resolve };
      this.waiters.set(id, waiter);
      const framed = Buffer.alloc(2 + message.length);
      framed.writeUInt16BE(message.length, 0);
      message.copy(framed, 2);
      // Written before the handshake completes, it is held by the socket and sent after it.
      this.socket.write(framed);
    });
  }

  /** `quiet`: closed on purpose (idle, shutdown), not a failure. */
  destroy(error: Error, quiet = false): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.idleTimer);
    if (!quiet && !this.carried) this.events.handshakeFailed(error);
    for (const waiter of this.waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.resolve({ kind: 'network', error, dropped: waiter.dropped });
    }
    this.waiters.clear();
    this.socket.destroy();
    this.events.closed();
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 2) {
      const size = this.buffered.readUInt16BE(0);
      if (this.buffered.length < 2 + size) break;
      const frame = this.buffered.subarray(2, 2 + size);
      this.buffered = this.buffered.subarray(2 + size);
      this.frame(frame);
    }
  }

  private frame(frame: Buffer): void {
    if (!this.carried) {
      this.carried = true;
      this.events.secured();
    }
    const id = frame.length >= 2 ? frame.readUInt16BE(0) : -1;
    const waiter = this.waiters.get(id);
    if (!waiter) {
      // A reply that came after its query timed out is late, not forged.
      if (!this.abandoned.delete(id)) this.events.stray();
      return;
    }
    const reply = matchReply(frame, id, waiter.question);
    if (!reply) {
      waiter.dropped++;
      return;
    }
    clearTimeout(waiter.timer);
    this.waiters.delete(id);
    waiter.resolve({ kind: 'reply', reply, dropped: waiter.dropped });
    this.idleIfQuiet();
  }

  private abandon(id: number): void {
    this.abandoned.add(id);
    if (this.abandoned.size > this.maxAbandoned) {
      this.abandoned.delete(this.abandoned.values().next().value!);
    }
  }

  /** With nothing waiting the connection closes after `expireMs` unless a query comes first. */
  private idleIfQuiet(): void {
    if (this.waiters.size > 0 || this.done) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.ending = true;
      this.destroy(new Error('idle connection expired'), true);
    }, this.options.expireMs);
    this.idleTimer.unref();
  }
}
