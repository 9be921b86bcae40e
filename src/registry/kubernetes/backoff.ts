// Retry pacing for the API client: jittered exponential backoff and an abortable sleep whose timer
// never keeps the process alive.

import { setTimeout as delay } from 'node:timers/promises';

export interface BackoffOptions {
  /** Delay after the first failure. */
  initialMs?: number;
  /** The delay doubles per consecutive failure up to this. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 200, maxMs: 30_000 };

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

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal.throwIfAborted();
    return;
  }
  await delay(ms, undefined, { signal, ref: false });
}
