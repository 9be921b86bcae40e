// Which part of a server this process runs. Under --workers a server is split in two (see
// workers/): the primary's half holds the backends, the table and the ops endpoints; each worker's
// half holds a copy of the table, the resolvers and the listeners. The Part says which half this
// is, and what it asks of the other side.
import type { Registry } from 'prom-client';
import type { ServiceTable } from '../table/table.js';

/** Which part of a server this process runs. */
export type Part = WholeServer | RegistryPart | AnsweringPart;

/** Everything in one process: no --workers. */
export interface WholeServer {
  kind: 'whole';
}

/** The primary's half under --workers: backends, table and ops endpoints; workers answer. */
export interface RegistryPart {
  kind: 'registries';
  /** The table is in use: at start, and when a reload swaps in a new one. */
  tableInUse(table: ServiceTable): void;
  /** What of the workers keeps /ready from 200, by name. */
  notReady(): string[];
  /** The /metrics body: this process's metrics summed with every worker's. */
  metrics(own: Registry): Promise<string>;
}

/** A worker's half: a copy of the table, the resolvers and the listeners. */
export interface AnsweringPart {
  kind: 'answering';
  /** The copy of the primary's table, as of now (a reload with new backends takes the new one). */
  table(): ServiceTable;
  /** Shared by every worker: the probe one sends may come back to another. */
  probeName: string;
  /** Whether this worker sends the loop probe at start (one of them does). */
  checkLoop: boolean;
  /** The probe came back here. */
  onLoopProbe(): void;
}

export const WHOLE: WholeServer = { kind: 'whole' };
