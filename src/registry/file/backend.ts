// Serves the service table from a directory of zone files and follows edits to it. A file that
// stops validating keeps serving its last good content, so a typo never empties a zone.

import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { TableContent } from '../../table/types.js';
import type { BackendSink, RegistryBackend } from '../backend.js';
import type { ClusterObject } from '../model.js';
import { assembleZones } from './assemble.js';
import { listZoneFiles } from './load.js';
import { parseZoneText } from './parse.js';

export interface FileBackendOptions {
  dir: string;
  logger: Logger;
  /** Quiet time after a directory event before rescanning; editors write in several steps. */
  debounceMs?: number;
  /** Periodic full rescan, in case the platform drops watch events (network mounts, overlays). */
  rescanMs?: number;
}

interface FileState {
  /** Hash of the text (or read error) last examined, so an unchanged file is neither re-parsed nor re-reported. */
  seen: string;
  /** The last content that validated, still served while the file is broken. */
  good?: { hash: string; objects: ClusterObject[] };
}

export class FileBackend implements RegistryBackend {
  readonly name = 'file';
  private readonly dir: string;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private readonly rescanMs: number;
  private readonly files = new Map<string, FileState>();
  private onContent?: (content: TableContent) => void;
  private fingerprint?: string;
  private watcher?: FSWatcher;
  private debounceTimer?: NodeJS.Timeout;
  private rescanTimer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private scanAgain = false;
  private lastScanError?: string;
  private closed = false;

  constructor(opts: FileBackendOptions) {
    this.dir = opts.dir;
    this.logger = opts.logger;
    this.debounceMs = opts.debounceMs ?? 100;
    this.rescanMs = opts.rescanMs ?? 30_000;
  }

  /** Loads the directory, delivers its content once, then follows changes. */
  async start(sink: BackendSink): Promise<void> {
    if (this.onContent) throw new Error('FileBackend.start() was already called');
    const onContent = sink.content;
    const info = await stat(this.dir).catch(() => undefined);
    if (!info) throw new Error(`zone directory ${this.dir} does not exist`);
    if (!info.isDirectory()) throw new Error(`zone directory ${this.dir} is not a directory`);

    this.onContent = onContent;
    await this.scan();
    if (this.fingerprint === undefined) {
      throw new Error(
        `zone directory ${this.dir} could not be read: ${this.lastScanError ?? 'unknown error'}`,
      );
    }
    this.watchDirectory();
    this.rescanTimer = setInterval(() => {
      this.watchDirectory(); // re-arms a watch that died, e.g. after the directory was replaced
      void this.scan();
    }, this.rescanMs);
    this.rescanTimer.unref();
  }

  /** A directory is read whole before start() resolves: synced from then on. */
  whenSynced(): Promise<boolean> {
    return Promise.resolve(this.fingerprint !== undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearInterval(this.rescanTimer);
    this.watcher?.close();
    this.watcher = undefined;
    await this.scanning;
  }

  private watchDirectory(): void {
    if (this.watcher || this.closed) return;
    try {
      const watcher = watch(this.dir, { persistent: false }, () => this.scheduleScan());
      watcher.on('error', (error) => {
        this.logger.warn(
          { dir: this.dir, err: error },
          'zone directory watch failed; relying on periodic rescans',
        );
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
    } catch (error) {
      this.logger.warn(
        { dir: this.dir, err: error },
        'cannot watch zone directory; relying on periodic rescans',
      );
    }
  }

  /** Every event triggers a full rescan: cheap for a handful of files, and immune to missed names. */
  private scheduleScan(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.scan(), this.debounceMs);
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
      names = await listZoneFiles(this.dir);
      this.lastScanError = undefined;
    } catch (error) {
      // A vanished or unreadable directory is more likely a mount hiccup than an intent to serve nothing.
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastScanError) {
        this.logger.warn(
          { dir: this.dir, problem: message },
          'cannot read zone directory; keeping the current content',
        );
      }
      this.lastScanError = message;
      return;
    }

    for (const name of this.files.keys()) if (!names.includes(name)) this.files.delete(name);
    for (const name of names) await this.examine(name);
    if (this.closed) return;

    const good = names.flatMap((name) => {
      const state = this.files.get(name);
      return state?.good ? [{ name, ...state.good }] : [];
    });
    const fingerprint = good.map((f) => `${f.name}:${f.hash}`).join('\n');
    if (fingerprint === this.fingerprint) return;
    this.fingerprint = fingerprint;

    const { content, duplicates } = assembleZones(good.map((f) => ({ file: f.name, objects: f.objects })));
    for (const d of duplicates) {
      this.logger.warn(
        { file: join(this.dir, d.file), object: d.object, firstFile: join(this.dir, d.firstFile) },
        'zone object defined again in a later file; the first definition wins',
      );
    }
    this.logger.info(
      { dir: this.dir, files: good.length, services: content.services.length, pods: content.pods.length },
      'zone files loaded',
    );
    this.onContent?.(content);
  }

  /** Re-reads one file and, when its text changed, re-validates it. */
  private async examine(name: string): Promise<void> {
    const file = join(this.dir, name);
    const state = this.files.get(name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.files.delete(name); // removed between listing and reading
        return;
      }
      const seen = `error:${code ?? String(error)}`;
      if (state?.seen !== seen) {
        const problem = error instanceof Error ? error.message : String(error);
        this.logger.warn({ file, problem }, 'zone file unreadable; keeping its last good content');
      }
      this.files.set(name, { ...state, seen });
      return;
    }

    const hash = createHash('sha1').update(text).digest('base64url');
    if (state?.seen === hash) return;
    const { objects, skipped, problems } = parseZoneText(text);
    const [first] = problems;
    if (first) {
      this.logger.warn(
        {
          file,
          object: first.object,
          problem: first.problem,
          ...(problems.length > 1 && { otherProblems: problems.length - 1 }),
        },
        state?.good
          ? 'zone file rejected; keeping its last good content'
          : 'zone file rejected; it serves nothing until fixed',
      );
      this.files.set(name, { ...state, seen: hash });
      return;
    }
    for (const s of skipped) {
      this.logger.debug({ file, object: s.object, reason: s.reason }, 'zone object skipped');
    }
    this.files.set(name, { seen: hash, good: { hash, objects } });
  }
}
