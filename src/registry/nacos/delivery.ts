// The Nacos view the table receives, shared by the HTTP pollers and the gRPC subscriptions: the last
// good instances of every served service, and their delivery. Changes within a few milliseconds
// are delivered together; nothing is delivered until every namespace has been listed and every
// service read once, so the first view is whole.

import type { Logger } from 'pino';
import type { Endpoint, PortSpec, Service, TableContent } from '../../table/types.js';
import type { BackendSink } from '../backend.js';
import { FirstSync } from '../first-sync.js';
import type { InstanceList } from './instances.js';
import type { NamespaceMapping } from './options.js';

export interface ServiceState {
  mapping: NamespaceMapping;
  /** The name as Nacos has it (case kept, group prefix stripped or not, as listed). */
  nacosName: string;
  label: string;
  controller: AbortController;
  /** The last good instances; undefined until the first successful poll. */
  endpoints?: Endpoint[];
  /**
   * The service last delivered, kept while its instances stay the same: the table tells changed
   * services by identity, so one change costs that service's work, not every service's.
   */
  service?: Service;
  fingerprint?: string;
  polled: boolean;
  failures: number;
  protected: boolean;
  /** Problems already logged, so a bad instance is named once, not on every poll. */
  logged: Set<string>;
  /** grpc: the connection and `lastRefTime` of the instances applied, so an older answer loses. */
  refGeneration?: number;
  lastRefTime?: number;
}

export interface DeliveryOptions {
  logger: Logger;
  namespaces: NamespaceMapping[];
  /** Changes arriving within this window are delivered together. Default 5 ms. */
  coalesceMs?: number;
}

export class Delivery {
  /** Served services by `dns namespace/label`. */
  readonly services = new Map<string, ServiceState>();
  readonly firstSync = new FirstSync();
  /** ms since the epoch of the last answer from the server. */
  lastSyncAt?: number;
  /** How many times any service entered the protection threshold. */
  protectionThresholdReached = 0;
  private readonly listed = new Set<string>();
  private sink?: BackendSink;
  private coalesceTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: DeliveryOptions) {}

  attach(sink: BackendSink): void {
    this.sink = sink;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.coalesceTimer);
    this.firstSync.abandon();
  }

  /** A namespace's service list was read (and reconciled). */
  listedNamespace(mapping: NamespaceMapping): void {
    this.listed.add(mapping.dns);
    this.answered();
    this.checkSynced();
  }

  /** A service's instances were read once, or failed to be: the first view need not wait for it. */
  polled(state: ServiceState): void {
    if (state.polled) return;
    state.polled = true;
    this.checkSynced();
  }

  /** A service left: its instances leave the view. */
  removed(key: string): void {
    this.services.delete(key);
    this.changed();
  }

  /** A service's instances as read; logged problems and the protection threshold, then delivered. */
  apply(state: ServiceState, list: InstanceList): void {
    const where = { namespace: state.mapping.dns, service: state.nacosName };
    const problems = new Set(list.problems.map((p) => `${p.instance}: ${p.problem}`));
    for (const problem of problems) {
      if (!state.logged.has(problem)) this.opts.logger.warn({ ...where, problem }, 'Nacos instance skipped');
    }
    state.logged = problems;
    if (list.reachProtectionThreshold !== state.protected) {
      state.protected = list.reachProtectionThreshold;
      if (state.protected) {
        this.protectionThresholdReached += 1;
        this.opts.logger.warn(
          where,
          'Nacos protection threshold reached: the server lists unhealthy instances as healthy, and they are served',
        );
      } else {
        this.opts.logger.info(where, 'Nacos protection threshold cleared');
      }
    }
    const fingerprint = JSON.stringify(list.endpoints);
    if (fingerprint === state.fingerprint) return;
    state.fingerprint = fingerprint;
    state.endpoints = list.endpoints;
    state.service = undefined;
    this.changed();
  }

  /** The server answered: the view is current (once it has been delivered at all). */
  answered(): void {
    this.lastSyncAt = Date.now();
    if (this.firstSync.done) this.sink?.fresh();
  }

  private checkSynced(): void {
    if (this.firstSync.done || this.coalesceTimer) return;
    if (this.whole()) this.changed();
  }

  private whole(): boolean {
    const allListed = this.opts.namespaces.every((m) => this.listed.has(m.dns));
    return allListed && [...this.services.values()].every((s) => s.polled);
  }

  private changed(): void {
    if (this.closed) return;
    if (!this.firstSync.done && !this.whole()) return;
    this.coalesceTimer ??= setTimeout(() => this.deliver(), this.opts.coalesceMs ?? 5);
    this.coalesceTimer.unref();
  }

  private deliver(): void {
    this.coalesceTimer = undefined;
    if (this.closed || !this.sink) return;
    const content = this.content();
    try {
      this.sink.content(content);
      if (!this.firstSync.done) {
        this.opts.logger.info({ services: content.services.length }, 'Nacos synced');
      }
      this.sink.fresh();
      this.firstSync.complete();
    } catch (error) {
      this.opts.logger.error({ err: error }, 'applying Nacos content failed');
    }
  }

  private content(): TableContent {
    const content: TableContent = {
      namespaces: [...new Set(this.opts.namespaces.map((m) => m.dns))],
      services: [],
      pods: [],
    };
    for (const state of this.services.values()) {
      if (state.endpoints === undefined) continue;
      state.service ??= {
        namespace: state.mapping.dns,
        name: state.label,
        type: 'Headless',
        clusterIPs: [],
        ports: uniquePorts(state.endpoints),
        endpoints: state.endpoints,
      };
      content.services.push(state.service);
    }
    return content;
  }
}

function uniquePorts(endpoints: Endpoint[]): PortSpec[] {
  const ports = new Map<string, PortSpec>();
  for (const port of endpoints.flatMap((e) => e.ports)) ports.set(`${port.name}/${port.port}`, port);
  return [...ports.values()];
}
