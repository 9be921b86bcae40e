// Nacos over HTTP (`--nacos-api v1|v2|v3`): per service a poller reads its instance list at the
// interval the server advises (`cacheMillis`, held between --nacos-min-poll and 30 s). A poll that
// fails keeps that service's last good instances and is retried with backoff.

import { backoffDelay } from '../kubernetes/backoff.js';
import type { NacosClient } from './client.js';
import type { ServiceState } from './delivery.js';
import { readInstanceList } from './instances.js';
import { DEFAULT_PAGE_SIZE, DEFAULT_POLL_MS, type NamespaceMapping, pollBounds } from './options.js';
import {
  nacosClient,
  pause,
  readAgain,
  readFailed,
  type ServiceSource,
  type SourceContext,
} from './source.js';

export class HttpPoller implements ServiceSource {
  private readonly client: NacosClient;

  constructor(private readonly ctx: SourceContext) {
    this.client = nacosClient(ctx, ctx.opts.url);
  }

  get servers(): string {
    return this.client.origin;
  }

  start(): void {}

  listServices(mapping: NamespaceMapping, signal: AbortSignal): Promise<string[]> {
    const pageSize = this.ctx.opts.pageSize ?? DEFAULT_PAGE_SIZE;
    return this.client.listServices(mapping.nacos, this.ctx.group, pageSize, signal);
  }

  async follow(state: ServiceState): Promise<void> {
    const { ctx } = this;
    const signal = AbortSignal.any([ctx.signal, state.controller.signal]);
    const where = { namespace: state.mapping.dns, service: state.nacosName };
    const bounds = pollBounds(ctx.opts);
    while (!signal.aborted) {
      let wait: number;
      try {
        const body = await this.client.listInstances(state.mapping.nacos, ctx.group, state.nacosName, signal);
        const list = readInstanceList(body);
        if (signal.aborted) return;
        readAgain(ctx.opts, state, where, 'Nacos service polled again');
        ctx.delivery.apply(state, list);
        ctx.delivery.answered();
        const advised = list.cacheMillis ?? ctx.opts.defaultPollMs ?? DEFAULT_POLL_MS;
        wait = Math.min(bounds.maxMs, Math.max(bounds.initialMs, advised));
      } catch (error) {
        if (signal.aborted) return;
        readFailed(
          ctx.opts,
          state,
          where,
          error,
          'polling Nacos instances failed; keeping their last good list',
        );
        wait = backoffDelay(state.failures, bounds);
      }
      ctx.delivery.polled(state);
      if (!(await pause(wait, signal))) return;
    }
  }

  /** Its poller stops with the service's controller; nothing is held on the server. */
  forget(): void {}

  logins(): number {
    return this.client.tokens?.logins ?? 0;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
