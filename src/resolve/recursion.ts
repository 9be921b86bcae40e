// Who may have names outside the served zones resolved for them: the clients in the ranges the
// options give (their defaults, and why, are config/options/access.ts's).
import { Address4, Address6 } from 'ip-address';
import { isIPv4 } from 'node:net';
import { parseCidrs, type Subnet } from '../config/cidr.js';
import type { Answer, Question } from '../dns/types.js';
import { refusedAnswer } from './chain.js';
import type { QueryContext, Resolver } from './types.js';

/** How often a client refused recursion is logged at most, with its address and the flag. */
export const REFUSED_LOG_INTERVAL_MS = 60_000;

/** Clients remembered per policy; past this many, the memory starts over (a flood of sources). */
const REMEMBERED_CLIENTS = 4096;

export class AddressPolicy {
  private readonly subnets: Subnet[];
  /** Verdicts by client address: parsing one costs about a microsecond, a look-up far less. */
  private readonly verdicts = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    this.subnets = parseCidrs(cidrs);
  }

  allows(address: string): boolean {
    let verdict = this.verdicts.get(address);
    if (verdict === undefined) {
      verdict = this.judge(address);
      if (this.verdicts.size >= REMEMBERED_CLIENTS) this.verdicts.clear();
      this.verdicts.set(address, verdict);
    }
    return verdict;
  }

  private judge(address: string): boolean {
    // An IPv4 client reaching an IPv6 socket appears as ::ffff:a.b.c.d.
    const plain = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    if (isIPv4(plain)) {
      const client = new Address4(plain);
      return this.subnets.some((subnet) => subnet.family === 4 && client.isInSubnet(subnet.net));
    }
    if (!Address6.isValid(plain)) return false;
    const client = new Address6(plain);
    return this.subnets.some((subnet) => subnet.family === 6 && client.isInSubnet(subnet.net));
  }
}

/**
 * A chain link in front of the forwarder: clients outside the policy get REFUSED, and
 * `onRefused` hears of one at most every REFUSED_LOG_INTERVAL_MS (so a log says why, and a flood
 * of refused clients writes one line a minute).
 */
export class RecursionGate implements Resolver {
  refused = 0;
  private lastTold = -Infinity;

  constructor(
    private readonly policy: AddressPolicy,
    private readonly next: Resolver,
    private readonly onRefused?: (clientAddress: string, refusedSoFar: number) => void,
  ) {}

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    if (!this.policy.allows(context.clientAddress)) {
      this.refused++;
      const now = performance.now();
      if (this.onRefused && now - this.lastTold >= REFUSED_LOG_INTERVAL_MS) {
        this.lastTold = now;
        this.onRefused(context.clientAddress, this.refused);
      }
      return refusedAnswer();
    }
    return this.next.resolve(question, context);
  }
}
