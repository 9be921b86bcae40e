// The shape of nearly every query a cluster DNS server sees, read straight from the buffer: a
// standard query with one IN question of uncompressed labels, nothing in the answer and authority
// sections, and at most an OPT record of version 0 without options. Anything else is left to the
// general parser (parse.ts), which also answers the malformed. No strings are built but the key.
import { FLAG_QR, HEADER_SIZE, OPCODE_MASK, OPCODE_SHIFT } from './header.js';
import { MAX_NAME_LENGTH } from './name.js';
import { OPT_RECORD_SIZE, OPT_TYPE, optDnssecOk, optVersion } from './edns.js';
import { RRClass } from './types.js';

export interface PlainQuery {
  /** The question as written on the wire (name, type, class), ASCII letters folded to lower case. */
  key: string;
  /** Offset just past the question's name, and past its type and class. */
  nameEnd: number;
  questionEnd: number;
  type: number;
  /** Whether the name has an upper-case ASCII letter (the key does not). */
  mixedCase: boolean;
  /** Whether the query has an OPT record, and its UDP payload size and DO bit. */
  edns: boolean;
  udpSize: number;
  dnssecOk: boolean;
}

const fold = Buffer.allocUnsafe(MAX_NAME_LENGTH + 4);

/** Reads `message` as a plain query, or returns undefined when it is anything else. */
export function readPlainQuery(message: Buffer): PlainQuery | undefined {
  const length = message.length;
  if (length < HEADER_SIZE + 5) return undefined;
  const flags = (message[2]! << 8) | message[3]!;
  if ((flags & FLAG_QR) !== 0 || ((flags >>> OPCODE_SHIFT) & OPCODE_MASK) !== 0) return undefined;
  // QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1.
  if (message[4] !== 0 || message[5] !== 1 || message[6] !== 0 || message[7] !== 0) return undefined;
  if (message[8] !== 0 || message[9] !== 0 || message[10] !== 0 || message[11]! > 1) return undefined;

  let at = HEADER_SIZE;
  let mixedCase = false;
  for (;;) {
    const labelLength = message[at];
    if (labelLength === undefined || labelLength > 63) return undefined; // a pointer, or past the end
    if (labelLength === 0) break;
    const end = at + 1 + labelLength;
    if (end - HEADER_SIZE >= MAX_NAME_LENGTH) return undefined;
    for (let i = at + 1; i < end; i++) {
      const c = message[i];
      if (c !== undefined && c >= 0x41 && c <= 0x5a) mixedCase = true;
    }
    at = end;
  }
  const nameEnd = at + 1;
  const questionEnd = nameEnd + 4;
  if (questionEnd > length) return undefined;
  if (message[questionEnd - 2] !== 0 || message[questionEnd - 1] !== RRClass.IN) return undefined;

  const edns = message[11] === 1;
  let udpSize = 0;
  let dnssecOk = false;
  if (edns) {
    // Root owner, type OPT, version 0, no options: exactly 11 bytes after the question.
    if (length !== questionEnd + OPT_RECORD_SIZE) return undefined;
    const o = questionEnd;
    if (message[o] !== 0 || message.readUInt16BE(o + 1) !== OPT_TYPE) return undefined;
    const ttl = message.readUInt32BE(o + 5);
    if (optVersion(ttl) !== 0 || message.readUInt16BE(o + 9) !== 0) return undefined;
    udpSize = message.readUInt16BE(o + 3);
    dnssecOk = optDnssecOk(ttl);
  } else if (length !== questionEnd) {
    return undefined;
  }

  let key: string;
  if (mixedCase) {
    message.copy(fold, 0, HEADER_SIZE, questionEnd);
    const nameLength = nameEnd - HEADER_SIZE;
    for (let i = 0; i < nameLength; i++) {
      const c = fold[i]!;
      if (c >= 0x41 && c <= 0x5a) fold[i] = c + 0x20;
    }
    key = fold.toString('latin1', 0, questionEnd - HEADER_SIZE);
  } else {
    key = message.toString('latin1', HEADER_SIZE, questionEnd);
  }
  const type = (message[nameEnd]! << 8) | message[nameEnd + 1]!;
  return { key, nameEnd, questionEnd, type, mixedCase, edns, udpSize, dnssecOk };
}
