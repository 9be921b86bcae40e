// Response rate limiting (RRL) for UDP, after BIND's: each client network (/24 for IPv4, /56 for
// IPv6, BIND's defaults) may have `rate` responses a second. Beyond that, responses are dropped,
// except every `slip`-th, which goes out truncated (TC, no records but OPT) so that a real client
// behind the address retries over TCP, where the source address is proven and nothing is limited;
// a spoofed victim of a reflection attack gets a small packet instead of an amplified one.
//
// Each network has a balance, credited `rate` a second up to `rate` (no saving up beyond one
// second's worth) and debited per response; below zero the network is limited. The balance may
// fall to -`window`×`rate`, so a network that floods stays limited for up to `window` seconds
// after it stops. At most `maxClients` networks are tracked: a flood of spoofed sources pushes
// out the least recently seen, and the table never grows past its bound.
// https://bind9.readthedocs.io/en/latest/reference.html#response-rate-limiting
import { isIPv4 } from 'node:net';
import { writeIPv6 } from '../dns/address.js';
import { OPT_RECORD_SIZE, OPT_TYPE } from '../dns/edns.js';
import { ANCOUNT_AT, ARCOUNT_AT, FLAG_TC, HEADER_SIZE, NSCOUNT_AT, QDCOUNT_AT } from '../dns/header.js';
import { BUFSIZE_RANGE } from '../dns/reply-size.js';

export interface RateLimitOptions {
  /** Responses a second per client network. */
  rate: number;
  /** Every `slip`-th limited response is sent truncated; 0 drops them all, 1 truncates them all. */
  slip: number;
  /** Seconds of excess a network's balance remembers. */
  window: number;
  /** Networks tracked at most. */
  maxClients: number;
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number;
}

export type Verdict = 'send' | 'slip' | 'drop';

export interface RateLimitStats {
  /** Networks tracked now. */
  clients: number;
  /** Networks forgotten to keep the table within `maxClients`. */
  evicted: number;
}

interface Account {
  balance: number;
  /** When the balance was last credited, ms. */
  at: number;
  /** Limited responses so far, for the slip count. */
  limited: number;
}

export class RateLimiter {
  private readonly accounts = new Map<string, Account>();
  private readonly now: () => number;
  private readonly scratch = Buffer.alloc(16);
  private evicted = 0;

  constructor(private readonly options: RateLimitOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether a response to `clientAddress` goes out, truncated, or not at all. */
  check(clientAddress: string): Verdict {
    const key = this.networkOf(clientAddress);
    const now = this.now();
    const { rate, window, slip, maxClients } = this.options;
    let account = this.accounts.get(key);
    if (account) {
      // Most recently seen last: the first in the map is the one to forget.
      this.accounts.delete(key);
      account.balance = Math.min(rate, account.balance + ((now - account.at) / 1000) * rate);
      account.at = now;
    } else {
      account = { balance: rate, at: now, limited: 0 };
      if (this.accounts.size >= maxClients) {
        this.accounts.delete(this.accounts.keys().next().value as string);
        this.evicted++;
      }
    }
    this.accounts.set(key, account);
    account.balance = Math.max(-window * rate, account.balance - 1);
    if (account.balance >= 0) return 'send';
    account.limited++;
    return slip > 0 && account.limited % slip === 0 ? 'slip' : 'drop';
  }

  stats(): RateLimitStats {
    return { clients: this.accounts.size, evicted: this.evicted };
  }

  /** The client's /24 (IPv4) or /56 (IPv6) as a map key. */
  private networkOf(address: string): string {
    if (isIPv4(address)) return address.slice(0, address.lastIndexOf('.'));
    const mapped = address.startsWith('::ffff:') ? address.slice(7) : undefined;
    if (mapped !== undefined && isIPv4(mapped)) return mapped.slice(0, mapped.lastIndexOf('.'));
    try {
      writeIPv6(address.split('%')[0]!, this.scratch, 0);
    } catch {
      return address;
    }
    return this.scratch.toString('hex', 0, 7);
  }
}

/**
 * A reply cut down to what a slipped response carries: the header with TC set and no records,
 * the question, so the client knows what to ask again over TCP, and the OPT record if the reply
 * has one: a reply to a query with EDNS must carry one (RFC 6891 §6.1.1,
 * https://www.rfc-editor.org/rfc/rfc6891#section-6.1.1).
 */
export function truncatedReply(reply: Buffer): Buffer {
  let end = HEADER_SIZE;
  if (reply.readUInt16BE(QDCOUNT_AT) > 0) {
    // The question's name is the first in the message: never compressed, labels up to a zero.
    while (end < reply.length && reply[end] !== 0 && reply[end]! < 0xc0) end += reply[end]! + 1;
    end += end < reply.length && reply[end]! >= 0xc0 ? 6 : 5;
  }
  if (end > reply.length) end = HEADER_SIZE;
  const opt = endsWithOurOpt(reply, end);
  const cut = Buffer.allocUnsafe(end + (opt ? OPT_RECORD_SIZE : 0));
  reply.copy(cut, 0, 0, end);
  if (opt) reply.copy(cut, end, reply.length - OPT_RECORD_SIZE);
  cut[2]! |= FLAG_TC >>> 8;
  if (end === HEADER_SIZE) cut.writeUInt16BE(0, QDCOUNT_AT);
  cut.writeUInt16BE(0, ANCOUNT_AT);
  cut.writeUInt16BE(0, NSCOUNT_AT);
  cut.writeUInt16BE(opt ? 1 : 0, ARCOUNT_AT);
  return cut;
}

/**
 * Whether the reply's last record, past `from`, is the OPT record our replies end with when the
 * query had one (written last, root owner, a payload size `bufsize` may give, no options:
 * dns/encode.ts and the compiled answers both write it so).
 */
function endsWithOurOpt(reply: Buffer, from: number): boolean {
  const at = reply.length - OPT_RECORD_SIZE;
  const size = at >= 0 ? reply.readUInt16BE(at + 3) : 0;
  return (
    at >= from &&
    reply.readUInt16BE(ARCOUNT_AT) > 0 &&
    reply[at] === 0 &&
    reply.readUInt16BE(at + 1) === OPT_TYPE &&
    size >= BUFSIZE_RANGE.min &&
    size <= BUFSIZE_RANGE.max &&
    reply.readUInt16BE(at + 9) === 0
  );
}
