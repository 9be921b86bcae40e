// Response rate limiting (RRL) for UDP, after BIND's: each client network (/24 for IPv4, /56 for
// IPv6, BIND's defaults) may have `rate` responses a second. Beyond that, responses are dropped,
// except every `slip`-th, which goes out truncated (TC, no records) so that a real client behind
// the address retries over TCP, where the source address is proven and nothing is limited; a
// spoofed victim of a reflection attack gets a small packet instead of an amplified one.
//
// Each network has a balance, credited `rate` a second up to `rate` (no saving up beyond one
// second's worth) and debited per response; below zero the network is limited. The balance may
// fall to -`window`×`rate`, so a network that floods stays limited for up to `window` seconds
// after it stops. At most `maxClients` networks are tracked: a flood of spoofed sources pushes
// out the least recently seen, and the table never grows past its bound.
// https://bind9.readthedocs.io/en/latest/reference.html#response-rate-limiting
import { isIPv4 } from 'node:net';
import { writeIPv6 } from '../dns/address.js';

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

export const RATE_LIMIT_DEFAULTS = { slip: 2, window: 15, maxClients: 20_000 };

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
 * and the question, so the client knows what to ask again over TCP.
 */
export function truncatedReply(reply: Buffer): Buffer {
  let end = 12;
  if (reply.readUInt16BE(4) > 0) {
    // The question's name is the first in the message: never compressed, labels up to a zero.
    while (end < reply.length && reply[end] !== 0 && reply[end]! < 0xc0) end += reply[end]! + 1;
    end += end < reply.length && reply[end]! >= 0xc0 ? 6 : 5;
  }
  if (end > reply.length) end = 12;
  const cut = Buffer.from(reply.subarray(0, end));
  cut[2]! |= 0x02;
  if (end === 12) cut.writeUInt16BE(0, 4);
  cut.writeUInt16BE(0, 6);
  cut.writeUInt16BE(0, 8);
  cut.writeUInt16BE(0, 10);
  return cut;
}
