// Who may have names outside the served zones resolved for them. By default loopback and the
// private ranges (RFC 1918, RFC 4193 ULA): a cluster DNS server must not become an open resolver
// because it was exposed on a public address.
import { Address4, Address6 } from 'ip-address';
import { isIPv4 } from 'node:net';
import type { Answer, Question } from '../dns/types.js';
import { refusedAnswer } from './chain.js';
import type { QueryContext, Resolver } from './types.js';

export const DEFAULT_ALLOW_RECURSION = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::1/128',
  'fc00::/7',
];

type Subnet = { family: 4; net: Address4 } | { family: 6; net: Address6 };

/** Parse CIDRs; throws naming the bad one. */
export function parseCidrs(cidrs: readonly string[]): Subnet[] {
  return cidrs.map((cidr) => {
    const text = cidr.includes('/') ? cidr : `${cidr}/${isIPv4(cidr) ? 32 : 128}`;
    if (Address4.isValid(text)) return { family: 4, net: new Address4(text) };
    if (Address6.isValid(text)) return { family: 6, net: new Address6(text) };
    throw new Error(`"${cidr}": expected an address range such as 10.0.0.0/8 or fd00::/8`);
  });
}

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

/** A chain link in front of the forwarder: clients outside the policy get REFUSED. */
export class RecursionGate implements Resolver {
  refused = 0;

  constructor(
    private readonly policy: AddressPolicy,
    private readonly next: Resolver,
  ) {}

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    if (!this.policy.allows(context.clientAddress)) {
      this.refused++;
      return refusedAnswer();
    }
    return this.next.resolve(question, context);
  }
}
