// What each registry backend has delivered and when it last vouched for it: the source of the
// per-backend table sizes and sync ages that /metrics reports.
import type { TableContent } from '../table/types.js';

export interface BackendState {
  name: string;
  /** Content delivered at least once. */
  delivered: boolean;
  /** ms since the epoch of the last content or confirmation from the registry. */
  lastSyncAt?: number;
  services: number;
  endpoints: number;
  pods: number;
}

export class BackendStatus {
  private readonly states = new Map<string, BackendState>();

  constructor(private readonly clock: () => number = Date.now) {}

  add(name: string): void {
    this.states.set(name, { name, delivered: false, services: 0, endpoints: 0, pods: 0 });
  }

  delivered(name: string, content: TableContent): void {
    const state = this.states.get(name);
    if (!state) return;
    state.delivered = true;
    state.lastSyncAt = this.clock();
    state.services = content.services.length;
    state.endpoints = content.services.reduce((sum, service) => sum + service.endpoints.length, 0);
    state.pods = content.pods.length;
  }

  fresh(name: string): void {
    const state = this.states.get(name);
    if (state) state.lastSyncAt = this.clock();
  }

  all(): BackendState[] {
    return [...this.states.values()];
  }
}
