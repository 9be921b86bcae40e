// Keeps a registry backend running whatever it throws. A backend that fails (the table refuses
// what it delivers, it reports an error it cannot recover from, or code of its own throws from an
// event handler or timer) is closed and started again from scratch after a jittered exponential
// backoff, logged and counted; until the new one delivers, the table keeps serving the last good
// view. The first start() is not retried: at start-up a rejection means a configuration the
// backend can never serve, and start-up stops with its message.
//
// Failures thrown from the backend's own callbacks are found through an AsyncLocalStorage: start()
// runs inside this supervisor's context, every socket, timer and promise the backend creates
// inherits it, and the process's uncaughtException and unhandledRejection handlers
// (ops/crash-policy.ts) hand an error raised there to failOwner().
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { BackendSink, RegistryBackend } from './backend.js';

export interface RestartPolicy {
  /** First wait, ms; doubled per failure in a row. Default 500. */
  initialMs: number;
  /** Longest wait, ms. Default 30 000. */
  maxMs: number;
}

export const RESTART_DEFAULTS: RestartPolicy = { initialMs: 500, maxMs: 30_000 };

const owner = new AsyncLocalStorage<SupervisedBackend>();

/**
 * Hands `error` to the supervisor whose backend's code raised it, if any: that backend is
 * restarted. False when no backend owns the code that was running.
 */
export function failOwner(error: unknown): boolean {
  const supervisor = owner.getStore();
  if (!supervisor) return false;
  supervisor.fail(error);
  return true;
}

export class SupervisedBackend implements RegistryBackend {
  readonly name: string;
  /** Restarts so far. */
  restarts = 0;
  private current: RegistryBackend;
  private sink: BackendSink | undefined;
  private failuresInARow = 0;
  private timer: NodeJS.Timeout | undefined;
  private restarting = false;
  private closed = false;

  constructor(
    first: RegistryBackend,
    /** A fresh backend, as the first was made. */
    private readonly make: () => Promise<RegistryBackend>,
    private readonly logger: Logger,
    private readonly onRestart: (name: string) => void = () => {},
    private readonly policy: RestartPolicy = RESTART_DEFAULTS,
  ) {
    this.name = first.name;
    this.current = first;
  }

  start(sink: BackendSink): Promise<void> {
    this.sink = sink;
    return this.startCurrent();
  }

  whenSynced(timeoutMs: number): Promise<boolean> {
    return this.current.whenSynced(timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.current.close();
  }

  /** The backend failed: close it and start a new one after the backoff. Repeats are ignored. */
  fail(error: unknown): void {
    if (this.closed || this.restarting) return;
    this.restarting = true;
    const delayMs = this.backoff();
    this.logger.error(
      { err: error, backend: this.name, restartInMs: delayMs },
      'registry backend failed; restarting it, the last good view keeps serving',
    );
    const failed = this.current;
    void failed
      .close()
      .catch((closeError: unknown) =>
        this.logger.warn({ err: closeError, backend: this.name }, 'closing the failed backend failed'),
      );
    this.timer = setTimeout(() => void this.restart(), delayMs);
  }

  private async restart(): Promise<void> {
    if (this.closed) return;
    this.restarts++;
    this.onRestart(this.name);
    try {
      this.current = await this.make();
      this.restarting = false;
      await this.startCurrent();
      this.logger.info({ backend: this.name, restarts: this.restarts }, 'registry backend restarted');
    } catch (error) {
      this.restarting = false;
      this.fail(error);
    }
  }

  private startCurrent(): Promise<void> {
    const sink = this.sink!;
    const backend = this.current;
    // Only the running backend may deliver: a failed one still winding down is ignored.
    const guard =
      <A extends unknown[]>(deliver: (...args: A) => void, synced: boolean) =>
      (...args: A) => {
        if (backend !== this.current || this.restarting) return;
        try {
          deliver(...args);
          if (synced) this.failuresInARow = 0;
        } catch (error) {
          this.fail(error);
        }
      };
    const guarded: BackendSink = {
      content: guard(sink.content, true),
      changes: guard(sink.changes, true),
      fresh: guard(sink.fresh, false),
    };
    return owner.run(this, () => backend.start(guarded));
  }

  /** Full jitter between half and all of initial × 2^failures, capped. */
  private backoff(): number {
    const ceiling = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** this.failuresInARow);
    this.failuresInARow = Math.min(this.failuresInARow + 1, 30);
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
