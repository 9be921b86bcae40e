// A query as a stub or forwarder sends it: header, one question, and an OPT record when EDNS is on
// (RFC 1035 §4.1, RFC 6891 §6.1.2).
import { OPT_RECORD_SIZE, writeOpt } from './edns.js';
import { ARCOUNT_AT, FLAG_RD, HEADER_SIZE, QDCOUNT_AT } from './header.js';
import { encodeName, MAX_NAME_LENGTH } from './name.js';
import type { Question } from './types.js';

export interface QueryHeader {
  id: number;
  /** Set RD: ask the server to recurse. */
  rd: boolean;
  /** Our EDNS payload size and DO bit; undefined: no OPT record. */
  edns?: { udpSize: number; dnssecOk: boolean };
}

/** The query for `question`; throws WireError for a name that cannot be written. */
export function encodeQuery(header: QueryHeader, question: Question): Buffer {
  const { edns } = header;
  const out = Buffer.alloc(HEADER_SIZE + MAX_NAME_LENGTH + 4 + (edns ? OPT_RECORD_SIZE : 0));
  out.writeUInt16BE(header.id, 0);
  out.writeUInt16BE(header.rd ? FLAG_RD : 0, 2);
  out.writeUInt16BE(1, QDCOUNT_AT);
  let at = HEADER_SIZE + encodeName(question.name, out, HEADER_SIZE);
  at = out.writeUInt16BE(question.type, at);
  at = out.writeUInt16BE(question.class, at);
  if (edns) {
    out.writeUInt16BE(1, ARCOUNT_AT);
    at = writeOpt(out, at, edns.udpSize, 0, edns.dnssecOk);
  }
  return out.subarray(0, at);
}
