// The OPT pseudo-record, RFC 6891 §6.1: root owner, CLASS = UDP payload size, TTL = extended
// RCODE (high 8 of 12 bits) | version | DO flag, RDATA = options.

import { RRType } from './types.js';

export const OPT_TYPE = RRType.OPT;

/** Root owner (1) + type, class, TTL, RDLENGTH (10), no options. */
export const OPT_RECORD_SIZE = 11;

const DO_BIT = 0x8000;

export function optExtendedRcode(ttl: number): number {
  return ttl >>> 24;
}

export function optVersion(ttl: number): number {
  return (ttl >>> 16) & 0xff;
}

export function optDnssecOk(ttl: number): boolean {
  return (ttl & DO_BIT) !== 0;
}

/** TTL field for a response: the upper 8 bits of a 12-bit rcode, version 0 (we speak only 0). */
export function optTtl(rcode: number, dnssecOk: boolean): number {
  return (((rcode >>> 4) << 24) | (dnssecOk ? DO_BIT : 0)) >>> 0;
}

/**
 * Writes an OPT record at `at` with `rdLength` bytes of options to follow (written by the caller),
 * and returns where it ends. The message's ARCOUNT is the caller's to count.
 */
export function writeOpt(
  out: Buffer,
  at: number,
  udpSize: number,
  rcode: number,
  dnssecOk: boolean,
  rdLength = 0,
): number {
  out[at] = 0; // the root name
  out.writeUInt16BE(OPT_TYPE, at + 1);
  out.writeUInt16BE(udpSize, at + 3);
  out.writeUInt32BE(optTtl(rcode, dnssecOk), at + 5);
  out.writeUInt16BE(rdLength, at + 9);
  return at + OPT_RECORD_SIZE;
}

/** True when the options in RDATA [start, end) are well-formed code/length/value triples (§6.1.2). */
export function optionsWellFormed(buf: Buffer, start: number, end: number): boolean {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return false;
    pos += 4 + ((buf[pos + 2]! << 8) | buf[pos + 3]!);
  }
  return pos === end;
}
