// One instance kept registered in etcd: its key written under a lease that is kept alive while the
// process lives. Stopped cleanly, the lease is revoked and the key goes at once; killed, the lease
// expires after its TTL and etcd deletes the key (watchers see a DELETE). A lost lease (etcd's
// data replaced, or unreachable for longer than the lease) is granted anew and the key written
// again; while etcd cannot be reached it retries with backoff for as long as the process runs.
// Each change of state is logged once, never each attempt.

import { type Etcd3, type Lease, isRecoverableError } from 'etcd3';
import type { Logger } from 'pino';
import { withDeadline } from '../deadline.js';
import { type BackoffOptions, backoffDelay, sleep } from '../kubernetes/backoff.js';

export interface RegistrationOptions {
  client: Etcd3;
  key: string;
  value: string;
  /** Lease TTL in seconds; etcd may round a very short one up. */
  ttlSeconds: number;
  logger: Logger;
  /** Pacing of retries while etcd cannot be reached or refuses. Default REGISTER_BACKOFF. */
  backoff?: BackoffOptions;
  /** Longest time stop() takes, revoking included, when etcd is slow or gone. Default 2 s. */
  stopTimeoutMs?: number;
}

/** 200 ms doubling to 5 s, half of each delay random (backoffDelay): many instances restarted with
 * their etcd do not retry in lockstep, and one back within 5 s is registered again within 5 s. */
export const REGISTER_BACKOFF: Required<BackoffOptions> = { initialMs: 200, maxMs: 5000 };

/** What the last attempt found; a line is logged when this changes. */
type State = 'starting' | 'registered' | 'unreachable' | 'refused' | 'keepalive-failing';

export class Registration {
  private readonly opts: RegistrationOptions;
  private readonly logger: Logger;
  private readonly controller = new AbortController();
  /** The lease the key is written under, once etcd confirmed the write. */
  private lease?: Lease;
  private running?: Promise<void>;
  private state: State = 'starting';

  constructor(opts: RegistrationOptions) {
    this.opts = opts;
    this.logger = opts.logger.child({ key: opts.key });
  }

  start(): void {
    this.running ??= this.loop().catch((error: unknown) => {
      // The loop catches what etcd throws; anything else is a defect, and must not pass silently.
      this.logger.error({ err: error }, 'registration loop failed; no longer registering');
    });
  }

  /**
   * Revokes the lease (so the key goes now) and stops; resolves within `stopTimeoutMs` whatever
   * etcd does, leaving an unrevoked lease to expire after its TTL.
   */
  async stop(): Promise<void> {
    this.controller.abort(new Error('registration stopped'));
    const deadline = Date.now() + (this.opts.stopTimeoutMs ?? 2000);
    // A write still waiting for a silent etcd must not hold up the exit.
    await withDeadline(this.running ?? Promise.resolve(), deadline - Date.now(), 'the last attempt').catch(
      () => {},
    );
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) {
      this.logger.info('stopped; nothing was registered');
    } else {
      try {
        await withDeadline(lease.revoke(), Math.max(0, deadline - Date.now()), 'revoking the lease');
        this.logger.info('deregistered: lease revoked');
      } catch (error) {
        lease.release();
        this.logger.warn(
          { err: error },
          `cannot revoke the lease; the key goes when it expires (${this.opts.ttlSeconds} s)`,
        );
      }
    }
    this.opts.client.close();
  }

  private async loop(): Promise<void> {
    const { signal } = this.controller;
    const stopped = new Promise<undefined>((resolve) =>
      signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    let failures = 0;
    while (!signal.aborted) {
      const lease = this.opts.client.lease(this.opts.ttlSeconds, { autoKeepAlive: true });
      const lost = new Promise<Error>((resolve) => lease.once('lost', resolve));
      try {
        await lease.put(this.opts.key).value(this.opts.value);
        const id = await lease.grant();
        this.lease = lease;
        failures = 0;
        this.enter('registered', () =>
          this.logger.info({ lease: id, ttl: this.opts.ttlSeconds }, `registered under lease ${id}`),
        );
        this.followKeepAlive(lease, id);
        const error = await Promise.race([lost, stopped]);
        if (error === undefined) return;
        this.lease = undefined;
        lease.removeAllListeners();
        // Straight on to a new lease: if etcd is still away, that attempt says so.
        this.logger.warn({ err: error, lease: id }, 'lease lost; registering again');
        this.state = 'starting';
      } catch (error) {
        lease.release();
        lease.removeAllListeners();
        if (signal.aborted) return;
        failures++;
        const delayMs = backoffDelay(failures, { ...REGISTER_BACKOFF, ...this.opts.backoff });
        this.failed(error, failures, delayMs);
        await sleep(delayMs, signal).catch(() => {});
      }
    }
  }

  /** One line when etcd stops answering the keep-alives, one when it answers again. */
  private followKeepAlive(lease: Lease, id: string): void {
    // etcd3 types the argument as a response; it is the error (lease.js, handleKeepaliveError).
    lease.on('keepaliveFailed', (error: unknown) =>
      this.enter('keepalive-failing', () =>
        this.logger.warn(
          { err: error, lease: id },
          `etcd unreachable; the key stays until lease ${id} expires unless etcd answers first`,
        ),
      ),
    );
    lease.on('keepaliveSucceeded', () =>
      this.enter('registered', () => this.logger.info({ lease: id }, `etcd answers again; lease ${id} kept`)),
    );
  }

  private failed(error: unknown, failures: number, retryInMs: number): void {
    const fields = { err: error, failures, retryInMs };
    // A connection refused, a deadline passed, or the client holding off a host that keeps failing:
    // etcd is away. Anything else (a permission denied, say) is etcd answering no.
    const away =
      error instanceof Error &&
      (isRecoverableError(error) || (error as { isBrokenCircuitError?: boolean }).isBrokenCircuitError);
    const { initialMs, maxMs } = { ...REGISTER_BACKOFF, ...this.opts.backoff };
    const pacing = `retrying every ${initialMs / 1000}-${maxMs / 1000} s`;
    if (away) this.enter('unreachable', () => this.logger.warn(fields, `etcd unreachable; ${pacing}`));
    else {
      this.enter('refused', () =>
        this.logger.warn(fields, `etcd refused the registration: ${(error as Error).message}; ${pacing}`),
      );
    }
    this.logger.debug(fields, 'registration attempt failed');
  }

  private enter(state: State, log: () => void): void {
    if (this.state === state) return;
    this.state = state;
    log();
  }
}
