// One upstream server as the pool sees it: what it was asked, how it failed, and whether it is up.
// After `maxFails` failures in a row it is marked down and probed every `probeIntervalMs` with
// `. IN NS` (or forward's `health_check ... domain NAME`, RD clear with `no_rec`) until it answers
// anything at all; a reply of any rcode shows the server is there. `maxFails` 0 never marks it
// down, and so never probes it. Both as CoreDNS's forward plugin does
// (https://coredns.io/plugins/forward/: max_fails, health_check). Probes go over the transport
// questions go over: TCP when the pool is TCP only (force_tcp), UDP otherwise, and the upstream's
// TLS connections for a tls:// upstream (CoreDNS's health checks use the TO's protocol).
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { formatHostPort } from '../../config/address.js';
import type { DecodedMessage } from '../../dns/index.js';
import { RRClass, RRType, Rcode, type Question } from '../../dns/types.js';
import { DotUpstream, type DotStats } from './dot.js';
import { exchange } from './exchange.js';
import { LatencyHistogram, type LatencyStats } from './latency.js';
import type { DotConnectOptions } from '../../config/tls-context.js';
import type { Upstream } from '../../config/options/upstream-tls.js';

export type FailureKind = 'timeout' | 'network' | 'servfail' | 'refused';

export interface HealthOptions {
  timeoutMs: number;
  /** Failures in a row that mark the server down; 0: never. */
  maxFails: number;
  probeIntervalMs: number;
  /** The probe's name ('' is the root) and whether it asks for recursion. */
  probe: { name: string; recursion: boolean };
  /** Every query and probe over TCP (force_tcp). */
  tcpOnly: boolean;
  logger: Logger;
  /** For a tls:// upstream: how to connect, and how long an idle connection stays. */
  tls?: { connect: DotConnectOptions; expireMs: number };
}

export type Outcome =
  { ok: true; reply: DecodedMessage; truncated: boolean } | { ok: false; kind: FailureKind; error?: Error };

export interface UpstreamStats {
  /** HOST:PORT. */
  server: string;
  state: 'up' | 'down';
  queries: number;
  failures: Record<FailureKind, number>;
  /** Replies dropped for a wrong source, ID or question. */
  spoofedDropped: number;
  /** Truncated UDP replies retried over TCP. */
  tcpRetries: number;
  probes: number;
  /** Probes of a down server that got no reply. */
  probeFailures: number;
  /** Time to each reply, failed rcodes included; timeouts are not replies. */
  latency: LatencyStats;
  /** The same replies split by rcode. */
  byRcode: { rcode: number; latency: LatencyStats }[];
  /** A tls:// upstream's connections. */
  tls?: DotStats;
}

export class UpstreamServer {
  readonly name: string;
  private down = false;
  private consecutiveFails = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private queries = 0;
  private probes = 0;
  private probeFailures = 0;
  private spoofedDropped = 0;
  private tcpRetries = 0;
  private readonly failures: Record<FailureKind, number> = {
    timeout: 0,
    network: 0,
    servfail: 0,
    refused: 0,
  };
  private readonly latency = new LatencyHistogram();
  private readonly latencyByRcode = new Map<number, LatencyHistogram>();
  private readonly dot: DotUpstream | undefined;

  constructor(
    readonly address: Upstream,
    private readonly options: HealthOptions,
  ) {
    this.name = formatHostPort(address);
    if (address.tls && !options.tls)
      throw new Error(`${this.name} is a tls:// upstream; its TLS settings are missing`);
    this.dot =
      address.tls && options.tls
        ? new DotUpstream({
            server: address,
            connect: options.tls.connect,
            handshakeTimeoutMs: options.timeoutMs,
            expireMs: options.tls.expireMs,
            logger: options.logger,
          })
        : undefined;
  }

  get up(): boolean {
    return !this.down;
  }

  /**
   * Asks this server, over TCP alone when `tcp` (or the pool is TCP only); SERVFAIL and REFUSED
   * count as failures, so the pool moves on (CoreDNS does).
   */
  async ask(question: Question, dnssecOk: boolean, tcp = false): Promise<Outcome> {
    this.queries++;
    const started = performance.now();
    const result = await exchange(this.address, question, {
      timeoutMs: this.options.timeoutMs,
      dnssecOk,
      tcpOnly: tcp || this.options.tcpOnly,
      ...(this.dot ? { dot: this.dot } : {}),
    });
    this.spoofedDropped += result.dropped + (this.dot?.takeStrays() ?? 0);
    if (result.kind !== 'reply') {
      return this.failed(result.kind, result.kind === 'network' ? result.error : undefined);
    }
    const { rcode } = result.reply;
    const elapsed = performance.now() - started;
    this.latency.record(elapsed);
    let byRcode = this.latencyByRcode.get(rcode);
    if (!byRcode) this.latencyByRcode.set(rcode, (byRcode = new LatencyHistogram()));
    byRcode.record(elapsed);
    if (result.transport === 'tcp' || result.truncated) this.tcpRetries++;
    if (rcode === Rcode.REFUSED) return this.failed('refused');
    // Extended rcodes (over 15) answer EDNS features we never asked for: as unusable as SERVFAIL.
    if (rcode === Rcode.SERVFAIL || rcode > 15) return this.failed('servfail');
    this.consecutiveFails = 0;
    if (this.down) this.markUp('it answered a query');
    return { ok: true, reply: result.reply, truncated: result.truncated };
  }

  stats(): UpstreamStats {
    this.spoofedDropped += this.dot?.takeStrays() ?? 0;
    return {
      server: this.name,
      state: this.down ? 'down' : 'up',
      queries: this.queries,
      failures: { ...this.failures },
      spoofedDropped: this.spoofedDropped,
      tcpRetries: this.tcpRetries,
      probes: this.probes,
      probeFailures: this.probeFailures,
      latency: this.latency.stats(),
      byRcode: [...this.latencyByRcode].map(([rcode, latency]) => ({ rcode, latency: latency.stats() })),
      ...(this.dot ? { tls: this.dot.stats() } : {}),
    };
  }

  close(): void {
    this.closed = true;
    this.stopProbing();
    this.dot?.close();
  }

  private failed(kind: FailureKind, error?: Error): Outcome {
    this.failures[kind]++;
    this.consecutiveFails++;
    const { maxFails } = this.options;
    if (!this.down && maxFails > 0 && this.consecutiveFails >= maxFails) this.markDown(kind);
    return error ? { ok: false, kind, error } : { ok: false, kind };
  }

  private markDown(last: FailureKind): void {
    this.down = true;
    this.options.logger.warn(
      { upstream: this.name, failures: this.consecutiveFails, last },
      `upstream ${this.name} marked down after ${this.consecutiveFails} failures in a row (last: ${last}); ` +
        `probing it every ${this.options.probeIntervalMs} ms`,
    );
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setInterval(() => void this.probe(), this.options.probeIntervalMs);
    // Probing alone must not keep the process alive.
    this.probeTimer.unref();
  }

  private markUp(why: string): void {
    this.down = false;
    this.consecutiveFails = 0;
    this.stopProbing();
    this.options.logger.info({ upstream: this.name }, `upstream ${this.name} is up again: ${why}`);
  }

  private async probe(): Promise<void> {
    // A probe still waiting for its reply is enough; the next tick will try again.
    if (this.probing || this.closed) return;
    this.probing = true;
    this.probes++;
    try {
      const { probe, timeoutMs, tcpOnly } = this.options;
      const question: Question = { name: probe.name, type: RRType.NS, class: RRClass.IN };
      const result = await exchange(this.address, question, {
        timeoutMs,
        dnssecOk: false,
        tcpOnly,
        noRecursion: !probe.recursion,
        ...(this.dot ? { dot: this.dot } : {}),
      });
      if (result.kind !== 'reply') this.probeFailures++;
      else if (this.down && !this.closed) this.markUp('it answered a probe');
    } finally {
      this.probing = false;
    }
  }

  private stopProbing(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }
}
