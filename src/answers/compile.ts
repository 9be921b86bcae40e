// Encoding an answer for the store: the bytes every later asking is served from.
import { OPT_RECORD_SIZE } from '../dns/edns.js';
import { encodeResponse } from '../dns/encode.js';
import { HEADER_SIZE, OPCODE_QUERY } from '../dns/header.js';
import type { PlainQuery } from '../dns/plain-query.js';
import { MAX_TCP_MESSAGE, replyLimit } from '../dns/reply-size.js';
import type { Answer, Question } from '../dns/types.js';
import type { QueryContext } from '../resolve/types.js';

/**
 * The bytes a reply to `query` may hold, less the OPT record it will get if it asked for one, with
 * `ours` our payload size.
 */
export function roomFor(query: PlainQuery, transport: 'udp' | 'tcp', ours: number): number {
  return replyLimit(transport, query.udpSize, ours) - (query.edns ? OPT_RECORD_SIZE : 0);
}

/** The cluster zone answers alike for every client (but for the variants of clientVariant). */
export const COMPILE_CONTEXT: QueryContext = { transport: 'udp', clientAddress: '', clientPort: 0 };

/**
 * The reply with ID 0, RD, CD and RA clear, and no OPT, cut to `room` bytes as the general path
 * cuts it (which reserves the OPT record's bytes first); undefined when it cannot be encoded.
 */
export function compile(question: Question, answer: Answer, room = MAX_TCP_MESSAGE): Buffer | undefined {
  try {
    return encodeResponse(
      { id: 0, opcode: OPCODE_QUERY, rd: false, cd: false, question },
      // The cluster zone's RA depends on the client (patched per query); a forwarded answer's is set.
      answer.ra === undefined ? { ...answer, ra: false } : answer,
      { maxSize: room },
    );
  } catch {
    return undefined; // the general path answered it SERVFAIL; nothing to compile
  }
}

/**
 * compile(), for the question exactly as asked: the compiled question must be the asked one byte
 * for byte, or the key it is stored under would lie.
 */
export function compileAsked(query: PlainQuery, question: Question, answer: Answer): Buffer | undefined {
  const bytes = compile(question, answer);
  return bytes?.toString('latin1', HEADER_SIZE, query.questionEnd) === query.key ? bytes : undefined;
}

/**
 * The store key of a forwarded answer to a query with the DO bit: one byte longer than the question
 * key, which no other question key can be (its name's length fixes its length).
 */
export function withDnssecOk(key: string): string {
  return `${key}\u0001`;
}

/** Address records in the answer section: what loadbalance rotates. */
export function addressCount(answer: Answer): number {
  let count = 0;
  for (const record of answer.answers) if (record.data.type === 'A' || record.data.type === 'AAAA') count++;
  return count;
}
