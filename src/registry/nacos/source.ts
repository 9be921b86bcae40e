// How the backend reads Nacos, whichever API: a source lists a namespace's services and follows
// each served service's instances into the shared delivery. poller.ts polls over HTTP,
// subscriptions.ts subscribes over gRPC; both fail the same way, logged once per run of failures.

import type { Logger } from 'pino';
import { setTimeout as delay } from 'node:timers/promises';
import { OversizedRead } from '../bounded-read.js';
import { NacosClient } from './client.js';
import type { Delivery, ServiceState } from './delivery.js';
import type { NacosBackendOptions, NamespaceMapping } from './options.js';

/** What a source needs of the backend. */
export interface SourceContext {
  opts: NacosBackendOptions;
  group: string;
  logger: Logger;
  /** The backend's lifetime. */
  signal: AbortSignal;
  delivery: Delivery;
  /** Reads every namespace's service list again now. */
  relist(): void;
}

export interface ServiceSource {
  /** Where it reads, for the start-up log line. */
  readonly servers: string | string[];
  start(): void;
  listServices(mapping: NamespaceMapping, signal: AbortSignal): Promise<string[]>;
  /** Follows one service's instances until the backend or the service stops. */
  follow(state: ServiceState): Promise<void>;
  /** The service is no longer served. */
  forget(state: ServiceState): void;
  /** Successful logins (0 without credentials). */
  logins(): number;
  close(): Promise<void>;
}

/** An HTTP client of one server, for reading (HTTP APIs) or for logging in (gRPC). */
export function nacosClient(ctx: SourceContext, url: string): NacosClient {
  const { opts } = ctx;
  return new NacosClient({
    url,
    // gRPC servers (2.x, 3.x) log in at the v1 path; the tokens are the cluster's.
    api: opts.api === 'grpc' || opts.api === undefined ? 'v1' : opts.api,
    ...(opts.credentials && { credentials: opts.credentials }),
    ...(opts.requestTimeoutMs !== undefined && { requestTimeoutMs: opts.requestTimeoutMs }),
    ...(opts.maxBodyBytes !== undefined && { maxBodyBytes: opts.maxBodyBytes }),
    signal: ctx.signal,
  });
}

/** A run of failed reads of one thing: a namespace's service list, or a service's instances. */
export interface FailureRun {
  failures: number;
}

/**
 * One more failed read of a run: an oversized answer is counted, and only the first failure of
 * the run is logged, so a server that stays down is named once, not on every retry.
 */
export function readFailed(
  opts: NacosBackendOptions,
  run: FailureRun,
  where: Record<string, unknown>,
  error: unknown,
  message: string,
): void {
  run.failures += 1;
  if (error instanceof OversizedRead) opts.onOversizedRead?.();
  if (run.failures === 1) opts.logger.warn({ ...where, ...failure(error) }, message);
}

/** A good read: a run of failures ends, said once. */
export function readAgain(
  opts: NacosBackendOptions,
  run: FailureRun,
  where: Record<string, unknown>,
  message: string,
): void {
  if (run.failures > 0) opts.logger.info(where, message);
  run.failures = 0;
}

/** The log fields of a failed read: its message, and for an oversized answer the path and the cap. */
function failure(error: unknown): Record<string, unknown> {
  if (error instanceof OversizedRead)
    return { err: error.message, url: error.url, limitBytes: error.limitBytes };
  return { err: (error as Error).message };
}

/**
 * Waits `ms`; false once the backend (or the service) is stopped. Unlike a watch, polling holds
 * no connection open between requests: this timer is what keeps the process alive meanwhile
 * (during start-up nothing else does), and close() aborts it.
 */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
