// The one contract every registry backend (zone files, Kubernetes, etcd, Nacos) keeps with the
// service table. A backend speaks its registry's protocol and nothing else: it never touches the
// table, it only hands over its whole current view and says when the registry vouched for it.

import type { ViewChanges } from '../table/table.js';
import type { TableContent } from '../table/types.js';

export type { ViewChanges };

export interface BackendSink {
  /** The backend's whole current view; replaces what it delivered before. */
  content(content: TableContent): void;
  /**
   * Changes to the view delivered before: a backend that knows what changed (a watch event) says
   * so, and one changed service in a large table costs that service's work, not the table's.
   */
  changes(changes: ViewChanges): void;
  /**
   * The registry just confirmed the view is current (a list, a watch event or bookmark, a poll that
   * answered). Drives readiness and `--max-stale`: a backend that stops calling this goes stale.
   */
  fresh(): void;
}

export interface RegistryBackend {
  /** `file`, `kubernetes`, `etcd`, `nacos`: the key of its view in the table, in logs and metrics. */
  readonly name: string;
  /**
   * Begins syncing. Resolves once the backend is running (not necessarily synced); rejects only
   * for a configuration it can never serve (a zone directory that does not exist, say).
   */
  start(sink: BackendSink): Promise<void>;
  /** True once the first full view was delivered; false if `timeoutMs` passes or it closes first. */
  whenSynced(timeoutMs: number): Promise<boolean>;
  /** Stops every request, watch and timer; resolves when nothing of it is left running. */
  close(): Promise<void>;
}
