// The UDP and TCP listeners of each listen address, and which chain each serves. A reload points a
// kept listener at the new chains, and binds or closes only the addresses that changed.
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from '../config/address.js';
import type { Config } from '../config/config.js';
import type { Counters } from '../ops/counters.js';
import type { QueryMetrics } from '../ops/metrics/query-metrics.js';
import { BlockDispatch } from '../server/dispatch.js';
import type { QueryHandler } from '../server/handler.js';
import { isolated } from '../server/isolate.js';
import { startListenerPair } from '../server/listener-pair.js';
import type { RateLimiter } from '../server/rate-limit.js';
import { DEFAULT_TCP_LIMITS, TcpListener } from '../server/tcp.js';
import { UdpListener } from '../server/udp.js';
import type { Chains } from './chains.js';
import type { Resolvers } from './resolvers.js';

export interface BoundListener {
  transport: 'udp' | 'tcp';
  address: AddressInfo;
}

interface Listening {
  udp: UdpListener;
  tcp: TcpListener;
  bound: BoundListener[];
  /** The metrics `server` label, as CoreDNS writes it. */
  server: string;
  family: 4 | 6;
  /** What the sockets call: swapped on reload, so a kept listener serves the new chain. */
  slot: { handler: Pick<QueryHandler, 'handle'> };
}

export interface ListenerOptions {
  logger: Logger;
  counters: Counters;
  /** --rrl's limiter, shared by every UDP listener; asked per packet, as it changes on reload. */
  rateLimiter: () => RateLimiter | undefined;
  queryMetrics: () => QueryMetrics | undefined;
}

export class Listeners {
  private readonly byKey = new Map<string, Listening>();

  constructor(private readonly options: ListenerOptions) {}

  /** The addresses bound now, as formatHostPort writes them. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** The sockets bound now, UDP then TCP per address. */
  bound(): BoundListener[] {
    return [...this.byKey.values()].flatMap((listening) => listening.bound);
  }

  /** The metrics `server` label of each listener. */
  serverLabels(): string[] {
    return [...new Set([...this.byKey.values()].map((listening) => listening.server))];
  }

  /** Points every listener at `chains`. */
  serveAll(chains: Chains): void {
    for (const listening of this.byKey.values()) this.serveWith(listening, chains);
  }

  /**
   * Binds the addresses of `config` not bound yet (all of them when `tcpChanged`) and returns their
   * keys. A key already bound keeps its sockets: a reload does not drop queries in flight.
   */
  async listen(config: Config, chains: Chains, tcpChanged = false): Promise<string[]> {
    const added: string[] = [];
    for (const listen of config.listen) {
      const key = formatHostPort(listen);
      if (this.byKey.has(key) && !tcpChanged) continue;
      if (this.byKey.has(key)) await this.close(key);
      const slot: Listening['slot'] = { handler: chains.primary.newHandler() };
      const entry = isolated(
        (...args: Parameters<QueryHandler['handle']>) => slot.handler.handle(...args),
        this.options.logger,
        this.options.counters,
      );
      const { udp, udpAddress, tcp, tcpAddress } = await this.bindPair(listen, entry, config);
      const listening: Listening = {
        udp,
        tcp,
        bound: [
          { transport: 'udp', address: udpAddress },
          { transport: 'tcp', address: tcpAddress },
        ],
        // The label carries the bound port, known only now when port 0 was asked for.
        server: serverLabel({ ...listen, port: udpAddress.port }),
        family: listen.family,
        slot,
      };
      this.serveWith(listening, chains);
      this.byKey.set(key, listening);
      added.push(key);
      this.options.logger.info(
        { listen: formatHostPort({ ...listen, port: udpAddress.port }), proto: ['udp', 'tcp'] },
        'listening',
      );
    }
    return added;
  }

  /** The UDP and TCP sockets of one address, on one port number (see startListenerPair). */
  private bindPair(listen: HostPort, entry: Pick<QueryHandler, 'handle'>, config: Config) {
    return startListenerPair(
      listen.port,
      (port) =>
        new UdpListener(
          { ...listen, port },
          entry,
          this.options.logger,
          this.options.counters,
          this.options.rateLimiter,
        ),
      (port) =>
        new TcpListener({ ...listen, port }, entry, this.options.logger, this.options.counters, {
          ...DEFAULT_TCP_LIMITS,
          idleTimeoutMs: config.tcpIdleTimeout * 1000,
          maxConnections: config.tcpMaxConnections,
        }),
    );
  }

  /**
   * Point a listener at the chains, with handlers counting into its own metrics: the primary
   * block's handler alone when it is the port's only block, else a dispatch by zone.
   */
  private serveWith(listening: Listening, chains: Chains): void {
    const recorder = this.options.queryMetrics()?.recorder(listening.server, listening.family);
    const handlerOf = (resolvers: Resolvers) => {
      const handler = resolvers.newHandler();
      if (recorder) handler.recordTo(recorder);
      return handler;
    };
    const primary = handlerOf(chains.primary);
    listening.slot.handler = chains.blocks.length
      ? new BlockDispatch(
          [
            { zones: chains.primary.zones, handler: primary },
            ...chains.blocks.map(({ resolvers }) => ({
              zones: resolvers.zones,
              handler: handlerOf(resolvers),
            })),
          ],
          primary,
        )
      : primary;
  }

  /** Close one address's sockets; answers still being worked on get `graceMs` to finish. */
  async close(key: string, graceMs = 0): Promise<void> {
    const listening = this.byKey.get(key);
    if (!listening) return;
    this.byKey.delete(key);
    await Promise.all([listening.udp.close(), listening.tcp.close(graceMs)]);
  }
}

/** A listener as CoreDNS names it in the `server` label: `dns://:53` for every interface. */
export function serverLabel({ host, port, family }: HostPort): string {
  if (host === '0.0.0.0' || host === '::') return `dns://:${port}`;
  return `dns://${family === 6 ? `[${host}]` : host}:${port}`;
}
