// Serves the service table from a directory of zone files and follows edits to it. A file keeps
// serving its last good content through everything but its deletion: a typo, a read error, a
// dangling link, a file being rewritten (0 bytes, or still changing), a file over the size cap.
//
// Nothing here makes the thread that answers queries wait: files are checked and read with
// non-blocking calls under a deadline (a FIFO or a device is never opened; a read that hangs on a
// network mount holds only its own file), parsed in a worker thread (parser.ts), and a large
// change reaches the table in slices of CHANGE_SLICE services, one per turn of the event loop.
// Only the first load, before start() resolves and anything answers, is parsed and handed over
// in place: it is then faster and needs no second heap.

import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/config.js';
import { keyOf } from '../../table/service-index.js';
import type { Service, TableContent } from '../../table/types.js';
import type { BackendSink, RegistryBackend } from '../backend.js';
import { withDeadline } from '../deadline.js';
import type { ClusterObject } from '../model.js';
import { assembleZones } from './assemble.js';
import { listZoneFiles } from './load.js';
import { parseZoneBytes } from './parse.js';
import { ZoneParser } from './parser.js';
import { type FileRead, readZoneFile } from './read.js';

/** Defaults of --zones-max-bytes and --zones-settle, for a backend built without a Config. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_SETTLE_MS = 500;
/** The longest the listing, or the checks and read of one file, may take. */
const READ_TIMEOUT_MS = 5000;
/** Services per change handed to the table in one turn of the event loop (a few ms of work). */
const CHANGE_SLICE = 100;
/** Bytes hashed per turn of the event loop. */
const HASH_SLICE = 1024 * 1024;
/** While the directory is missing, how often to look for it again. */
const MISSING_DIR_RETRY_MS = 250;

export interface FileBackendOptions {
  dir: string;
  logger: Logger;
  /** Files larger than this are rejected, whole. */
  maxBytes?: number;
  /** A file is read once it has not changed for this long: a writer is done with it. */
  settleMs?: number;
  /** At start, a file that does not parse stops start-up (a ConfigError) rather than serving nothing. */
  strictStart?: boolean;
  /** Quiet time after a directory event before rescanning; editors write in several steps. */
  debounceMs?: number;
  /** Periodic full rescan, in case the platform drops watch events (network mounts, overlays). */
  rescanMs?: number;
}

interface FileState {
  /** The version (stat signature) last taken in, so an unchanged file is not read again. */
  signature?: string;
  /** A version seen still settling, and since when (see read.ts). */
  firstSeen?: { signature: string; at: number };
  /** Hash of the bytes last parsed, so a file touched but not changed is not parsed again. */
  hash?: string;
  /** The last problem logged for this file: each is logged once, not on every rescan. */
  reported?: string;
  /** The last content that validated, still served while the file is broken. */
  good?: { hash: string; objects: ClusterObject[] };
  /** A check or read is under way (or hung): no second one is started for this file. */
  busy?: boolean;
  /** Rejected by the parser or the cap: what stops start-up under strictStart. */
  rejected?: { object: string; problem: string };
}

export class FileBackend implements RegistryBackend {
  readonly name = 'file';
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly maxBytes: number;
  private readonly settleMs: number;
  private readonly strictStart: boolean;
  private readonly debounceMs: number;
  private readonly rescanMs: number;
  private readonly files = new Map<string, FileState>();
  private readonly parser: ZoneParser;
  private sink?: BackendSink;
  private fingerprint?: string;
  /** The services last handed to the table, by key: what the next change is measured against. */
  private delivered = new Map<string, Service>();
  private watcher?: FSWatcher;
  /** The directory the watch is on, by inode: a directory deleted and made again needs a new one. */
  private watchedIno?: number;
  private debounceTimer?: NodeJS.Timeout;
  private settleTimer?: NodeJS.Timeout;
  private rescanTimer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private scanAgain = false;
  private lastScanError?: string;
  /** The soonest a settling file should be looked at again, ms; undefined when none settles. */
  private settlingMs?: number;
  /** At start, while files settle: the first delivery waits for them. */
  private holding = false;
  private closed = false;

  constructor(opts: FileBackendOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger;
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.settleMs = opts.settleMs ?? DEFAULT_SETTLE_MS;
    this.strictStart = opts.strictStart ?? false;
    this.debounceMs = opts.debounceMs ?? 100;
    this.rescanMs = opts.rescanMs ?? 30_000;
    this.parser = new ZoneParser({
      // Generous for a file within the cap on a busy machine (js-yaml reads some 10 MB a second).
      timeoutMs: (bytes) => 10_000 + bytes / 1000,
      heapMb: parserHeapMb(this.maxBytes),
    });
  }

  /** Loads the directory, delivers its content once, then follows changes. */
  async start(sink: BackendSink): Promise<void> {
    if (this.sink) throw new Error('FileBackend.start() was already called');
    const info = await stat(this.dir).catch(() => undefined);
    // What was given is wrong, not the program: a ConfigError, told in one line (ops/start-failure.ts).
    if (!info)
      throw new ConfigError(
        `--zones ${this.dir}: the zone directory does not exist: create it, or name one that does`,
      );
    if (!info.isDirectory())
      throw new ConfigError(
        `--zones ${this.dir}: not a directory: name the directory that holds the zone files`,
      );

    this.sink = sink;
    // A file being written as the server starts is waited for (a while) rather than left out.
    this.holding = true;
    const waitUntil = Date.now() + 10 * this.settleMs + READ_TIMEOUT_MS;
    await this.scan();
    while (this.settlingMs !== undefined && Date.now() < waitUntil && !this.closed) {
      await new Promise((resolve) => setTimeout(resolve, this.settlingMs));
      await this.scan();
    }
    this.holding = false;
    if (this.fingerprint === undefined && this.lastScanError === undefined) await this.scan();
    if (this.fingerprint === undefined) {
      throw new ConfigError(
        `--zones ${this.dir}: the zone directory could not be read: ${this.lastScanError ?? 'unknown error'}`,
      );
    }
    const broken = [...this.files].find(([, state]) => state.rejected);
    if (this.strictStart && broken) {
      const [name, { rejected }] = broken;
      // Nothing has been served yet, so nothing is lost by stopping: better than serving NXDOMAIN.
      throw new ConfigError(`zone file ${join(this.dir, name)}: ${rejected!.object}: ${rejected!.problem}`);
    }
    this.rescanTimer = setInterval(() => void this.scan(), this.rescanMs);
    this.rescanTimer.unref();
  }

  /** A directory is read whole before start() resolves: synced from then on. */
  whenSynced(): Promise<boolean> {
    return Promise.resolve(this.fingerprint !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.settleTimer);
    clearInterval(this.rescanTimer);
    this.unwatch();
    await this.parser.close();
    await this.scanning;
  }

  /** Watches the directory as it is now; again when it was replaced (deleted and made again). */
  private watchDirectory(ino: number): void {
    if (this.closed || (this.watcher && this.watchedIno === ino)) return;
    this.unwatch();
    try {
      const watcher = watch(this.dir, { persistent: false }, () => this.scheduleScan(this.debounceMs));
      watcher.on('error', (error) => {
        this.logger.warn(
          { dir: this.dir, err: error },
          'zone directory watch failed; relying on periodic rescans',
        );
        watcher.close();
        if (this.watcher === watcher) this.unwatch();
      });
      this.watcher = watcher;
      this.watchedIno = ino;
    } catch (error) {
      this.logger.warn(
        { dir: this.dir, err: error },
        'cannot watch zone directory; relying on periodic rescans',
      );
    }
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedIno = undefined;
  }

  /** Every event triggers a full rescan: cheap for a handful of files, and immune to missed names. */
  private scheduleScan(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.scan(), delayMs);
  }

  /** Scans never overlap; a request during a scan runs one more scan after it. Never rejects. */
  private scan(): Promise<void> {
    if (this.scanning) {
      this.scanAgain = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.scanAgain = false;
        try {
          await this.scanOnce();
        } catch (error) {
          this.logger.error({ dir: this.dir, err: error }, 'zone rescan failed; keeping the current content');
        }
      } while (this.scanAgain && !this.closed);
      this.scanning = undefined;
    })();
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    let names: string[];
    try {
      const listed = await withDeadline(
        Promise.all([listZoneFiles(this.dir), stat(this.dir)]),
        READ_TIMEOUT_MS,
        'listing the directory',
      );
      names = listed[0];
      this.watchDirectory(listed[1].ino);
      if (this.lastScanError !== undefined)
        this.logger.info({ dir: this.dir }, 'zone directory readable again');
      this.lastScanError = undefined;
    } catch (error) {
      // A vanished or unreadable directory is more likely a mount hiccup, or a directory being
      // replaced, than an intent to serve nothing. Look again soon: a new one is watched at once.
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastScanError) {
        this.logger.warn(
          { dir: this.dir, problem: message },
          'cannot read zone directory; keeping the current content',
        );
      }
      this.lastScanError = message;
      this.unwatch();
      this.scheduleScan(MISSING_DIR_RETRY_MS);
      return;
    }

    for (const name of this.files.keys()) if (!names.includes(name)) this.files.delete(name);
    this.settlingMs = undefined;
    // Each file on its own: one that hangs holds only itself.
    await Promise.all(names.map((name) => this.examine(name)));
    if (this.closed) return;
    if (this.settlingMs !== undefined) {
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => void this.scan(), this.settlingMs);
    }

    const good = names.flatMap((name) => {
      const state = this.files.get(name);
      return state?.good ? [{ name, ...state.good }] : [];
    });
    const fingerprint = good.map((f) => `${f.name}:${f.hash}`).join('\n');
    if (fingerprint === this.fingerprint || (this.holding && this.settlingMs !== undefined)) return;

    // While start() holds, nothing answers from this view yet: no turn needs to be given back.
    const { content, duplicates } = await assembleZones(
      good.map((f) => ({ file: f.name, objects: f.objects })),
      this.holding ? noWait : nextTurn,
    );
    for (const d of duplicates) {
      this.logger.warn(
        { file: join(this.dir, d.file), object: d.object, firstFile: join(this.dir, d.firstFile) },
        'zone object defined again in a later file; the first definition wins',
      );
    }
    await this.deliver(content);
    this.fingerprint = fingerprint;
    this.logger.info(
      { dir: this.dir, files: good.length, services: content.services.length, pods: content.pods.length },
      'zone files loaded',
    );
  }

  /**
   * Hands the table what changed since the last delivery, CHANGE_SLICE services per turn of the
   * event loop: each service changes at once, and no turn holds the answering thread for long.
   */
  private async deliver(content: TableContent): Promise<void> {
    const next = new Map<string, Service>();
    for (const service of content.services) next.set(keyOf(service), service);
    if (this.holding) {
      // The first view, before start() resolves: the table takes it whole, in one step (with
      // --workers, one snapshot rather than a step per slice), as fast as it can be built.
      this.delivered = next;
      this.sink?.content(content);
      return;
    }
    const changed: [string, Service | undefined][] = [];
    for (const [key, service] of next) if (this.delivered.get(key) !== service) changed.push([key, service]);
    for (const key of this.delivered.keys()) if (!next.has(key)) changed.push([key, undefined]);
    this.delivered = next;
    let first = true;
    do {
      if (!first) await nextTurn();
      const slice = changed.splice(0, CHANGE_SLICE);
      // The lists go with the first slice: the namespaces of the services that follow exist.
      this.sink?.changes({
        services: new Map(slice),
        ...(first ? { namespaces: content.namespaces, pods: content.pods } : {}),
      });
      first = false;
    } while (changed.length > 0 && !this.closed);
  }

  /** Looks at one file and takes in a new version of it; every outcome but deletion keeps its last good content. */
  private async examine(name: string): Promise<void> {
    const file = join(this.dir, name);
    let state = this.files.get(name);
    if (!state) this.files.set(name, (state = {}));
    if (state.busy)
      return this.report(state, file, 'unreadable', 'a read of this file still has not finished');
    state.busy = true;
    const reading = readZoneFile(file, { maxBytes: this.maxBytes, settleMs: this.settleMs }, state);
    // The read stays marked busy until it really ends, even after its deadline has passed.
    void reading.finally(() => (state.busy = false)).catch(() => {});
    let read: FileRead | { kind: 'unchanged' };
    try {
      read = await withDeadline(reading, READ_TIMEOUT_MS, 'reading the file');
    } catch (error) {
      return this.report(state, file, 'unreadable', (error as Error).message);
    }
    switch (read.kind) {
      case 'unchanged':
        return;
      case 'gone':
        this.files.delete(name);
        return;
      case 'settling':
        if (state.firstSeen?.signature !== read.signature)
          state.firstSeen = { signature: read.signature, at: Date.now() };
        this.settlingMs = Math.min(this.settlingMs ?? Infinity, Math.max(read.waitMs, 10));
        return;
      case 'empty':
        state.signature = read.signature;
        return this.report(state, file, 'empty', 'the file is empty: taken as a write in progress');
      case 'unreadable':
        if (read.signature !== undefined) state.signature = read.signature;
        if (read.tooLarge) state.rejected = { object: 'file', problem: read.problem };
        return this.report(state, file, read.tooLarge ? 'rejected' : 'unreadable', read.problem);
      case 'read':
        return this.take(name, file, state, read.bytes, read.signature);
    }
  }

  /** Parses a new version of a file and keeps it if it validates. */
  private async take(
    name: string,
    file: string,
    state: FileState,
    bytes: Uint8Array,
    signature: string,
  ): Promise<void> {
    const hash = await hashOf(bytes);
    state.signature = signature;
    state.firstSeen = undefined;
    if (state.hash === hash) {
      if (!state.rejected) state.reported = undefined;
      return;
    }
    // Before start() resolves nothing is answering yet: parsing here is faster and needs no second
    // heap, and a file is still bounded by the size cap. From then on, the worker thread parses.
    const { objects, skipped, problems } = this.holding
      ? parseZoneBytes(bytes)
      : await this.parser.parse(bytes);
    if (this.closed || this.files.get(name) !== state) return;
    state.hash = hash;
    const [first] = problems;
    if (first) {
      state.rejected = first;
      this.report(state, file, 'rejected', first.problem, {
        object: first.object,
        ...(problems.length > 1 && { otherProblems: problems.length - 1 }),
      });
      return;
    }
    for (const s of skipped) {
      this.logger.debug({ file, object: s.object, reason: s.reason }, 'zone object skipped');
    }
    state.good = { hash, objects };
    state.rejected = undefined;
    state.reported = undefined;
  }

  /** Logs a file's problem once (until it changes), saying what is served meanwhile. */
  private report(
    state: FileState,
    file: string,
    kind: 'rejected' | 'unreadable' | 'empty',
    problem: string,
    fields: Record<string, unknown> = {},
  ): void {
    const key = `${kind}:${String(fields.object)}:${problem}`;
    if (state.reported === key) return;
    state.reported = key;
    const what = {
      rejected: ['zone file rejected', 'it serves nothing until fixed'],
      unreadable: ['zone file unreadable', 'it serves nothing until it can be read'],
      empty: ['zone file is empty, taken as a write in progress', 'it serves nothing yet'],
    }[kind];
    this.logger[kind === 'empty' ? 'info' : 'warn'](
      { file, ...fields, problem },
      `${what[0]}; ${state.good ? 'keeping its last good content' : what[1]}`,
    );
  }
}

/** The parse worker's heap: a file parses in about 6 times its size (js-yaml's documents and the conversion). */
export function parserHeapMb(maxBytes: number): number {
  return Math.ceil(32 + (8 * maxBytes) / (1024 * 1024));
}

/** The bytes' SHA-1, a megabyte per turn of the event loop: 50 MB at once would hold it some 50 ms. */
async function hashOf(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha1');
  for (let at = 0; at < bytes.length; at += HASH_SLICE) {
    if (at > 0) await nextTurn();
    hash.update(bytes.subarray(at, at + HASH_SLICE));
  }
  return hash.digest('base64url');
}

async function noWait(): Promise<void> {}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
