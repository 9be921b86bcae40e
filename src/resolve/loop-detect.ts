// Forwarding-loop detection at start-up, as CoreDNS's loop plugin does it: ask the upstreams a
// random name; if that question ever reaches this server, an upstream forwards back to us (a node
// resolv.conf pointing at the cluster DNS, say) and every external query would circle until it
// timed out. The probe is answered SERVFAIL here, so the circle stops at once.
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config/values.js';
import { namesEqual } from '../dns/index.js';
import { Rcode, type Answer, type Question } from '../dns/types.js';
import type { Resolver, UpstreamLookup } from './types.js';

const HINFO = 13;

/** A problem of the configuration (the upstreams given), not of the program: start-up ends with status 2. */
export class ForwardingLoopError extends ConfigError {}

/** `<random>.<random>.` like CoreDNS's probe: no cache anywhere can hold an answer for it. */
export function newProbeName(): string {
  return `${randomBytes(6).toString('hex')}.${randomBytes(6).toString('hex')}`;
}

export class LoopDetector implements Resolver {
  private seen = 0;

  /**
   * Processes that share the listeners (--workers) share the probe name: the probe one sends may
   * come back to another, which tells through `onSeen`.
   */
  constructor(
    readonly probeName = newProbeName(),
    private readonly onSeen?: () => void,
  ) {}

  resolve(question: Question): Answer | undefined {
    if (question.type !== HINFO || !namesEqual(question.name, this.probeName)) return undefined;
    this.seen++;
    this.onSeen?.();
    return { rcode: Rcode.SERVFAIL, authoritative: false, answers: [], authority: [], additional: [] };
  }

  /** Throws ForwardingLoopError when the probe came back to this server. */
  async check(upstream: UpstreamLookup, describe: string): Promise<void> {
    await upstream.lookup(this.probeName, HINFO).catch(() => undefined);
    if (this.seen > 0) throw new ForwardingLoopError(forwardingLoopMessage(describe));
  }
}

export function forwardingLoopMessage(upstreams: string): string {
  return (
    `forwarding loop: a query sent to the upstreams (${upstreams}) came back to this server; ` +
    'point --upstream (or --resolv-conf) at a resolver that does not forward to clusterdns'
  );
}
