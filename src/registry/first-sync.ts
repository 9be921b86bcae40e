// The first sync of a live backend: until its first whole view is delivered, start-up may wait for
// it (bounded by --startup-timeout) and readiness is false.

export class FirstSync {
  private synced = false;
  private abandoned = false;
  private readonly waiters = new Set<(synced: boolean) => void>();

  /** The first whole view has been delivered. */
  get done(): boolean {
    return this.synced;
  }

  /** True once synced; false if `timeoutMs` passes or `abandon()` comes first. */
  wait(timeoutMs: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.abandoned) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (synced: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(synced);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.waiters.add(done);
    });
  }

  /** Marks the backend synced and wakes everyone waiting. */
  complete(): void {
    this.synced = true;
    for (const waiter of [...this.waiters]) waiter(true);
  }

  /** The backend closed: nobody waits any longer, and later waits answer false at once. */
  abandon(): void {
    this.abandoned = true;
    for (const waiter of [...this.waiters]) waiter(false);
  }
}
