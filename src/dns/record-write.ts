// One resource record on the wire, RFC 1035 §4.1.3, with per-type RDATA.

import { writeIPv4, writeIPv6 } from './address.js';
import type { NameCompressor } from './compress.js';
import { WireError } from './errors.js';
import { RRClass, RRType, type RecordData, type ResourceRecord } from './types.js';

const MAX_RDATA = 0xffff;
/** The longest character-string a TXT record holds (RFC 1035 §3.3). */
export const MAX_TXT_STRING = 255;

export function typeCode(data: RecordData): number {
  switch (data.type) {
    case 'A':
      return RRType.A;
    case 'AAAA':
      return RRType.AAAA;
    case 'CNAME':
      return RRType.CNAME;
    case 'PTR':
      return RRType.PTR;
    case 'NS':
      return RRType.NS;
    case 'MX':
      return RRType.MX;
    case 'SRV':
      return RRType.SRV;
    case 'TXT':
      return RRType.TXT;
    case 'SOA':
      return RRType.SOA;
    case 'RAW':
      return data.typeCode;
  }
}

/**
 * Writes `rr` at `out[at]` and returns the offset past it. `out` must have room for the largest
 * record (name + 10 + 65535) past `at`; the caller checks the result against its size limit.
 */
export function writeRecord(out: Buffer, at: number, rr: ResourceRecord, names: NameCompressor): number {
  let pos = names.write(rr.name, out, at, true);
  out.writeUInt16BE(typeCode(rr.data), pos);
  out.writeUInt16BE(rr.class ?? RRClass.IN, pos + 2);
  out.writeUInt32BE(rr.ttl, pos + 4);
  const rdata = pos + 10;
  pos = writeRdata(out, rdata, rr.data, names);
  if (pos - rdata > MAX_RDATA) throw new WireError('RDATA longer than 65535 bytes');
  out.writeUInt16BE(pos - rdata, rdata - 2);
  return pos;
}

function writeRdata(out: Buffer, at: number, data: RecordData, names: NameCompressor): number {
  switch (data.type) {
    case 'A':
      writeIPv4(data.address, out, at);
      return at + 4;
    case 'AAAA':
      writeIPv6(data.address, out, at);
      return at + 16;
    // RFC 1035 §4.1.4 / RFC 3597 §4: names in the RDATA of these original types may be compressed.
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return names.write(data.target, out, at, true);
    case 'MX':
      out.writeUInt16BE(data.preference, at);
      return names.write(data.exchange, out, at + 2, true);
    case 'SOA': {
      let pos = names.write(data.mname, out, at, true);
      pos = names.write(data.rname, out, pos, true);
      out.writeUInt32BE(data.serial, pos);
      out.writeUInt32BE(data.refresh, pos + 4);
      out.writeUInt32BE(data.retry, pos + 8);
      out.writeUInt32BE(data.expire, pos + 12);
      out.writeUInt32BE(data.minimum, pos + 16);
      return pos + 20;
    }
    case 'SRV':
      out.writeUInt16BE(data.priority, at);
      out.writeUInt16BE(data.weight, at + 2);
      out.writeUInt16BE(data.port, at + 4);
      // RFC 2782: "name compression is not to be used for this field".
      return names.write(data.target, out, at + 6, false);
    case 'TXT':
      return writeTexts(out, at, data.texts);
    case 'RAW':
      if (data.rdata.length > MAX_RDATA) throw new WireError('RDATA longer than 65535 bytes');
      return at + data.rdata.copy(out, at);
  }
}

// RFC 1035 §3.3.14: one or more <character-string>s of at most 255 bytes each. Texts are UTF-8;
// a longer text becomes several strings, cut between characters rather than inside one.
function writeTexts(out: Buffer, at: number, texts: string[]): number {
  if (texts.length === 0) {
    out[at] = 0;
    return at + 1;
  }
  let pos = at;
  for (const text of texts) {
    const size = Buffer.byteLength(text, 'utf8');
    // Each string carries at least 252 bytes of a longer text (a UTF-8 character is at most 4).
    if (pos - at + size + Math.max(1, Math.ceil(size / (MAX_TXT_STRING - 3))) > MAX_RDATA) {
      throw new WireError('TXT RDATA longer than 65535 bytes');
    }
    if (size <= MAX_TXT_STRING) {
      out[pos] = size;
      pos += 1 + out.write(text, pos + 1, 'utf8');
      continue;
    }
    const bytes = Buffer.from(text, 'utf8');
    for (let start = 0; start < size;) {
      let stop = Math.min(start + MAX_TXT_STRING, size);
      // Back off continuation bytes (10xxxxxx) so a multi-byte character stays in one string.
      if (stop < size) while (stop > start + 1 && (bytes[stop]! & 0xc0) === 0x80) stop--;
      out[pos] = stop - start;
      pos += 1 + bytes.copy(out, pos + 1, start, stop);
      start = stop;
    }
  }
  return pos;
}
