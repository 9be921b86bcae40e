// What the primary and its workers say to each other over the cluster IPC channel (structured
// clone: `serialization: 'advanced'`, so Maps and Infinity travel as they are).
import type { BoundListener } from '../app/listeners.js';
import type { Config } from '../config/config.js';
import type { TableOp } from '../table/table.js';

/** A registry's metrics as `getMetricsAsJSON()` gives them: what prom-client's aggregate() sums. */
export type MetricsJson = unknown[];

/** Primary → worker. */
export type ToWorker =
  /** Server `server`'s table anew: the steps that build it from empty (at start, and on reload). */
  | { kind: 'table'; server: number; steps: TableOp[] }
  /** Steps the tables took since the last message, in order. */
  | { kind: 'steps'; steps: [server: number, step: TableOp][] }
  | { kind: 'start'; id: number; configs: Config[]; probeName: string; checkLoop: boolean }
  | { kind: 'reload'; configs: Config[]; force: boolean }
  | { kind: 'scrape'; id: number }
  | { kind: 'ping'; id: number }
  | { kind: 'close' };

/** Worker → primary. */
export type FromWorker =
  | { kind: 'hello' }
  | { kind: 'listening'; bound: BoundListener[][] }
  /** `given`: a problem of the configuration or of where it runs, not of the program (see ops/start-failure.ts). */
  | { kind: 'failed'; message: string; code?: string | undefined; given: boolean }
  /** The loop probe came back to this worker: an upstream forwards to us. */
  | { kind: 'loop' }
  | { kind: 'reloaded'; errors: string[] }
  | { kind: 'metrics'; id: number; servers: (MetricsJson | undefined)[] }
  | { kind: 'pong'; id: number };
