// Who may have names outside the served zones resolved for them. Outside Kubernetes, by default
// the ranges a cluster's clients use: loopback, the private ranges (RFC 1918, RFC 4193 ULA), the
// shared address space that pod networks take (100.64.0.0/10, RFC 6598) and link-local (RFC 3927,
// RFC 4291; NodeLocal DNSCache listens on 169.254.20.10). A workstation's server must not become an
// open resolver because it was exposed on a public address. In a Kubernetes pod (the cluster's
// DNS, a sidecar) everyone may, as CoreDNS lets them: its clients are the cluster's pods, whose
// addresses may be global IPv6 or any range the network plugin chose, and the Service it sits
// behind is reachable from the cluster only.
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
  '100.64.0.0/10',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/** In a Kubernetes pod (the kubelet sets KUBERNETES_SERVICE_HOST in every one): everyone. */
export const IN_CLUSTER_ALLOW_RECURSION = ['0.0.0.0/0', '::/0'];

/** How often a client refused recursion is logged at most, with its address and the flag. */
export const REFUSED_LOG_INTERVAL_MS = 60_000;

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
