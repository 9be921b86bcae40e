// CoreDNS's dns64 plugin (RFC 6147, https://www.rfc-editor.org/rfc/rfc6147) in front of a block's
// chain: an AAAA question of class IN from an IPv6 client (any client with allowIPv4) whose answer
// holds no AAAA record is asked again for A, and each A record comes back as an AAAA record with
// its IPv4 address embedded in the prefix (RFC 6052 §2.2), so an IPv6-only client reaches an
// IPv4-only name through a NAT64 gateway. As CoreDNS 1.14 does it (plugin/dns64/dns64.go):
// - NXDOMAIN passes through (RFC 6147 §5.1.2); any other rcode counts as an empty answer;
// - with translateAll every answer but NXDOMAIN is synthesized, its own AAAA records dropped;
// - the A answer's other records (CNAMEs) stay, and its authority and additional sections are
//   the reply's (§5.3.2); each synthesized TTL is the least of the A record's and the AAAA
//   answer's SOA record's, or 600 s when it had none (§5.1.7);
// - the reply is not authoritative: its AAAA records are no zone's data.
// One choice differs from CoreDNS: an A answer with an rcode other than NOERROR leaves the AAAA
// answer as it was (CoreDNS replies NOERROR with no records), so a client refused recursion is
// still told REFUSED, and a failing upstream still SERVFAIL.
import { isIPv4 } from 'node:net';
import { formatIPv6, writeIPv4, writeIPv6 } from '../../dns/address.js';
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import type { AnsweringChain } from '../chain.js';
import type { QueryContext } from '../types.js';

/** The well-known prefix, RFC 6052 §2.1. */
export const DNS64_DEFAULT_PREFIX = '64:ff9b::/96';
/** The prefix lengths an IPv4 address can be embedded under, RFC 6052 §2.2. */
const PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96];
/** The synthesized TTL's cap when the AAAA answer carries no SOA (CoreDNS's, RFC 6147 §5.1.7). */
const NO_SOA_TTL = 600;

export interface Dns64Options {
  /** `ADDRESS/LENGTH`, an IPv6 prefix of a length of PREFIX_LENGTHS. */
  prefix: string;
  /** Synthesize even when the name has AAAA records (CoreDNS's translate_all). */
  translateAll: boolean;
  /** Synthesize for IPv4 clients too (CoreDNS's allow_ipv4). */
  allowIPv4: boolean;
}

export interface Dns64Prefix {
  /** The prefix's 16 bytes, its bits past `length` zero. */
  bytes: Buffer;
  length: number;
}

/** `ADDRESS/LENGTH` as a prefix; throws saying what was expected. */
export function parseDns64Prefix(text: string): Dns64Prefix {
  const expected = `expected an IPv6 prefix of length ${PREFIX_LENGTHS.join(', ')} (RFC 6052), such as ${DNS64_DEFAULT_PREFIX}`;
  const match = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text);
  const length = match ? Number(match[2]) : NaN;
  if (!match || !PREFIX_LENGTHS.includes(length)) throw new Error(`"${text}": ${expected}`);
  const bytes = Buffer.alloc(16);
  try {
    writeIPv6(match[1]!, bytes, 0);
  } catch {
    throw new Error(`"${text}": ${expected}`);
  }
  // Bits past the length are the host part: dropped, as CoreDNS's net.ParseCIDR drops them.
  bytes.fill(0, length / 8);
  return { bytes, length };
}

/** The IPv4 address embedded in the prefix, RFC 6052 §2.2: its bits 64-71 (the u-octet) stay zero. */
export function embedIPv4({ bytes, length }: Dns64Prefix, ipv4: string): string {
  const v4 = Buffer.alloc(4);
  writeIPv4(ipv4, v4, 0);
  const v6 = Buffer.from(bytes);
  let at = length / 8;
  for (const byte of v4) {
    if (at === 8) at++;
    v6[at++] = byte;
  }
  return formatIPv6(v6, 0);
}

/** Whether the client asked over IPv6: one on a dual-stack socket shows as ::ffff:a.b.c.d (IPv4). */
function isIPv6Client(address: string): boolean {
  return address.includes(':') && !(address.startsWith('::ffff:') && isIPv4(address.slice(7)));
}

export class Dns64Chain implements AnsweringChain {
  /**
   * Whether the last answer may differ from client to client or from one asking to the next: an
   * AAAA answer dns64 synthesized or would synthesize for another client (an IPv6 one, or when A
   * records appear), or one the chain behind rewrote. It must then not be compiled under the
   * asked question (see answers/precompiled.ts). Read it right after resolve().
   */
  rewrote = false;
  private link = -1;
  private readonly prefix: Dns64Prefix;

  constructor(
    private readonly chain: AnsweringChain,
    private readonly options: Dns64Options,
  ) {
    this.prefix = parseDns64Prefix(options.prefix);
  }

  /** The link of the inner chain that took the asked question, for the metrics' plugin label. */
  get answeredBy(): number {
    return this.link;
  }

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> {
    const answer = this.chain.resolve(question, context);
    this.link = this.chain.answeredBy;
    const rewrote = this.chain.rewrote;
    // RFC 6147 §5.1: only AAAA questions of class IN.
    if (question.type !== RRType.AAAA || question.class !== RRClass.IN) {
      this.rewrote = rewrote;
      return answer;
    }
    const translates = this.options.allowIPv4 || isIPv6Client(context.clientAddress);
    if (answer instanceof Promise) {
      this.rewrote = true;
      return translates ? answer.then((settled) => this.translate(question, context, settled)) : answer;
    }
    this.rewrote = rewrote || this.wants(answer);
    return translates ? this.translate(question, context, answer) : answer;
  }

  /** Whether the AAAA answer is to be synthesized (CoreDNS's responseShouldDNS64). */
  private wants(answer: Answer): boolean {
    if (answer.rcode === Rcode.NXDOMAIN) return false;
    if (this.options.translateAll) return true;
    return !answer.answers.some((record) => record.data.type === 'AAAA');
  }

  private translate(question: Question, context: QueryContext, aaaa: Answer): Answer | Promise<Answer> {
    if (!this.wants(aaaa)) return aaaa;
    const a = this.chain.resolve({ ...question, type: RRType.A }, context);
    return a instanceof Promise
      ? a.then((settled) => this.synthesize(aaaa, settled))
      : this.synthesize(aaaa, a);
  }

  private synthesize(aaaa: Answer, a: Answer): Answer {
    if (a.rcode !== Rcode.NOERROR) return aaaa;
    let soaTtl = NO_SOA_TTL;
    for (const record of aaaa.authority) if (record.data.type === 'SOA') soaTtl = record.ttl;
    const answers = a.answers.map((record): ResourceRecord => {
      if (record.data.type !== 'A') return record;
      return {
        name: record.name,
        ttl: Math.min(record.ttl, soaTtl),
        ...(record.class !== undefined ? { class: record.class } : {}),
        data: { type: 'AAAA', address: embedIPv4(this.prefix, record.data.address) },
      };
    });
    return {
      rcode: Rcode.NOERROR,
      authoritative: false,
      ...(a.ra !== undefined ? { ra: a.ra } : {}),
      ...(a.truncated ? { truncated: true } : {}),
      answers,
      authority: a.authority,
      additional: a.additional,
    };
  }
}
