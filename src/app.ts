// The server's lifecycle: config → backend → table → resolvers → listeners, and back down.
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from './config/address.js';
import type { Config } from './config/config.js';
import { newCounters, type Counters } from './ops/counters.js';
import { FileBackend } from './registry/file/backend.js';
import { ClusterZoneResolver } from './resolve/cluster/resolver.js';
import { UdpUpstream } from './resolve/forward/upstream.js';
import { ZoneSet } from './resolve/zones.js';
import { QueryHandler } from './server/handler.js';
import { TcpListener } from './server/tcp.js';
import { UdpListener } from './server/udp.js';
import { ServiceTable } from './table/table.js';

/** Where ExternalName targets are looked up: a short wait, the answer is for a client already waiting. */
const UPSTREAM_TIMEOUT_MS = 2000;

export interface BoundListener {
  transport: 'udp' | 'tcp';
  address: AddressInfo;
}

export class ClusterDns {
  readonly table = new ServiceTable();
  readonly counters: Counters = newCounters();
  private readonly backend: FileBackend;
  private readonly listeners: (UdpListener | TcpListener)[] = [];

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.backend = new FileBackend({ dir: config.zonesDir, logger: logger.child({ backend: 'file' }) });
  }

  async start(): Promise<BoundListener[]> {
    await this.backend.start((content) => {
      const snapshot = this.table.setContent('file', content);
      this.logger.info({ version: snapshot.version, ...snapshot.counts }, 'service table updated');
    });
    const upstream =
      this.config.upstreams.length > 0
        ? new UdpUpstream({
            servers: this.config.upstreams,
            timeoutMs: UPSTREAM_TIMEOUT_MS,
            logger: this.logger,
          })
        : undefined;
    const resolver = new ClusterZoneResolver(this.table, {
      zones: ZoneSet.parse(this.config.zones),
      ttl: this.config.ttl,
      ...(this.config.namespaces ? { namespaces: new Set(this.config.namespaces) } : {}),
      pods: this.config.pods,
      ignoreEmptyService: this.config.ignoreEmptyService,
      nsAddresses: serverAddresses(this.config.listen),
      ...(upstream ? { upstream } : {}),
    });
    const handler = new QueryHandler({
      resolver,
      logger: this.logger,
      counters: this.counters,
      logQueries: this.config.logQueries,
    });
    const bound: BoundListener[] = [];
    try {
      for (const listen of this.config.listen) {
        const udp = new UdpListener(listen, handler, this.logger);
        this.listeners.push(udp);
        const udpAddress = await udp.start();
        // Port 0 asks for any free port: TCP then takes the same number UDP got.
        const tcp = new TcpListener(
          { ...listen, port: udpAddress.port },
          handler,
          this.logger,
          this.counters,
          {
            idleTimeoutMs: this.config.tcpIdleTimeout * 1000,
            maxConnections: 1000,
            maxInFlightPerConnection: 100,
            maxBufferedOutput: 1 << 20,
          },
        );
        this.listeners.push(tcp);
        const tcpAddress = await tcp.start();
        bound.push({ transport: 'udp', address: udpAddress }, { transport: 'tcp', address: tcpAddress });
        this.logger.info(
          { listen: formatHostPort({ ...listen, port: udpAddress.port }), proto: ['udp', 'tcp'] },
          'listening',
        );
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    return bound;
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((listener) => listener.close()));
    this.listeners.length = 0;
    await this.backend.close();
  }
}

/**
 * The addresses this server is reachable at, for `ns.dns.<zone>` and the apex NS glue: the listen
 * addresses, with a wildcard (0.0.0.0, ::) standing for every non-loopback interface address.
 */
function serverAddresses(listen: HostPort[]): string[] {
  const addresses = new Set<string>();
  for (const { host, family } of listen) {
    if (host !== '0.0.0.0' && host !== '::') {
      addresses.add(host);
      continue;
    }
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        const infoFamily = info.family === 'IPv6' ? 6 : 4;
        if (!info.internal && infoFamily === family && !info.address.startsWith('fe80:'))
          addresses.add(info.address);
      }
    }
  }
  return [...addresses];
}
