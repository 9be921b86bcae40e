// Nacos over gRPC (`--nacos-api grpc`, Nacos 2.x and 3.x): one session per Nacos namespace, and
// per service a subscription made again on every new connection; its answer holds the instances,
// and later changes arrive as pushes. A failed subscription is retried with backoff; a refused
// push keeps the service's last good instances.

import { backoffDelay } from '../kubernetes/backoff.js';
import { DEFAULT_MAX_BODY_BYTES, type NacosClient } from './client.js';
import type { ServiceState } from './delivery.js';
import { listServices, subscribe, whichService } from './grpc/naming.js';
import { NacosGrpcSession, type SessionServer } from './grpc/session.js';
import { readInstanceList } from './instances.js';
import { isPublicNamespace } from './names.js';
import { DEFAULT_PAGE_SIZE, GRPC_PORT_OFFSET, type NamespaceMapping, pollBounds } from './options.js';
import {
  nacosClient,
  pause,
  readAgain,
  readFailed,
  type ServiceSource,
  type SourceContext,
} from './source.js';

export class GrpcSubscriptions implements ServiceSource {
  /** One login client per server (logins go to the HTTP port), and one session per namespace. */
  private readonly loginClients: NacosClient[];
  private readonly sessions = new Map<string, NacosGrpcSession>();

  constructor(private readonly ctx: SourceContext) {
    this.loginClients = this.serverOptions().map((server) => nacosClient(ctx, server.url));
  }

  get servers(): string[] {
    return this.sessionServers().map((s) => `${s.host}:${s.port}`);
  }

  start(): void {
    for (const nacos of new Set(this.ctx.opts.namespaces.map((m) => grpcNamespace(m.nacos)))) {
      const session = this.newSession(nacos);
      this.sessions.set(nacos, session);
      session.start();
    }
  }

  async listServices(mapping: NamespaceMapping, signal: AbortSignal): Promise<string[]> {
    const namespace = grpcNamespace(mapping.nacos);
    const session = this.sessions.get(namespace)!;
    await session.waitConnected(1, signal);
    const pageSize = this.ctx.opts.pageSize ?? DEFAULT_PAGE_SIZE;
    return listServices(session, namespace, this.ctx.group, pageSize, signal);
  }

  /**
   * Subscribes the service on every new connection; the answer holds its instances, and later
   * changes arrive as pushes (pushed()). A failed subscription is retried with backoff.
   */
  async follow(state: ServiceState): Promise<void> {
    const { ctx } = this;
    const signal = AbortSignal.any([ctx.signal, state.controller.signal]);
    const where = { namespace: state.mapping.dns, service: state.nacosName };
    const namespace = grpcNamespace(state.mapping.nacos);
    const session = this.sessions.get(namespace)!;
    let minGeneration = 1;
    while (!signal.aborted) {
      let generation: number;
      try {
        generation = await session.waitConnected(minGeneration, signal);
        const info = await subscribe(session, namespace, ctx.group, state.nacosName, true, signal);
        if (signal.aborted) return;
        this.accept(state, info, generation);
        readAgain(ctx.opts, state, where, 'Nacos service subscribed again');
        minGeneration = generation + 1;
      } catch (error) {
        if (signal.aborted) return;
        const message = 'subscribing to Nacos instances failed; keeping their last good list';
        readFailed(ctx.opts, state, where, error, message);
        const retry = backoffDelay(state.failures, { initialMs: 100, maxMs: pollBounds(ctx.opts).maxMs });
        if (!(await pause(retry, signal))) return;
      }
      ctx.delivery.polled(state);
    }
  }

  forget(state: ServiceState): void {
    const namespace = grpcNamespace(state.mapping.nacos);
    const session = this.sessions.get(namespace);
    if (!session?.connected) return;
    subscribe(session, namespace, this.ctx.group, state.nacosName, false, this.ctx.signal).catch(
      () => undefined, // the next connection does not carry it anyway
    );
  }

  logins(): number {
    return this.loginClients.reduce((sum, c) => sum + (c.tokens?.logins ?? 0), 0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
  }

  private serverOptions(): { url: string; grpcPort?: number }[] {
    return this.ctx.opts.servers ?? [{ url: this.ctx.opts.url }];
  }

  private sessionServers(): SessionServer[] {
    return this.serverOptions().map((server, i) => {
      const url = new URL(server.url);
      const tls = url.protocol === 'https:';
      const httpPort = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
      const tokens = this.loginClients[i]?.tokens;
      return {
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: server.grpcPort ?? this.ctx.opts.grpcPort ?? httpPort + GRPC_PORT_OFFSET,
        tls,
        ...(tokens && { tokens }),
      };
    });
  }

  private newSession(namespace: string): NacosGrpcSession {
    const { opts } = this.ctx;
    return new NacosGrpcSession({
      namespaceId: namespace,
      servers: this.sessionServers(),
      logger: this.ctx.logger,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
      maxMessageBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ...(opts.healthCheckMs !== undefined && { healthCheckMs: opts.healthCheckMs }),
      onAnswer: () => this.ctx.delivery.answered(),
      // Relist at once: services deleted while disconnected go, new ones are subscribed.
      onConnected: () => this.ctx.relist(),
      onPush: (info) => this.pushed(namespace, info),
    });
  }

  /** A NotifySubscriberRequest: the instances of every served service it names. */
  private pushed(namespace: string, info: unknown): void {
    const which = whichService(info);
    if (!which) throw new Error('the push names no service');
    if (which.groupName !== '' && which.groupName !== this.ctx.group) return;
    const session = this.sessions.get(namespace)!;
    for (const state of this.ctx.delivery.services.values()) {
      if (grpcNamespace(state.mapping.nacos) !== namespace || state.nacosName !== which.name) continue;
      try {
        this.accept(state, info, session.generation);
      } catch (error) {
        this.ctx.logger.warn(
          { namespace: state.mapping.dns, service: state.nacosName, err: (error as Error).message },
          'Nacos push refused; keeping the last good instances',
        );
        throw error;
      }
    }
  }

  /** Applies a ServiceInfo unless one newer on this connection was applied already. */
  private accept(state: ServiceState, info: unknown, generation: number): void {
    const list = readInstanceList(info);
    const refTime = whichService(info)?.lastRefTime ?? 0;
    if (state.refGeneration === generation && refTime < (state.lastRefTime ?? 0)) return;
    state.refGeneration = generation;
    state.lastRefTime = refTime;
    this.ctx.delivery.apply(state, list);
  }
}

/** gRPC requests name the public namespace "public" (2.x's and 3.x's default namespace ID). */
function grpcNamespace(id: string): string {
  return isPublicNamespace(id) ? 'public' : id;
}
