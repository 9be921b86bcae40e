// The upstream servers. Each question walks them in the order the policy gives (forward's `policy`,
// https://coredns.io/plugins/forward/): sequential is the order configured (as resolv.conf lists
// them), round_robin starts one further on for each question, random shuffles them for each
// question. It goes to the first server that is up; a timeout, a network error, SERVFAIL or
// REFUSED moves it to the next, each server at most once. When every server is down they are all
// tried anyway, in that order: a guess is better than certain failure (CoreDNS's forward plugin
// does the same).
import type { Logger } from 'pino';
import type { DecodedMessage } from '../../dns/index.js';
import type { Question } from '../../dns/types.js';
import { DEFAULT_TIMEOUT_MS } from './exchange.js';
import { UpstreamServer, type UpstreamStats } from './health.js';
import { dotContext } from '../../config/tls-context.js';
import type { PoolPolicy, UpstreamTransport } from '../../config/options/forward.js';
import type { Upstream } from '../../config/options/upstream-tls.js';
import type { UpstreamTls } from '../../config/tls-context.js';

export interface PoolOptions {
  /** At least one; the policy orders them. */
  servers: Upstream[];
  logger: Logger;
  /** Per attempt (UDP, then a TCP retry). Default 2000. */
  timeoutMs?: number;
  /** Failures in a row that mark a server down; 0 never does. Default 2. */
  maxFails?: number;
  /** How often a down server is probed. Default 500. */
  probeIntervalMs?: number;
  /** Questions waiting on upstreams at once; beyond this a question is refused. Default 1000. */
  maxConcurrent?: number;
  /** The order servers are tried in. Default sequential. */
  policy?: PoolPolicy;
  /** Default udp. */
  transport?: UpstreamTransport;
  /** The probe's name, '' for the root (the default), and whether it sets RD (default true). */
  probe?: { name: string; recursion: boolean };
  /** How tls:// servers are verified and how long their idle connections stay; the default trusts the system roots. */
  tls?: UpstreamTls;
}

/** forward's expire default. */
export const DEFAULT_EXPIRE_MS = 10_000;

export const POOL_DEFAULTS = {
  timeoutMs: DEFAULT_TIMEOUT_MS,
  maxFails: 2,
  probeIntervalMs: 500,
  maxConcurrent: 1000,
};
/** The smallest value each number takes: max_fails 0 is CoreDNS's "never mark down". */
const POOL_MINIMUMS: Record<keyof typeof POOL_DEFAULTS, number> = {
  timeoutMs: 1,
  maxFails: 0,
  probeIntervalMs: 1,
  maxConcurrent: 1,
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
  /** Questions that found every server down and tried them all anyway. */
  healthcheckBroken: number;
}

export class UpstreamPool {
  private readonly servers: UpstreamServer[];
  private readonly maxConcurrent: number;
  private readonly policy: PoolPolicy;
  private readonly transport: UpstreamTransport;
  /** Where round_robin starts the next question. */
  private next = 0;
  private inFlight = 0;
  private maxConcurrentRejects = 0;
  private healthcheckBroken = 0;

  constructor(options: PoolOptions) {
    if (options.servers.length === 0)
      throw new Error('no upstream servers given; pass at least one --upstream');
    const settings = { ...POOL_DEFAULTS, ...definedOnly(options) };
    for (const name of Object.keys(POOL_DEFAULTS) as (keyof typeof POOL_DEFAULTS)[]) {
      const value = settings[name];
      if (!Number.isInteger(value) || value < POOL_MINIMUMS[name]) {
        throw new RangeError(
          `upstream option ${name} must be a whole number of at least ${POOL_MINIMUMS[name]}, got ${value}`,
        );
      }
    }
    this.maxConcurrent = settings.maxConcurrent;
    this.policy = options.policy ?? 'sequential';
    this.transport = options.transport ?? 'udp';
    // Files are read and checked once, here, whichever upstreams use them.
    const tls = options.servers.some((server) => server.tls)
      ? {
          context: dotContext(options.tls ?? { expireMs: DEFAULT_EXPIRE_MS }),
          expireMs: options.tls?.expireMs ?? DEFAULT_EXPIRE_MS,
        }
      : undefined;
    this.servers = options.servers.map(
      (server) =>
        new UpstreamServer(server, {
          timeoutMs: settings.timeoutMs,
          maxFails: settings.maxFails,
          probeIntervalMs: settings.probeIntervalMs,
          probe: options.probe ?? { name: '', recursion: true },
          tcpOnly: this.transport === 'tcp',
          logger: options.logger,
          ...(tls && server.tls ? { tls: { connect: tls.context(server), expireMs: tls.expireMs } } : {}),
        }),
    );
  }

  /** `client` is the transport the client's question came over (only `client` transport heeds it). */
  async query(question: Question, dnssecOk = false, client: 'udp' | 'tcp' = 'udp'): Promise<PoolResult> {
    // A bound on sockets and memory when upstreams are slow and clients keep asking.
    if (this.inFlight >= this.maxConcurrent) {
      this.maxConcurrentRejects++;
      return { kind: 'overloaded' };
    }
    this.inFlight++;
    try {
      const order = this.ordered();
      const up = order.filter((server) => server.up);
      const tcp = this.transport === 'client' && client === 'tcp';
      // CoreDNS counts these as coredns_forward_healthcheck_broken_total: its health checks say no
      // server can answer, so they are probably what is broken (plugin/forward/forward.go).
      if (up.length === 0) this.healthcheckBroken++;
      for (const server of up.length > 0 ? up : order) {
        const outcome = await server.ask(question, dnssecOk, tcp);
        if (outcome.ok) {
          return { kind: 'reply', reply: outcome.reply, truncated: outcome.truncated, server: server.name };
        }
      }
      return { kind: 'failed' };
    } finally {
      this.inFlight--;
    }
  }

  /** The servers in the order this question tries them. */
  private ordered(): UpstreamServer[] {
    const servers = this.servers;
    if (this.policy === 'sequential' || servers.length === 1) return servers;
    if (this.policy === 'round_robin') {
      const start = this.next;
      this.next = (start + 1) % servers.length;
      return [...servers.slice(start), ...servers.slice(0, start)];
    }
    // Fisher-Yates: every order equally likely.
    const shuffled = [...servers];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    return shuffled;
  }

  stats(): PoolStats {
    const upstreams = this.servers.map((server) => server.stats());
    return {
      upstreams,
      inFlight: this.inFlight,
      maxConcurrentRejects: this.maxConcurrentRejects,
      spoofedDropped: upstreams.reduce((sum, upstream) => sum + upstream.spoofedDropped, 0),
      healthcheckBroken: this.healthcheckBroken,
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
