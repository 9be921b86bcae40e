// The upstream servers, in the order configured (as resolv.conf lists them). A question goes to the
// first server that is up; a timeout, a network error, SERVFAIL or REFUSED moves it to the next,
// each server at most once. When every server is down they are all tried anyway, in order: a
// guess is better than certain failure (CoreDNS's forward plugin does the same).
import type { Logger } from 'pino';
import type { HostPort } from '../../config/address.js';
import type { DecodedMessage } from '../../dns/index.js';
import type { Question } from '../../dns/types.js';
import { DEFAULT_TIMEOUT_MS } from './exchange.js';
import { UpstreamServer, type UpstreamStats } from './health.js';

export interface PoolOptions {
  /** Tried in this order. At least one. */
  servers: HostPort[];
  logger: Logger;
  /** Per attempt (UDP, then a TCP retry). Default 2000. */
  timeoutMs?: number;
  /** Failures in a row that mark a server down. Default 2. */
  maxFails?: number;
  /** How often a down server is probed. Default 500. */
  probeIntervalMs?: number;
  /** Questions waiting on upstreams at once; beyond this a question is refused. Default 1000. */
  maxConcurrent?: number;
}

export const POOL_DEFAULTS = {
  timeoutMs: DEFAULT_TIMEOUT_MS,
  maxFails: 2,
  probeIntervalMs: 500,
  maxConcurrent: 1000,
};

export type PoolResult =
  | { kind: 'reply'; reply: DecodedMessage; truncated: boolean; server: string }
  /** Every server tried failed. */
  | { kind: 'failed' }
  /** Not sent: too many questions already waiting on upstreams. */
  | { kind: 'overloaded' };

export interface PoolStats {
  upstreams: UpstreamStats[];
  inFlight: number;
  /** Questions refused because `maxConcurrent` were already in flight. */
  maxConcurrentRejects: number;
  /** Replies dropped for a wrong source, ID or question, over all servers. */
  spoofedDropped: number;
}

export class UpstreamPool {
  private readonly servers: UpstreamServer[];
  private readonly maxConcurrent: number;
  private inFlight = 0;
  private maxConcurrentRejects = 0;

  constructor(options: PoolOptions) {
    if (options.servers.length === 0)
      throw new Error('no upstream servers given; pass at least one --upstream');
    const settings = { ...POOL_DEFAULTS, ...definedOnly(options) };
    for (const name of Object.keys(POOL_DEFAULTS) as (keyof typeof POOL_DEFAULTS)[]) {
      const value = settings[name];
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`upstream option ${name} must be a whole number of at least 1, got ${value}`);
      }
    }
    this.maxConcurrent = settings.maxConcurrent;
    this.servers = options.servers.map(
      (server) =>
        new UpstreamServer(server, {
          timeoutMs: settings.timeoutMs,
          maxFails: settings.maxFails,
          probeIntervalMs: settings.probeIntervalMs,
          logger: options.logger,
        }),
    );
  }

  async query(question: Question, dnssecOk = false): Promise<PoolResult> {
    // A bound on sockets and memory when upstreams are slow and clients keep asking.
    if (this.inFlight >= this.maxConcurrent) {
      this.maxConcurrentRejects++;
      return { kind: 'overloaded' };
    }
    this.inFlight++;
    try {
      const up = this.servers.filter((server) => server.up);
      for (const server of up.length > 0 ? up : this.servers) {
        const outcome = await server.ask(question, dnssecOk);
        if (outcome.ok) {
          return { kind: 'reply', reply: outcome.reply, truncated: outcome.truncated, server: server.name };
        }
      }
      return { kind: 'failed' };
    } finally {
      this.inFlight--;
    }
  }

  stats(): PoolStats {
    const upstreams = this.servers.map((server) => server.stats());
    return {
      upstreams,
      inFlight: this.inFlight,
      maxConcurrentRejects: this.maxConcurrentRejects,
      spoofedDropped: upstreams.reduce((sum, upstream) => sum + upstream.spoofedDropped, 0),
    };
  }

  /** Stops the probe timers. Questions already sent finish within their timeout. */
  close(): void {
    for (const server of this.servers) server.close();
  }
}

/** The options actually given, so an explicit `undefined` does not hide a default. */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
