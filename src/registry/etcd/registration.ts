// One instance kept registered in etcd: its key written under a lease that is kept alive while the
// process lives. Stopped cleanly, the lease is revoked and the key goes at once; killed, the lease
// expires after its TTL and etcd deletes the key (watchers see a DELETE). A lost lease (etcd's
// data replaced, or unreachable for longer than the lease) is granted anew and the key written again.

import type { Etcd3, Lease } from 'etcd3';
import type { Logger } from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import { type BackoffOptions, backoffDelay, sleep } from '../kubernetes/backoff.js';

export interface RegistrationOptions {
  client: Etcd3;
  key: string;
  value: string;
  /** Lease TTL in seconds; etcd may round a very short one up. */
  ttlSeconds: number;
  logger: Logger;
  /** Pacing of retries while etcd cannot be reached. Default 200 ms doubling to 5 s. */
  backoff?: BackoffOptions;
  /** Longest wait for etcd to confirm the revoke on stop. Default 2 s. */
  revokeTimeoutMs?: number;
}

export class Registration {
  private readonly opts: RegistrationOptions;
  private readonly controller = new AbortController();
  private lease?: Lease;
  private running?: Promise<void>;

  constructor(opts: RegistrationOptions) {
    this.opts = opts;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Revokes the lease (so the key goes now) and stops; resolves when nothing is left running. */
  async stop(): Promise<void> {
    this.controller.abort(new Error('registration stopped'));
    const timeoutMs = this.opts.revokeTimeoutMs ?? 2000;
    // A write still waiting for an unreachable etcd must not hold up the exit.
    await within(this.running ?? Promise.resolve(), timeoutMs).catch(() => {});
    const lease = this.lease;
    this.lease = undefined;
    if (lease) {
      try {
        await within(lease.revoke(), timeoutMs);
        this.opts.logger.info({ key: this.opts.key }, 'deregistered: lease revoked');
      } catch (error) {
        lease.release();
        this.opts.logger.warn(
          { err: error, key: this.opts.key },
          `cannot revoke the lease; the key goes when it expires (${this.opts.ttlSeconds} s)`,
        );
      }
    }
    this.opts.client.close();
  }

  private async loop(): Promise<void> {
    const { signal } = this.controller;
    let failures = 0;
    while (!signal.aborted) {
      const lease = this.opts.client.lease(this.opts.ttlSeconds, { autoKeepAlive: true });
      this.lease = lease;
      const lost = new Promise<Error>((resolve) => lease.once('lost', resolve));
      try {
        await lease.put(this.opts.key).value(this.opts.value);
        failures = 0;
        this.opts.logger.info(
          { key: this.opts.key, lease: await lease.grant(), ttl: this.opts.ttlSeconds },
          'registered',
        );
        const stopped = new Promise<undefined>((resolve) =>
          signal.addEventListener('abort', () => resolve(undefined), { once: true }),
        );
        const error = await Promise.race([lost, stopped]);
        if (error === undefined) return;
        this.opts.logger.warn({ err: error, key: this.opts.key }, 'lease lost; registering again');
      } catch (error) {
        lease.release();
        if (signal.aborted) {
          this.lease = undefined;
          return;
        }
        failures++;
        const delayMs = backoffDelay(failures, { initialMs: 200, maxMs: 5000, ...this.opts.backoff });
        this.opts.logger.warn(
          { err: error, key: this.opts.key, failures, retryInMs: delayMs },
          'cannot register in etcd; retrying',
        );
        await sleep(delayMs, signal).catch(() => {});
      }
    }
  }
}

/** `promise`, or a rejection once `ms` pass first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise,
      delay(ms, undefined, { signal: timeout.signal, ref: false }).then(() => {
        throw new Error(`etcd did not answer within ${ms} ms`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}
