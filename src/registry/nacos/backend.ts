// Serves Nacos services: per mapped namespace a loop lists the group's services (paged) and
// re-lists them periodically; per service either a poller reads its instance list at the interval
// the server advises (`cacheMillis`, bounded: the HTTP APIs, poller.ts), or a subscription over
// Nacos's gRPC protocol receives its instances when they change (`grpc`, Nacos 2.x and 3.x;
// subscriptions.ts). A poll that fails keeps that service's last good instances; a server that is
// down keeps the whole last good view, and the table is told the view is fresh only when the
// server answered (delivery.ts). An answer over its size cap, or one that is not a list, counts as
// a failed poll: that service keeps its last good instances.

import type { Logger } from 'pino';
import type { BackendSink, RegistryBackend } from '../backend.js';
import { backoffDelay } from '../kubernetes/backoff.js';
import { Delivery, type ServiceState } from './delivery.js';
import { serviceLabel } from './names.js';
import {
  DEFAULT_GROUP,
  DEFAULT_RELIST_MS,
  type NacosBackendOptions,
  type NamespaceMapping,
  pollBounds,
} from './options.js';
import { HttpPoller } from './poller.js';
import { pause, readAgain, readFailed, type ServiceSource, type SourceContext } from './source.js';
import { GrpcSubscriptions } from './subscriptions.js';

export interface NacosBackendStatus {
  /** Every namespace listed and every service in it polled at least once. */
  synced: boolean;
  services: number;
  /** Services whose last poll failed: they serve their last good instances. */
  failing: string[];
  /** Services the server currently answers under its protection threshold (`ns/service`). */
  protectionThreshold: string[];
  /** How many times any service entered the protection threshold. */
  protectionThresholdReached: number;
  /** Successful logins (0 without credentials). */
  logins: number;
  /** ms since the epoch of the last answer from the server. */
  lastSyncAt?: number;
}

export class NacosBackend implements RegistryBackend {
  readonly name = 'nacos';
  private readonly source: ServiceSource;
  private readonly delivery: Delivery;
  private relistWake = new AbortController();
  private readonly logger: Logger;
  private readonly group: string;
  private readonly controller = new AbortController();
  /** Names skipped (not DNS labels, or a case-fold collision), so each is logged once. */
  private readonly skipped = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private closed = false;

  constructor(private readonly opts: NacosBackendOptions) {
    this.logger = opts.logger;
    this.group = opts.group ?? DEFAULT_GROUP;
    this.delivery = new Delivery(opts);
    const ctx: SourceContext = {
      opts,
      group: this.group,
      logger: this.logger,
      signal: this.controller.signal,
      delivery: this.delivery,
      relist: () => {
        this.relistWake.abort();
        this.relistWake = new AbortController();
      },
    };
    this.source = opts.api === 'grpc' ? new GrpcSubscriptions(ctx) : new HttpPoller(ctx);
  }

  start(sink: BackendSink): Promise<void> {
    if (this.started) throw new Error('NacosBackend.start() was already called');
    if (this.closed) throw new Error('NacosBackend was closed');
    this.started = true;
    this.delivery.attach(sink);
    this.logger.info(
      {
        server: this.source.servers,
        api: this.opts.api ?? 'v1',
        group: this.group,
        namespaces: Object.fromEntries(this.opts.namespaces.map((m) => [m.dns, m.nacos])),
        ...(this.opts.credentials && { username: this.opts.credentials.username }),
      },
      'syncing from Nacos',
    );
    this.source.start();
    for (const mapping of this.opts.namespaces) this.track(this.listLoop(mapping));
    return Promise.resolve();
  }

  status(): NacosBackendStatus {
    const key = (s: ServiceState) => `${s.mapping.dns}/${s.label}`;
    const { delivery } = this;
    const states = [...delivery.services.values()];
    return {
      synced: delivery.firstSync.done,
      services: states.length,
      failing: states.filter((s) => s.failures > 0).map(key),
      protectionThreshold: states.filter((s) => s.protected).map(key),
      protectionThresholdReached: delivery.protectionThresholdReached,
      logins: this.source.logins(),
      ...(delivery.lastSyncAt !== undefined && { lastSyncAt: delivery.lastSyncAt }),
    };
  }

  whenSynced(timeoutMs: number): Promise<boolean> {
    return this.delivery.firstSync.wait(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.controller.abort(new Error('Nacos backend closed'));
    for (const state of this.delivery.services.values()) state.controller.abort();
    this.delivery.close();
    await this.source.close();
    while (this.running.size > 0) await Promise.all(this.running);
  }

  private track(loop: Promise<void>): void {
    this.running.add(loop);
    void loop.finally(() => this.running.delete(loop));
  }

  private async listLoop(mapping: NamespaceMapping): Promise<void> {
    const signal = this.controller.signal;
    const run = { failures: 0 };
    const where = { namespace: mapping.dns, nacosNamespace: mapping.nacos };
    while (!signal.aborted) {
      let wait = this.opts.relistMs ?? DEFAULT_RELIST_MS;
      try {
        const names = await this.source.listServices(mapping, signal);
        readAgain(this.opts, run, { namespace: mapping.dns }, 'Nacos service list readable again');
        this.reconcile(mapping, names);
        this.delivery.listedNamespace(mapping);
      } catch (error) {
        if (signal.aborted) return;
        readFailed(this.opts, run, where, error, 'listing Nacos services failed; serving the last good view');
        wait = backoffDelay(run.failures, pollBounds(this.opts));
      }
      // A new gRPC connection relists at once (the wake); only the backend's end stops the loop.
      await pause(wait, AbortSignal.any([signal, this.relistWake.signal]));
      if (signal.aborted) return;
    }
  }

  /** Starts following services that appeared, stops following those that went. */
  private reconcile(mapping: NamespaceMapping, names: string[]): void {
    const wanted = new Map<string, string>();
    const skippedNow = new Set<string>();
    for (const name of [...new Set(names)].sort()) {
      const label = serviceLabel(name);
      const key = `${mapping.dns}/${name}`;
      let reason: string | undefined;
      if (label === undefined) reason = 'its name, lower-cased, is not a DNS label';
      else if (wanted.has(label)) reason = `"${wanted.get(label)}" already serves ${label}.${mapping.dns}`;
      if (reason === undefined) {
        wanted.set(label!, name);
        continue;
      }
      skippedNow.add(key);
      if (!this.skipped.has(key)) {
        this.skipped.add(key);
        this.logger.warn({ namespace: mapping.dns, service: name }, `Nacos service skipped: ${reason}`);
      }
    }
    for (const key of [...this.skipped]) {
      if (key.startsWith(`${mapping.dns}/`) && !skippedNow.has(key)) this.skipped.delete(key);
    }
    const services = this.delivery.services;
    for (const [key, state] of services) {
      if (state.mapping !== mapping || wanted.get(state.label) === state.nacosName) continue;
      state.controller.abort();
      this.source.forget(state);
      this.logger.info({ namespace: mapping.dns, service: state.nacosName }, 'Nacos service gone');
      this.delivery.removed(key);
    }
    for (const [label, nacosName] of wanted) {
      const key = `${mapping.dns}/${label}`;
      if (services.has(key)) continue;
      const state: ServiceState = {
        mapping,
        nacosName,
        label,
        controller: new AbortController(),
        polled: false,
        failures: 0,
        protected: false,
        logged: new Set(),
      };
      services.set(key, state);
      this.track(this.source.follow(state));
    }
  }
}
