// RDATA decoding for the general decoder. Known types are decoded (names decompressed against the
// whole message); any other type is kept as opaque bytes.

import { formatIPv4, formatIPv6 } from './address.js';
import { u16, u32 } from './bytes.js';
import { WireError } from './errors.js';
import { readName } from './name.js';
import { RRType, type RecordData } from './types.js';

/** Decodes RDATA `buf[start, end)` of type `type`; throws WireError when it does not fit the type. */
export function readRdata(buf: Buffer, type: number, start: number, end: number): RecordData {
  const size = end - start;
  switch (type) {
    case RRType.A:
      expect(size === 4, 'A');
      return { type: 'A', address: formatIPv4(buf, start) };
    case RRType.AAAA:
      expect(size === 16, 'AAAA');
      return { type: 'AAAA', address: formatIPv6(buf, start) };
    case RRType.CNAME:
      return { type: 'CNAME', target: nameFilling(buf, start, end) };
    case RRType.PTR:
      return { type: 'PTR', target: nameFilling(buf, start, end) };
    case RRType.NS:
      return { type: 'NS', target: nameFilling(buf, start, end) };
    case RRType.MX:
      expect(size >= 3, 'MX');
      return { type: 'MX', preference: u16(buf, start), exchange: nameFilling(buf, start + 2, end) };
    case RRType.SRV:
      expect(size >= 7, 'SRV');
      return {
        type: 'SRV',
        priority: u16(buf, start),
        weight: u16(buf, start + 2),
        port: u16(buf, start + 4),
        target: nameFilling(buf, start + 6, end),
      };
    case RRType.TXT:
      return { type: 'TXT', texts: readTexts(buf, start, end) };
    case RRType.SOA:
      return readSoa(buf, start, end);
    default:
      return { type: 'RAW', typeCode: type, rdata: Buffer.from(buf.subarray(start, end)) };
  }
}

function expect(ok: boolean, type: string): void {
  if (!ok) throw new WireError(`malformed ${type} RDATA`);
}

// A name that must end exactly where the RDATA ends.
function nameFilling(buf: Buffer, start: number, end: number): string {
  const name = readName(buf, start);
  expect(name.end === end, 'name');
  return name.name;
}

// Each <character-string> becomes one text, decoded as UTF-8.
function readTexts(buf: Buffer, start: number, end: number): string[] {
  const texts: string[] = [];
  for (let pos = start; pos < end;) {
    const stop = pos + 1 + buf[pos]!;
    expect(stop <= end, 'TXT');
    texts.push(buf.toString('utf8', pos + 1, stop));
    pos = stop;
  }
  return texts;
}

function readSoa(buf: Buffer, start: number, end: number): RecordData {
  const mname = readName(buf, start);
  expect(mname.end <= end, 'SOA');
  const rname = readName(buf, mname.end);
  const at = rname.end;
  expect(at + 20 === end, 'SOA');
  return {
    type: 'SOA',
    mname: mname.name,
    rname: rname.name,
    serial: u32(buf, at),
    refresh: u32(buf, at + 4),
    retry: u32(buf, at + 8),
    expire: u32(buf, at + 12),
    minimum: u32(buf, at + 16),
  };
}
