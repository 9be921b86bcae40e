// Where the fields of an encoded message's records are, for a reader that patches them in place
// (a TTL counted down, an SOA serial moved on) without decoding: RFC 1035 §4.1.3 lays out each
// record as owner name, TYPE, CLASS, TTL, RDLENGTH, RDATA.
import { ANCOUNT_AT, ARCOUNT_AT, NSCOUNT_AT } from './header.js';
import { skipName } from './name.js';
import { RRType } from './types.js';

/** TYPE (2), CLASS (2), TTL (4), RDLENGTH (2): from a record's TYPE field to its RDATA. */
const FIXED_FIELDS = 10;
const TTL_FROM_TYPE = 4;
const RDLENGTH_FROM_TYPE = 8;

/**
 * Calls `visit` with the offset of each record's TYPE field, every section after the question
 * (which ends at `questionEnd`). False for a message it cannot walk to its very end.
 */
function walkRecords(message: Buffer, questionEnd: number, visit: (typeAt: number) => void): boolean {
  const records =
    message.readUInt16BE(ANCOUNT_AT) + message.readUInt16BE(NSCOUNT_AT) + message.readUInt16BE(ARCOUNT_AT);
  let at = questionEnd;
  try {
    for (let i = 0; i < records; i++) {
      at = skipName(message, at);
      visit(at);
      at += FIXED_FIELDS + message.readUInt16BE(at + RDLENGTH_FROM_TYPE);
    }
  } catch {
    return false;
  }
  return at === message.length;
}

/** Where the SOA record's serial is (-1: no SOA); undefined for a message it cannot walk. */
export function soaSerialOffset(message: Buffer, questionEnd: number): number | undefined {
  let serialAt = -1;
  const walked = walkRecords(message, questionEnd, (at) => {
    // RDATA: MNAME, RNAME, then SERIAL (RFC 1035 §3.3.13).
    if (message.readUInt16BE(at) === RRType.SOA)
      serialAt = skipName(message, skipName(message, at + FIXED_FIELDS));
  });
  return walked ? serialAt : undefined;
}

/** Where every record's TTL is, but the OPT record's (whose TTL field holds flags); undefined for a message it cannot walk. */
export function ttlOffsets(message: Buffer, questionEnd: number): number[] | undefined {
  const offsets: number[] = [];
  const walked = walkRecords(message, questionEnd, (at) => {
    if (message.readUInt16BE(at) !== RRType.OPT) offsets.push(at + TTL_FROM_TYPE);
  });
  return walked ? offsets : undefined;
}
