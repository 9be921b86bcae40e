// When each registry backend last delivered its view or had it confirmed: the source of the
// per-backend sync state and sync age that /metrics reports.

export interface BackendState {
  name: string;
  /** Content delivered at least once. */
  delivered: boolean;
  /** ms since the epoch of the last content, change or confirmation from the registry. */
  lastSyncAt?: number;
  /** Times it failed and was built again. */
  restarts: number;
  /** Reads from its registry (a line, page or body) dropped for passing their size cap. */
  oversizedReads: number;
}

export class BackendStatus {
  private readonly states = new Map<string, BackendState>();

  constructor(private readonly clock: () => number = Date.now) {}

  add(name: string): void {
    this.states.set(name, { name, delivered: false, restarts: 0, oversizedReads: 0 });
  }

  restarted(name: string): void {
    const state = this.states.get(name);
    if (state) state.restarts++;
  }

  oversizedRead(name: string): void {
    const state = this.states.get(name);
    if (state) state.oversizedReads++;
  }

  delivered(name: string): void {
    const state = this.states.get(name);
    if (!state) return;
    state.delivered = true;
    state.lastSyncAt = this.clock();
  }

  fresh(name: string): void {
    const state = this.states.get(name);
    if (state) state.lastSyncAt = this.clock();
  }

  all(): BackendState[] {
    return [...this.states.values()];
  }
}
