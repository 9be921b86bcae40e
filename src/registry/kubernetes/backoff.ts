// Retry pacing for the API client: jittered exponential backoff, a pacer that remembers failures
// until the kind has been healthy for a while, and an abortable sleep whose timer never keeps the
// process alive.

import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs?: number;
  /** The delay doubles per consecutive failure up to this. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 200, maxMs: 30_000 };

export interface PacerOptions extends BackoffOptions {
  /**
   * Failures are consecutive until the loop has run this long without one. A successful list or
   * a watch event does not end the streak: a server that lists fine and then fails every watch
   * would otherwise be relisted as fast as the rate limit allows.
   */
  resetAfterMs?: number;
}

/**
 * client-go's reflector forgets its backoff after 2 minutes without a failure
 * (NewExponentialBackoffManager(800ms, 30s, 2min, 2.0, 1.0) in
 * https://github.com/kubernetes/client-go/blob/master/tools/cache/reflector.go). Its first retry
 * waits 800 ms; here 200 ms, since a dropped watch is usually a restarted API server that answers
 * at once, and only a repeated failure needs pacing.
 */
export const DEFAULT_RESET_AFTER_MS = 120_000;

/**
 * The delay before retry number `failures` (1 = first failure). Half of it is random so that many
 * replicas restarted together do not hit the API server in lockstep.
 */
export function backoffDelay(
  failures: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = opts.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = opts.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const full = Math.min(max, initial * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** Counts a loop's consecutive failures and says how long to wait after each. */
export class RetryPacer {
  private streak = 0;
  /** When the last retry began (performance.now()); health is counted from there. */
  private retriedAt = -Infinity;

  constructor(
    private readonly opts: PacerOptions,
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {}

  /** Failures in the current streak; 0 once the loop has been healthy long enough to forget them. */
  get failures(): number {
    return this.healthyLongEnough(this.now()) ? 0 : this.streak;
  }

  /**
   * Counts a failure and returns the wait before retrying: at least `atLeastMs` (a Retry-After).
   * With `promptFirst` the first failure of a streak is retried at once and the backoff starts
   * with the second (a 410 is cured by the relist it causes; only its repetition is paced).
   */
  failed(opts: { promptFirst?: boolean; atLeastMs?: number } = {}): number {
    const now = this.now();
    if (this.healthyLongEnough(now)) this.streak = 0;
    this.streak += 1;
    const step = opts.promptFirst ? this.streak - 1 : this.streak;
    const wait = Math.max(step === 0 ? 0 : backoffDelay(step, this.opts, this.random), opts.atLeastMs ?? 0);
    this.retriedAt = now + wait;
    return wait;
  }

  private healthyLongEnough(now: number): boolean {
    return now - this.retriedAt >= (this.opts.resetAfterMs ?? DEFAULT_RESET_AFTER_MS);
  }
}

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal.throwIfAborted();
    return;
  }
  await delay(ms, undefined, { signal, ref: false });
}
