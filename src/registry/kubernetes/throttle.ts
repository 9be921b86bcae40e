// Client-side limits that keep one DNS server from flooding the API server, whatever a fault
// loop does: a token bucket on request starts and a cap on short requests in flight.

import { sleep } from './backoff.js';

export interface RateLimit {
  /** Sustained requests per second. */
  qps: number;
  /** Requests that may start at once after a quiet period. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { qps: 20, burst: 40 };

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }

  /** Waits for a token. Tokens are reserved in call order, so waiters are served fairly. */
  async take(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const now = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.qps);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return;
    try {
      await sleep((-this.tokens / this.limit.qps) * 1000, signal);
    } catch (error) {
      this.tokens += 1; // give the reservation back
      throw error;
    }
  }
}

/** At most `max` holders at once; the rest queue in order. */
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Resolves with a release function; rejects if `signal` aborts first. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    if (this.held >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal.removeEventListener('abort', abandon);
          resolve();
        };
        const abandon = () => {
          const at = this.waiting.indexOf(wake);
          if (at >= 0) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', abandon, { once: true });
        this.waiting.push(wake);
      });
    } else {
      this.held += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the next waiter, so `held` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift();
      if (next) next();
      else this.held -= 1;
    };
  }
}
