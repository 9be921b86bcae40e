// Ask one server one question: UDP first, TCP when the UDP reply is truncated; or TCP alone when
// the forwarder must not use UDP (forward's force_tcp, or a client that came over TCP); or over
// its TLS connections alone, for a tls:// upstream (RFC 7858 has no fallback to the clear).
import type { HostPort } from '../../config/address.js';
import type { DecodedMessage } from '../../dns/index.js';
import { Rcode, type Question } from '../../dns/types.js';
import type { Attempt } from './attempt.js';
import type { DotUpstream } from './dot.js';
import { buildQuery, randomId, type QueryOptions } from './query.js';
import { tcpAttempt } from './tcp.js';
import { udpAttempt } from './udp.js';

/** How long each attempt (UDP, then TCP) waits for its reply unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 2000;

export interface ExchangeOptions {
  /** Per attempt: the UDP query, and again the TCP retry. */
  timeoutMs: number;
  dnssecOk: boolean;
  /** Ask over TCP only, never UDP. Default false. */
  tcpOnly?: boolean;
  /** Clear RD (a health probe with `no_rec`). Default false. */
  noRecursion?: boolean;
  /** The upstream's TLS connections: every query goes over them. */
  dot?: DotUpstream;
}

export type Exchange =
  | {
      kind: 'reply';
      reply: DecodedMessage;
      transport: 'udp' | 'tcp' | 'tls';
      /** The answer is incomplete: TC set and the TCP retry failed (or itself came back with TC). */
      truncated: boolean;
      /** Replies dropped for a wrong source, ID or question. */
      dropped: number;
    }
  | { kind: 'timeout'; dropped: number }
  | { kind: 'network'; error: Error; dropped: number };

export async function exchange(
  server: HostPort,
  question: Question,
  options: ExchangeOptions,
): Promise<Exchange> {
  if (options.dot) {
    const attempt = await options.dot.ask(question, queryOptions(options, true), options.timeoutMs);
    if (attempt.kind !== 'reply') return attempt;
    return { ...attempt, transport: 'tls', truncated: attempt.reply.tc };
  }
  if (options.tcpOnly) {
    const only = await ask('tcp', server, question, options, true);
    if (only.kind !== 'reply') return only;
    return { ...only, transport: 'tcp', truncated: only.reply.tc };
  }
  let attempt = await ask('udp', server, question, options, true);
  let dropped = attempt.dropped;
  // RFC 6891 §7: a server that does not know EDNS may answer FORMERR without an OPT record; it is
  // then asked again without one.
  if (attempt.kind === 'reply' && attempt.reply.rcode === Rcode.FORMERR && !attempt.reply.edns) {
    attempt = await ask('udp', server, question, options, false);
    dropped += attempt.dropped;
  }
  if (attempt.kind !== 'reply') return { ...attempt, dropped };
  const udpReply = attempt.reply;
  if (!udpReply.tc) return { kind: 'reply', reply: udpReply, transport: 'udp', truncated: false, dropped };

  // RFC 7766 §5: a truncated UDP reply is retried over TCP, which carries the whole answer. When
  // that fails the truncated reply is still an answer, and TC tells the client to try TCP itself.
  const retry = await ask('tcp', server, question, options, udpReply.edns !== undefined);
  dropped += retry.dropped;
  if (retry.kind === 'reply') {
    return { kind: 'reply', reply: retry.reply, transport: 'tcp', truncated: retry.reply.tc, dropped };
  }
  return { kind: 'reply', reply: udpReply, transport: 'udp', truncated: true, dropped };
}

// Each attempt has its own ID: a reply to the first can never be taken for one to the second.
function ask(
  transport: 'udp' | 'tcp',
  server: HostPort,
  question: Question,
  options: ExchangeOptions,
  edns: boolean,
): Promise<Attempt> {
  const id = randomId();
  const query = buildQuery(id, question, queryOptions(options, edns));
  const attempt = transport === 'udp' ? udpAttempt : tcpAttempt;
  return attempt(server, query, id, question, options.timeoutMs);
}

function queryOptions(options: ExchangeOptions, edns: boolean): QueryOptions {
  return { edns, dnssecOk: edns && options.dnssecOk, noRecursion: options.noRecursion === true };
}
