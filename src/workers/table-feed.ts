// The primary's tables, carried to the workers: a worker that joins gets each table as a replay
// (the steps that build it from empty), then every step the table takes, batched per turn of the
// event loop. One set of registry watches feeds every worker; a worker never asks a registry.
import type { ServiceTable, TableOp } from '../table/table.js';
import type { ToWorker } from './messages.js';

export interface FeedTarget {
  send(message: ToWorker): void;
}

export class TableFeed {
  private readonly tables: ServiceTable[] = [];
  private readonly unfollow: (() => void)[] = [];
  /** Workers that hold a replay of every table and take every step. */
  private readonly fed = new Set<FeedTarget>();
  private pending: [number, TableOp][] = [];
  private flushing = false;

  /** Server `server` serves from `table` now (at start, or a reload's new backends). */
  track(server: number, table: ServiceTable): void {
    if (this.tables[server] === table) return;
    this.flush();
    this.unfollow[server]?.();
    this.tables[server] = table;
    this.unfollow[server] = table.follow((step) => this.queue(server, step));
    const steps = table.replay();
    for (const target of this.fed) target.send({ kind: 'table', server, steps });
  }

  /** Forget the servers from `count` on (a reload removed them). */
  truncate(count: number): void {
    this.flush();
    for (const stop of this.unfollow.splice(count)) stop();
    this.tables.splice(count);
  }

  /** Give `target` every table as it is now, and every step from now on. */
  join(target: FeedTarget): void {
    this.flush();
    for (const [server, table] of this.tables.entries())
      target.send({ kind: 'table', server, steps: table.replay() });
    this.fed.add(target);
  }

  leave(target: FeedTarget): void {
    this.fed.delete(target);
  }

  /** Send the steps queued so far; call before any other message, so order holds. */
  flush(): void {
    if (this.pending.length === 0) return;
    const steps = this.pending;
    this.pending = [];
    for (const target of this.fed) target.send({ kind: 'steps', steps });
  }

  close(): void {
    this.truncate(0);
    this.fed.clear();
  }

  private queue(server: number, step: TableOp): void {
    if (this.fed.size === 0) return;
    this.pending.push([server, step]);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      this.flush();
    });
  }
}
