// Query parsing for the serving path: total over any input (never throws), reads only what the
// server acts on (header, the one question, the OPT record) and checks the rest just enough to
// answer malformed queries with FORMERR rather than guessing.

import { u16, u32 } from './bytes.js';
import { optDnssecOk, optVersion, optionsWellFormed, OPT_TYPE } from './edns.js';
import { WireError } from './errors.js';
import {
  ANCOUNT_AT,
  ARCOUNT_AT,
  FLAG_CD,
  FLAG_QR,
  FLAG_RD,
  HEADER_SIZE,
  NSCOUNT_AT,
  OPCODE_MASK,
  OPCODE_QUERY,
  OPCODE_SHIFT,
  QDCOUNT_AT,
} from './header.js';
import { readName, skipName } from './name.js';
import type { EdnsInfo, Query, Question } from './types.js';

export type ParseOutcome =
  /** Header unreadable, or QR set: never answer a response (avoids loops between servers). */
  | { kind: 'drop'; reason: string }
  | {
      kind: 'formerr';
      id: number;
      opcode: number;
      rd: boolean;
      cd: boolean;
      reason: string;
      question?: Question;
    }
  | {
      kind: 'notimp';
      id: number;
      opcode: number;
      rd: boolean;
      cd: boolean;
      question?: Question;
      edns?: EdnsInfo;
    }
  /** OPT version is not 0: answer BADVERS (RFC 6891 §6.1.3). */
  | { kind: 'badvers'; query: Query }
  | { kind: 'query'; query: Query };

// What the body scan found before it stopped.
interface Scan {
  question: Question | undefined;
  edns: EdnsInfo | undefined;
}

// Owner name + type, class, TTL, RDLENGTH.
const RR_FIXED = 10;

export function parseQuery(buf: Buffer): ParseOutcome {
  if (buf.length < HEADER_SIZE) return { kind: 'drop', reason: 'message shorter than a header' };
  const flags = (buf[2]! << 8) | buf[3]!;
  if ((flags & FLAG_QR) !== 0) return { kind: 'drop', reason: 'QR set: message is a response' };
  const id = (buf[0]! << 8) | buf[1]!;
  const opcode = (flags >>> OPCODE_SHIFT) & OPCODE_MASK;
  const rd = (flags & FLAG_RD) !== 0;
  const cd = (flags & FLAG_CD) !== 0;

  const scan: Scan = { question: undefined, edns: undefined };
  let problem: string | null;
  try {
    problem = scanBody(buf, scan);
  } catch (err) {
    problem = err instanceof WireError ? err.message : 'malformed message';
  }

  // RFC 1035 §4.1.1: an opcode we do not serve is NOTIMP however the rest looks.
  if (opcode !== OPCODE_QUERY) {
    const out: ParseOutcome = { kind: 'notimp', id, opcode, rd, cd };
    if (scan.question) out.question = scan.question;
    if (problem === null && scan.edns) out.edns = scan.edns;
    return out;
  }
  if (problem !== null || scan.question === undefined) {
    const out: ParseOutcome = { kind: 'formerr', id, opcode, rd, cd, reason: problem ?? 'no question' };
    if (scan.question) out.question = scan.question;
    return out;
  }
  const query: Query = { id, opcode, rd, cd, question: scan.question };
  if (scan.edns) {
    query.edns = scan.edns;
    if (scan.edns.version !== 0) return { kind: 'badvers', query };
  }
  return { kind: 'query', query };
}

/** Returns null when the body is well-formed, else why not. May throw WireError from name reads. */
function scanBody(buf: Buffer, scan: Scan): string | null {
  const len = buf.length;
  if (u16(buf, QDCOUNT_AT) !== 1) return 'QDCOUNT is not 1';

  const { name, end } = readName(buf, HEADER_SIZE);
  if (end + 4 > len) return 'question runs past the end of the message';
  scan.question = { name, type: u16(buf, end), class: u16(buf, end + 2) };
  let pos = end + 4;

  // Answer and authority: a query should have none, but any it has must be well-formed.
  const prerequisites = u16(buf, ANCOUNT_AT) + u16(buf, NSCOUNT_AT);
  for (let i = 0; i < prerequisites; i++) {
    const fixed = skipName(buf, pos);
    if (fixed + RR_FIXED > len) return 'record runs past the end of the message';
    if (u16(buf, fixed) === OPT_TYPE) return 'OPT outside the additional section';
    pos = fixed + RR_FIXED + u16(buf, fixed + 8);
    if (pos > len) return 'record data runs past the end of the message';
  }

  const additional = u16(buf, ARCOUNT_AT);
  for (let i = 0; i < additional; i++) {
    const owner = pos;
    const fixed = skipName(buf, pos);
    if (fixed + RR_FIXED > len) return 'record runs past the end of the message';
    const rdata = fixed + RR_FIXED;
    pos = rdata + u16(buf, fixed + 8);
    if (pos > len) return 'record data runs past the end of the message';
    if (u16(buf, fixed) !== OPT_TYPE) continue;
    // RFC 6891 §6.1.1: one OPT at most, owned by the root.
    if (scan.edns) return 'more than one OPT record';
    if (readName(buf, owner).name !== '') return 'OPT owner is not the root';
    if (!optionsWellFormed(buf, rdata, pos)) return 'malformed EDNS options';
    const ttl = u32(buf, fixed + 4);
    scan.edns = { udpSize: u16(buf, fixed + 2), version: optVersion(ttl), dnssecOk: optDnssecOk(ttl) };
  }
  // Bytes after the last counted record are ignored.
  return null;
}
