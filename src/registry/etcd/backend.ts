// Serves the service table from etcd keys in the SkyDNS layout. One range read of the prefix, then
// a watch from the revision after it: answers come from memory, never from a read per query. When
// etcd cancels the watch (its start revision was compacted away while we were disconnected) the
// prefix is read again and the whole view replaced. Through an outage the last good view serves.

import type { Etcd3, IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { FirstSync } from '../first-sync.js';
import type { BackendSink, RegistryBackend } from '../backend.js';
import { type BackoffOptions, backoffDelay, sleep } from '../kubernetes/backoff.js';
import { SkyDnsView } from './view.js';

export interface EtcdBackendOptions {
  /** The client; closed with the backend. */
  client: Etcd3;
  /** Normalized key prefix, e.g. `/skydns`. */
  prefix: string;
  /** Served forward zones: keys under `<prefix>/<zone reversed>/svc/` map. */
  zones: readonly string[];
  logger: Logger;
  /** Endpoints and authentication, no secrets: for the start-up log line. */
  connection?: Record<string, unknown>;
  /** Pacing of re-reads after a failed read. Default 200 ms doubling to 10 s. */
  backoff?: BackoffOptions;
  /**
   * How often a connected watch is confirmed with a count-only read, so a quiet prefix still counts
   * as fresh (etcd's own progress notices come every 10 minutes). Default 10 s.
   */
  freshIntervalMs?: number;
  /** Called for each read or watch batch refused for being over the response size limit. */
  onOversizedRead?: () => void;
}

export const DEFAULT_ETCD_BACKOFF: Required<BackoffOptions> = { initialMs: 200, maxMs: 10_000 };

export class EtcdBackend implements RegistryBackend {
  readonly name = 'etcd';

  private readonly opts: EtcdBackendOptions;
  private readonly logger: Logger;
  private readonly view: SkyDnsView;
  private readonly watchPrefix: string;
  private readonly controller = new AbortController();
  private readonly firstSync = new FirstSync();
  private sink?: BackendSink;
  private running?: Promise<void>;
  /** Ends the current watch so the loop reads again (or stops, when closed). */
  private endWatch?: () => void;
  private watchConnected = false;
  /** The newest revision the view reflects. */
  private revision = 0n;
  private freshTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(opts: EtcdBackendOptions) {
    this.opts = opts;
    this.logger = opts.logger;
    this.view = new SkyDnsView(opts.prefix, opts.zones, opts.logger);
    // The trailing slash keeps `/skydns2/...` out of `/skydns`.
    this.watchPrefix = `${opts.prefix}/`;
  }

  start(sink: BackendSink): Promise<void> {
    if (this.sink) throw new Error('EtcdBackend.start() was already called');
    if (this.closed) throw new Error('EtcdBackend was closed');
    this.sink = sink;
    this.logger.info(
      { ...this.opts.connection, prefix: this.opts.prefix, zones: this.opts.zones },
      'syncing from etcd',
    );
    this.running = this.loop();
    const interval = this.opts.freshIntervalMs ?? 10_000;
    this.freshTimer = setInterval(() => void this.confirmFresh(), interval);
    this.freshTimer.unref();
    return Promise.resolve();
  }

  whenSynced(timeoutMs: number): Promise<boolean> {
    return this.firstSync.wait(timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.freshTimer);
    this.controller.abort(new Error('etcd backend closed'));
    this.firstSync.abandon();
    this.endWatch?.();
    await this.running;
    this.opts.client.close();
  }

  /** Read, watch until the watch is cancelled, read again; back off after failed reads. */
  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      let revision: string;
      try {
        revision = await this.read();
        failures = 0;
      } catch (error) {
        if (this.closed) return;
        failures++;
        const delayMs = backoffDelay(failures, { ...DEFAULT_ETCD_BACKOFF, ...this.opts.backoff });
        const oversized = tooLarge(error);
        if (oversized) this.opts.onOversizedRead?.();
        const why = oversized ? 'etcd read failed: the response is over the size limit' : 'etcd read failed';
        this.logger.warn(
          { err: error, failures, retryInMs: delayMs },
          this.firstSync.done ? `${why}; serving the last good view` : why,
        );
        await sleep(delayMs, this.controller.signal).catch(() => {});
        continue;
      }
      // close() may have come while the read was delivering: no watch to start then.
      if (this.closed) return;
      await this.watch(revision);
    }
  }

  /** One range read of the prefix; replaces the view. Returns the revision it was read at. */
  private async read(): Promise<string> {
    const response = await this.opts.client.getAll().prefix(this.watchPrefix).exec();
    if (this.closed) return response.header.revision;
    this.view.replace(
      response.kvs.map((kv) => ({
        key: kv.key.toString('utf8'),
        value: kv.value,
        modRevision: kv.mod_revision,
      })),
    );
    this.revision = BigInt(response.header.revision);
    this.deliver('read', response.header.revision);
    return response.header.revision;
  }

  /** Watches from `revision + 1`; resolves when etcd cancels the watch or the backend closes. */
  private watch(revision: string): Promise<void> {
    return new Promise((resolve) => {
      // `watcher()` rather than `create()`: listeners must be in place before the first event, or
      // an 'error' emitted in between would have no listener and throw.
      const watcher = this.opts.client
        .watch()
        .prefix(this.watchPrefix)
        .startRevision((BigInt(revision) + 1n).toString())
        .watcher();
      let lost = false;
      const finish = () => {
        this.watchConnected = false;
        this.endWatch = undefined;
        watcher.removeAllListeners();
        // Keep a listener: an 'error' after this must not become an uncaught exception.
        watcher.on('error', () => {});
        resolve();
      };
      this.endWatch = () => {
        void watcher.cancel().catch(() => {});
        finish();
      };
      watcher.on('connected', (response: IWatchResponse) => {
        // A store behind what we have seen was replaced (wiped, restored from a backup): the watch
        // would wait for revisions that will carry other data. Only a new read is right.
        if (BigInt(response.header.revision) < this.revision) {
          this.logger.warn(
            { revision: response.header.revision, seen: this.revision.toString() },
            'etcd revision went backwards (data replaced); reading the prefix again',
          );
          this.endWatch?.();
          return;
        }
        // etcd3 moves its resume point to the revision of this reply, past events etcd is still to
        // replay to us; were the stream to drop again before they came, they would be skipped.
        resumeFrom(watcher, this.revision);
        this.watchConnected = true;
        if (lost) {
          lost = false;
          this.logger.info({ fromRevision: (this.revision + 1n).toString() }, 'etcd watch resumed');
        }
        this.sink?.fresh();
      });
      watcher.on('disconnected', (error: Error) => {
        if (tooLarge(error)) {
          this.opts.onOversizedRead?.();
          // Resuming would ask for the same batch and be refused it again, every reconnect, with
          // every later change stuck behind it. A read may fit (a batch of changes is bigger than
          // the prefix it leaves); if not, it fails and backs off while the last good view serves.
          this.logger.warn(
            { err: error },
            'etcd watch response over the size limit; reading the prefix again',
          );
          this.endWatch?.();
          return;
        }
        this.watchConnected = false;
        if (!lost) {
          lost = true;
          this.logger.warn({ err: error }, 'etcd watch disconnected; serving the last good view');
        }
      });
      watcher.on('data', (response: IWatchResponse) => {
        this.apply(response);
        // The same with a batch of replayed events: resume after the last one we applied.
        resumeFrom(watcher, this.revision);
      });
      watcher.on('error', (error: Error) => {
        // A cancelled watch (its revision compacted, or etcd dropped it) cannot resume: read again.
        this.logger.info({ err: error }, 'etcd watch cancelled; reading the prefix again');
        finish();
      });
    });
  }

  private apply(response: IWatchResponse): void {
    if (this.closed) return;
    // A batch of events is applied up to its last event; a progress notice vouches for its header.
    const last = response.events.at(-1);
    this.revision = BigInt(last ? last.kv.mod_revision : response.header.revision);
    for (const event of response.events) {
      const key = event.kv.key.toString('utf8');
      if (event.type === 'Delete') this.view.delete(key);
      else this.view.put(key, (event.kv as IKeyValue).value, event.kv.mod_revision);
    }
    // An empty response is a progress notice: nothing changed, and etcd says so.
    if (response.events.length > 0) this.deliver('watch', response.header.revision);
    else this.sink?.fresh();
  }

  private deliver(cause: 'read' | 'watch', revision: string): void {
    if (!this.sink) return;
    const content = this.view.content();
    try {
      this.sink.content(content);
      this.sink.fresh();
      this.firstSync.complete();
    } catch (error) {
      this.logger.error({ err: error }, 'applying etcd content failed');
    }
    const fields = { revision, keys: this.view.size, services: content.services.length };
    if (cause === 'read') this.logger.info(fields, 'etcd prefix read');
    else this.logger.debug(fields, 'etcd watch applied');
  }

  /** A quiet but connected watch: confirm etcd still answers before calling the view fresh. */
  private async confirmFresh(): Promise<void> {
    if (!this.firstSync.done || !this.watchConnected || this.closed) return;
    try {
      await this.opts.client.getAll().prefix(this.watchPrefix).count();
      if (this.watchConnected && !this.closed) this.sink?.fresh();
    } catch {
      // The watch reports the outage; the view just stops being fresh.
    }
  }
}

/**
 * A message over `grpc.max_receive_message_length` (connection.ts): grpc-js ends the call with
 * RESOURCE_EXHAUSTED and this text (stream-decoder.js), which etcd3's wrapped errors keep too.
 * etcd's own RESOURCE_EXHAUSTED answers (a full database, too many requests) are not this.
 */
function tooLarge(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Received message larger than max');
}

/** Makes `watcher` resume, after a reconnect, from the revision after `seen`. */
function resumeFrom(watcher: Watcher, seen: bigint): void {
  watcher.request.start_revision = (seen + 1n).toString();
}
