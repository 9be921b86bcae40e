// RDATA decoding for the general decoder. Known types are decoded (names decompressed against the
// whole message); any other type is kept as opaque bytes.

import { formatIPv4, formatIPv6 } from './address.js';
import { u16, u32 } from './bytes.js';
import { WireError } from './errors.js';
import { encodeName, MAX_NAME_LENGTH, readName } from './name.js';
import { RRType, type RecordData } from './types.js';

/**
 * Decodes RDATA `buf[start, end)` of type `type`; throws WireError when it does not fit the type.
 * With `exact`, the result encodes back to the same RDATA bytes (see DecodeOptions.exactRdata).
 */
export function readRdata(buf: Buffer, type: number, start: number, end: number, exact = false): RecordData {
  if (exact) {
    if (type === RRType.TXT) return raw(buf, type, start, end);
    const layout = COMPRESSIBLE_LAYOUTS.get(type);
    if (layout) return expandedNames(buf, type, start, end, layout);
  }
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
      return raw(buf, type, start, end);
  }
}

function raw(buf: Buffer, type: number, start: number, end: number): RecordData {
  return { type: 'RAW', typeCode: type, rdata: Buffer.from(buf.subarray(start, end)) };
}

// Types not decoded above whose RDATA holds names that senders may compress (RFC 3597 §4): `fixed`
// bytes, then `names` domain names, then any remaining bytes as they are.
interface NameLayout {
  fixed: number;
  names: number;
}
const COMPRESSIBLE_LAYOUTS = new Map<number, NameLayout>([
  [3, { fixed: 0, names: 1 }], // MD
  [4, { fixed: 0, names: 1 }], // MF
  [7, { fixed: 0, names: 1 }], // MB
  [8, { fixed: 0, names: 1 }], // MG
  [9, { fixed: 0, names: 1 }], // MR
  [14, { fixed: 0, names: 2 }], // MINFO
  [17, { fixed: 0, names: 2 }], // RP
  [18, { fixed: 2, names: 1 }], // AFSDB
  [21, { fixed: 2, names: 1 }], // RT
  [24, { fixed: 18, names: 1 }], // SIG: signer's name, then the signature
  [26, { fixed: 2, names: 2 }], // PX
  [30, { fixed: 0, names: 1 }], // NXT: next name, then the type bitmap
]);

// RAW RDATA with the layout's names decompressed, so it no longer points into this message.
function expandedNames(
  buf: Buffer,
  type: number,
  start: number,
  end: number,
  layout: NameLayout,
): RecordData {
  expect(end - start >= layout.fixed, `type ${type}`);
  const out = Buffer.alloc(end - start + layout.names * MAX_NAME_LENGTH);
  let pos = buf.copy(out, 0, start, start + layout.fixed);
  let at = start + layout.fixed;
  for (let i = 0; i < layout.names; i++) {
    const name = readName(buf, at);
    expect(name.end <= end, `type ${type}`);
    pos += encodeName(name.name, out, pos);
    at = name.end;
  }
  pos += buf.copy(out, pos, at, end);
  return { type: 'RAW', typeCode: type, rdata: Buffer.from(out.subarray(0, pos)) };
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
