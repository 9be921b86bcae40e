// A gRPC session with a Nacos cluster for one Nacos namespace: one live connection at a time to
// one of the configured servers, moved to the next server when it is lost (stream ended, health
// check failed, or the server sent ConnectResetRequest), as RpcClient.java's switchServerAsync
// does. Nacos pushes carry no namespace, so, like the SDKs (one NamingService per namespace), each
// namespace has a session of its own and the connection's set-up names it as its tenant.
// Requests carry the accessToken in the metadata headers, renewed and retried once when the
// server refuses it (errorCode 401/403, api/.../exception/NacosException.java NO_RIGHT).

import type { Logger } from 'pino';
import { backoffDelay } from '../../kubernetes/backoff.js';
import type { TokenKeeper } from '../token.js';
import { NacosGrpcConnection, NacosGrpcError, type ServerAddress } from './connection.js';

export interface SessionServer extends ServerAddress {
  tokens?: TokenKeeper;
}

export interface SessionOptions {
  namespaceId: string;
  servers: SessionServer[];
  logger: Logger;
  requestTimeoutMs: number;
  maxMessageBytes: number;
  healthCheckMs?: number;
  /** A push: a service's current instances. Throws to refuse it. */
  onPush: (serviceInfo: unknown) => void;
  /** A new connection is up: every subscription must be made again on it. */
  onConnected: () => void;
  /** The server answered something: the view is current. */
  onAnswer: () => void;
}

/** Reconnect rounds (every server tried once) back off from 200 ms to 5 s. */
const RECONNECT_BACKOFF = { initialMs: 200, maxMs: 5000 };

export class NacosGrpcSession {
  /** Counts connections made; 0 before the first. */
  generation = 0;
  private connection?: NacosGrpcConnection;
  private index = 0;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly opts: SessionOptions) {}

  start(): void {
    this.loop = this.connectLoop();
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  get server(): SessionServer {
    return this.opts.servers[this.index]!;
  }

  /** Resolves with the generation of a live connection at least `minGeneration`; rejects when aborted. */
  async waitConnected(minGeneration: number, signal: AbortSignal): Promise<number> {
    while (!(this.connection && this.generation >= minGeneration)) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return this.generation;
  }

  /** One request on the live connection, with the accessToken; throws when there is none. */
  async call(
    type: string,
    body: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const connection = this.connection;
    const server = this.server;
    if (!connection) throw new NacosGrpcError(`${type}: not connected to Nacos`);
    const headers = (token?: string): Record<string, string> => (token ? { accessToken: token } : {});
    let token = await server.tokens?.get(signal);
    let answer: Record<string, unknown>;
    try {
      answer = await connection.call(type, body, headers(token));
    } catch (error) {
      if (!(error instanceof NacosGrpcError) || !server.tokens || token === undefined) throw error;
      if (error.errorCode !== 401 && error.errorCode !== 403) throw error;
      // Refused: the token expired early or the server forgot it (restarted). Log in once more.
      server.tokens.rejected(token);
      token = await server.tokens.get(signal);
      answer = await connection.call(type, body, headers(token));
    }
    this.opts.onAnswer();
    return answer;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
    this.wake?.();
    for (const waiter of [...this.waiters]) waiter();
    await this.loop;
  }

  private async connectLoop(): Promise<void> {
    let failedRounds = 0;
    let tried = 0;
    while (!this.closed) {
      const server = this.server;
      const lost = new Promise<string>((resolve) => (this.wake = () => resolve('closed')));
      let onLost: (reason: string) => void = () => undefined;
      const lostReason = new Promise<string>((resolve) => (onLost = resolve));
      const connection = new NacosGrpcConnection({
        namespace: this.opts.namespaceId,
        host: server.host,
        port: server.port,
        tls: server.tls,
        requestTimeoutMs: this.opts.requestTimeoutMs,
        maxMessageBytes: this.opts.maxMessageBytes,
        ...(this.opts.healthCheckMs !== undefined && { healthCheckMs: this.opts.healthCheckMs }),
        onPush: (info) => {
          this.opts.onAnswer();
          this.opts.onPush(info);
        },
        onLost: (reason) => onLost(reason),
      });
      const where = { server: connection.where, namespace: this.opts.namespaceId || 'public' };
      try {
        await connection.open();
      } catch (error) {
        connection.close();
        if (this.closed) return;
        tried += 1;
        // Each server named once per outage, not every round of retries.
        if (failedRounds === 0) {
          this.opts.logger.warn(
            { ...where, err: (error as Error).message },
            'connecting to Nacos gRPC failed',
          );
        }
        this.next();
        if (tried >= this.opts.servers.length) {
          tried = 0;
          failedRounds += 1;
          await Promise.race([lost, sleep(backoffDelay(failedRounds, RECONNECT_BACKOFF))]);
        }
        continue;
      }
      if (this.closed) return connection.close();
      tried = 0;
      failedRounds = 0;
      this.connection = connection;
      this.generation += 1;
      this.opts.logger.info({ ...where, connectionId: connection.connectionId }, 'connected to Nacos gRPC');
      this.opts.onAnswer();
      this.opts.onConnected();
      for (const waiter of [...this.waiters]) waiter();
      const reason = await Promise.race([lostReason, lost]);
      this.connection = undefined;
      connection.close();
      if (this.closed) return;
      this.opts.logger.warn({ ...where, reason }, 'Nacos gRPC connection lost; moving to the next server');
      this.next();
    }
  }

  private next(): void {
    this.index = (this.index + 1) % this.opts.servers.length;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
