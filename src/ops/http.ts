// The operations endpoints, each on its own address as CoreDNS has them: /health (liveness),
// /ready (readiness) and /metrics (Prometheus). Each is a plain node:http server: a probe must
// answer even when the DNS side is slow, and it needs nothing a framework would add.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { formatEndpointAddress, type EndpointAddress, type OpsConfig } from '../config/ops.js';
import { bindProblem } from './start-failure.js';

export type EndpointName = 'health' | 'ready' | 'metrics';

export interface EndpointSources {
  /** What is not ready, by name; empty when ready. */
  notReady: () => string[];
  /** Undefined when metrics are off. A registry, or what reads several (--workers) as one. */
  registry?: Pick<Registry, 'metrics' | 'contentType'>;
  /** Told how long each /health request took, in seconds; absent when metrics are off. */
  observeHealthRequest?: (seconds: number) => void;
}

type Handler = (res: ServerResponse) => void | Promise<void>;

/**
 * A probe or a scrape sends its few header lines at once; Node's own bounds (60 s for the headers,
 * 300 s for a request, checked every 30 s) let a client that trickles header lines hold a
 * connection, and a file descriptor the DNS side needs, for minutes. These endpoints listen on
 * every interface by default.
 */
export const HTTP_LIMITS = {
  headersTimeout: 5000,
  requestTimeout: 10_000,
  connectionsCheckingInterval: 1000,
};

export class OpsEndpoints {
  private readonly servers = new Map<EndpointName, Server>();
  readonly bound = new Map<EndpointName, AddressInfo>();

  constructor(
    private readonly config: Pick<OpsConfig, 'health' | 'ready' | 'metrics'>,
    private readonly sources: EndpointSources,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const handlers: Record<EndpointName, Handler> = {
      // Alive for as long as the process serves, lameduck included: a restart then would cut
      // the graceful shutdown short.
      health: (res) => {
        // As CoreDNS's health plugin times its probes of /health (plugin/health/metrics.go): from
        // the request read to the answer handed to the socket; a busy event loop shows here.
        const start = process.hrtime.bigint();
        const observe = this.sources.observeHealthRequest;
        if (observe) res.once('finish', () => observe(Number(process.hrtime.bigint() - start) / 1e9));
        send(res, 200, 'OK');
      },
      ready: (res) => {
        const notReady = this.sources.notReady();
        if (notReady.length === 0) send(res, 200, 'OK');
        else send(res, 503, notReady.join(','));
      },
      metrics: async (res) => {
        const registry = this.sources.registry!;
        const body = await registry.metrics();
        send(res, 200, body, registry.contentType);
      },
    };
    try {
      for (const name of ['health', 'ready', 'metrics'] as const) {
        const address = this.config[name];
        if (!address || (name === 'metrics' && !this.sources.registry)) continue;
        await this.listen(name, address, handlers[name]);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const servers = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  private async listen(name: EndpointName, address: EndpointAddress, handler: Handler): Promise<void> {
    const path = `/${name}`;
    const server = createServer(HTTP_LIMITS, (req: IncomingMessage, res: ServerResponse) => {
      const url = (req.url ?? '/').split('?')[0];
      if (url !== path) return send(res, 404, `not found; this address serves ${path}\n`);
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'GET or HEAD\n');
      Promise.resolve(handler(res)).catch((error: unknown) => {
        this.logger.error({ err: error, endpoint: name }, `answering ${path} failed`);
        if (!res.headersSent) send(res, 500, 'internal error\n');
      });
    });
    this.servers.set(name, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const flag = `--${name}`;
        const reason = bindProblem(error.code, flag, address.port) ?? error.message;
        const message = `${flag} ${formatEndpointAddress(address)} (serving ${path}): ${reason}`;
        reject(Object.assign(new Error(message, { cause: error }), { code: error.code }));
      });
      // No host: every interface, IPv6 and IPv4 alike where the system allows.
      server.listen({ port: address.port, ...(address.host ? { host: address.host } : {}) }, () => resolve());
    });
    const bound = server.address() as AddressInfo;
    this.bound.set(name, bound);
    const host = address.host ?? '';
    this.logger.info(
      { endpoint: path, address: formatEndpointAddress({ ...(host ? { host } : {}), port: bound.port }) },
      `serving ${path}`,
    );
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
