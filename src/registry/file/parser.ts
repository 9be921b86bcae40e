// Parses zone files in a worker thread, one file at a time, each bounded in time and memory: a
// file that takes too long or needs too much memory is rejected with a problem that says so, the
// worker is terminated and the next file gets a fresh one. The answering thread only takes the
// converted objects back, a chunk per turn of its event loop, so answers never wait for more than
// one chunk's copy. The worker stays for a moment after its last job (a scan parses files one
// after another) and is then let go: an idle server holds no parser.
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { ClusterObject, Conversion } from '../model.js';
import type { ParseChunk, ParseJob, ParseReady } from './parse-worker.js';

/**
 * Run from source (the tests, under vitest) the worker runs the build of the same file: Node 20
 * cannot run TypeScript in a worker thread, and test/global-setup.ts builds dist/ first.
 */
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../../dist/registry/file/parse-worker.js', import.meta.url)
  : new URL('./parse-worker.js', import.meta.url);

/** The worker is let go after this long without a job. */
const IDLE_MS = 2000;

export interface ParserLimits {
  /** Longest a file may take to parse, for a file of `bytes`. */
  timeoutMs: (bytes: number) => number;
  /** The worker's heap, MB (V8's old generation): a parse that needs more is rejected. */
  heapMb: number;
}

interface Running {
  id: number;
  worker: Worker;
  port: MessagePort;
  settle: (result: Conversion) => void;
  timer: NodeJS.Timeout;
}

export class ZoneParser {
  private worker: Worker | undefined;
  private running: Running | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private closed = false;

  constructor(private readonly limits: ParserLimits) {}

  /** The file's objects, or the problems that reject it; jobs run one at a time. Never rejects. */
  parse(bytes: Uint8Array): Promise<Conversion> {
    const result = this.queue.then(() => this.run(bytes));
    this.queue = result;
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.running?.settle(problem('the zone backend is closing'));
    await this.stop();
  }

  private run(bytes: Uint8Array): Promise<Conversion> {
    if (this.closed) return Promise.resolve(problem('the zone backend is closing'));
    clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    const { port1, port2 } = new MessageChannel();
    const id = ++this.nextId;
    const timeoutMs = this.limits.timeoutMs(bytes.byteLength);
    return new Promise<Conversion>((resolve) => {
      const settle = (result: Conversion) => {
        if (this.running?.id !== id) return;
        clearTimeout(this.running.timer);
        this.running = undefined;
        port1.close();
        this.idleTimer = setTimeout(() => void this.stop(), IDLE_MS);
        this.idleTimer.unref();
        resolve(result);
      };
      const timer = setTimeout(() => {
        settle(
          problem(`parsing took longer than ${timeoutMs / 1000} s; the file is too large or too complex`),
        );
        void this.stop();
      }, timeoutMs);
      this.running = { id, worker, port: port1, settle, timer };
      const job: ParseJob = { id, bytes, port: port2 };
      // The bytes move to the worker rather than being copied.
      worker.postMessage(job, [port2, bytes.buffer as ArrayBuffer]);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_URL, {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb, maxYoungGenerationSizeMb: 16 },
    });
    worker.unref();
    worker.on('message', ({ id }: ParseReady) => {
      if (this.running?.id === id) void this.collect(this.running);
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const message =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `parsing needed more than the ${this.limits.heapMb} MB it may use; the file is too large or too complex`
          : `the parser failed: ${error.message}`;
      if (this.running?.worker === worker) this.running.settle(problem(message));
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      // A worker let go (idle, or past its deadline) has no job left; one that died had this one.
      if (this.running?.worker === worker)
        this.running.settle(problem('the parser stopped before it finished'));
    });
    this.worker = worker;
    return worker;
  }

  /** Takes the chunks one per turn of the event loop: each copy into this thread is short. */
  private async collect(running: Running): Promise<void> {
    const objects: ClusterObject[] = [];
    for (;;) {
      if (this.running !== running) return;
      const message = receiveMessageOnPort(running.port)?.message as ParseChunk | undefined;
      if (!message) return running.settle(problem('the parser sent an incomplete result'));
      if ('done' in message)
        return running.settle({ objects, skipped: message.skipped, problems: message.problems });
      for (const object of message.objects) objects.push(object);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

function problem(message: string): Conversion {
  return { objects: [], skipped: [], problems: [{ object: 'file', problem: message }] };
}
