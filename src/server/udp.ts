// UDP listener: each datagram is one query; the reply goes back to the datagram's source, unless
// response rate limiting (--rrl) drops it or sends it truncated (rate-limit.ts).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from '../config/address.js';
import type { Counters } from '../ops/counters.js';
import { OnceAMinute } from '../ops/once-a-minute.js';
import type { QueryHandler } from './handler.js';
import { listenError } from './listener-pair.js';
import { truncatedReply, type RateLimiter } from './rate-limit.js';

/** The receive queue asked for: about a thousand small queries, a second of a busy node at 1000 a second. */
export const RECEIVE_BUFFER_BYTES = 1024 * 1024;

/**
 * Replies go back to the address a datagram came from, always an IP literal: handing it back as it
 * is spares every send the asynchronous resolver look-up dgram would otherwise make (about 2.7 us).
 */
function literalAddress(
  address: string,
  _options: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4);
}

export class UdpListener {
  private socket: Socket | undefined;

  constructor(
    private readonly address: HostPort,
    private readonly handler: Pick<QueryHandler, 'handle'>,
    private readonly logger: Logger,
    private readonly counters: Counters,
    /** The rate limiter in force now, if any: it may change on reload. */
    private readonly limiter: () => RateLimiter | undefined = () => undefined,
  ) {}

  async start(): Promise<AddressInfo> {
    // ipv6Only keeps [::] from also taking the IPv4 port, so 0.0.0.0 and [::] can both be listed.
    const socket = createSocket(
      this.address.family === 6
        ? { type: 'udp6', ipv6Only: true, lookup: literalAddress }
        : { type: 'udp4', lookup: literalAddress },
    );
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => reject(listenError(error, this.address, 'UDP'));
      socket.once('error', failed);
      socket.bind(this.address.port, this.address.host, () => {
        socket.off('error', failed);
        resolve();
      });
    });
    // A deeper receive queue rides out the moments this process is not scheduled (a busy node, a
    // garbage collection) instead of dropping the queries that arrive meanwhile; the kernel caps
    // it at net.core.rmem_max.
    try {
      socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
    } catch (error) {
      this.logger.debug({ err: error }, 'cannot enlarge the UDP receive buffer');
    }
    // Send errors come here too (sends take no callback, see send()): at most a line a minute.
    const warnings = new OnceAMinute();
    socket.on('error', (error) => {
      if (!warnings.due('error')) return;
      this.logger.warn(
        { err: error, listen: formatHostPort(this.address) },
        'UDP socket error (one line a minute)',
      );
    });
    socket.on('message', (message, remote) => {
      // Decided before answering: a dropped response costs no work at all.
      const verdict = this.limiter()?.check(remote.address) ?? 'send';
      if (verdict === 'drop') {
        this.counters.rrlDropped++;
        return;
      }
      const context = { transport: 'udp' as const, clientAddress: remote.address, clientPort: remote.port };
      const reply = this.handler.handle(message, context);
      if (reply instanceof Promise) reply.then((bytes) => this.reply(socket, bytes, verdict, remote));
      else this.reply(socket, reply, verdict, remote);
    });
    return socket.address();
  }

  private reply(
    socket: Socket,
    bytes: Buffer | undefined,
    verdict: ReturnType<RateLimiter['check']>,
    remote: RemoteInfo,
  ): void {
    if (!bytes) return;
    if (verdict === 'slip') {
      this.counters.rrlSlipped++;
      bytes = truncatedReply(bytes);
    }
    this.send(socket, bytes, remote.port, remote.address);
  }

  private send(socket: Socket, bytes: Buffer, port: number, address: string): void {
    // An answer that took an upstream round trip may come back after shutdown closed the socket.
    if (this.socket !== socket) return;
    // No callback: with one, every send completes through a JavaScript callback (about 15 % of a
    // query's CPU measured here); without, a failed send is an 'error' event on the socket.
    socket.send(bytes, port, address);
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }
}
