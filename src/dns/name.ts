// Domain names: wire form <-> presentation form. Presentation form has no trailing dot (the root
// is ""), and label bytes that are not printable ASCII, or are '.' or '\', are escaped as `\.`,
// `\\` or `\DDD` (RFC 1035 §5.1), so every wire name maps to one string and back to the same bytes.

import { WireError } from './errors.js';

/** RFC 1035 §2.3.4. */
export const MAX_LABEL_LENGTH = 63;
/** Wire length including the root label's zero byte, RFC 1035 §2.3.4. */
export const MAX_NAME_LENGTH = 255;

// A legitimate name needs a handful of jumps; this bounds the work a hostile message can cause.
const MAX_POINTER_JUMPS = 64;

const DOT = 0x2e;
const BACKSLASH = 0x5c;

// Filled by walkName when building: the labels joined by dots, and whether any byte needs an
// escape. One string is made from it at the end instead of one per label.
const text = Buffer.alloc(MAX_NAME_LENGTH);
let textLength = 0;
let textPlain = true;

/**
 * Validates the name at `offset`, following compression pointers (RFC 1035 §4.1.4), and returns
 * the offset just past it in place. A pointer must point strictly before its own position, so
 * chains cannot loop or reach forward; jumps and the decompressed length are capped as well.
 */
function walkName(buf: Buffer, offset: number, build: boolean): number {
  const len = buf.length;
  let pos = offset;
  let end = -1;
  let wireLength = 1;
  let jumps = 0;
  let t = 0;
  let plain = true;
  for (;;) {
    if (pos >= len) throw new WireError('name runs past the end of the message');
    const b = buf[pos]!;
    if (b === 0) break;
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= len) throw new WireError('compression pointer runs past the end of the message');
      const target = ((b & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= pos) throw new WireError('compression pointer does not point backwards');
      if (++jumps > MAX_POINTER_JUMPS) throw new WireError('too many compression pointers');
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    // 0x40 and 0x80 are the obsolete extended and binary label types (RFC 6891 §5); a length
    // byte with those bits set is also a label over 63 bytes.
    if (kind !== 0) throw new WireError('label longer than 63 bytes or unsupported label type');
    wireLength += b + 1;
    if (wireLength > MAX_NAME_LENGTH) throw new WireError('name longer than 255 bytes');
    const stop = pos + 1 + b;
    if (stop > len) throw new WireError('label runs past the end of the message');
    if (build) {
      if (t > 0) text[t++] = DOT;
      for (let i = pos + 1; i < stop; i++) {
        const c = buf[i]!;
        if (needsEscape(c)) plain = false;
        text[t++] = c;
      }
    }
    pos = stop;
  }
  textLength = t;
  textPlain = plain;
  return end < 0 ? pos + 1 : end;
}

function needsEscape(c: number): boolean {
  return c <= 0x20 || c >= 0x7f || c === DOT || c === BACKSLASH;
}

// Rare path: re-reads a name already validated by walkName, escaping label by label.
function escapedName(buf: Buffer, offset: number): string {
  let out = '';
  for (let pos = offset, b = buf[pos]!; b !== 0; b = buf[pos]!) {
    if (b >= 0xc0) {
      pos = ((b & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (out.length > 0) out += '.';
    for (let i = pos + 1; i <= pos + b; i++) {
      const c = buf[i]!;
      if (c === DOT || c === BACKSLASH) out += '\\' + String.fromCharCode(c);
      else if (needsEscape(c)) out += '\\' + String(c).padStart(3, '0');
      else out += String.fromCharCode(c);
    }
    pos += b + 1;
  }
  return out;
}

/** Reads the (possibly compressed) name at `offset`; `end` is the offset just past it in place. */
export function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const end = walkName(buf, offset, true);
  const name = textPlain ? text.toString('latin1', 0, textLength) : escapedName(buf, offset);
  return { name, end };
}

/** Validates the name at `offset` like readName, without building it; returns the offset past it. */
export function skipName(buf: Buffer, offset: number): number {
  return walkName(buf, offset, false);
}

/**
 * Writes `name` uncompressed into `out` at `at` and returns the wire length (at most 255; `out`
 * needs that much room). Throws WireError for an empty label (so also a trailing dot), a label
 * over 63 bytes, a name over 255 bytes, a bad escape or a non-ASCII character (use `\DDD`).
 */
export function encodeName(name: string, out: Buffer, at: number): number {
  const n = name.length;
  // Every byte but the final zero must sit before at + 254 so the total stays within 255.
  const last = at + MAX_NAME_LENGTH - 2;
  let lengthAt = at;
  let p = at + 1;
  if (n === 0) {
    out[at] = 0;
    return 1;
  }
  for (let i = 0; i < n; i++) {
    let c = name.charCodeAt(i);
    if (c === DOT) {
      closeLabel(out, lengthAt, p);
      if (p > last) throw new WireError('name longer than 255 bytes');
      lengthAt = p++;
      continue;
    }
    if (c === BACKSLASH) {
      if (i + 1 >= n) throw new WireError('name ends in a lone backslash');
      const d = name.charCodeAt(i + 1);
      if (isDigit(d)) {
        c = escapedByte(name, i + 1);
        i += 3;
      } else {
        if (d > 0x7f) throw new WireError('name has a non-ASCII character (escape it as \\DDD)');
        c = d;
        i += 1;
      }
    } else if (c > 0x7f) {
      throw new WireError('name has a non-ASCII character (escape it as \\DDD)');
    }
    if (p > last) throw new WireError('name longer than 255 bytes');
    if (p - lengthAt > MAX_LABEL_LENGTH) throw new WireError('label longer than 63 bytes');
    out[p++] = c;
  }
  closeLabel(out, lengthAt, p);
  out[p++] = 0;
  return p - at;
}

function closeLabel(out: Buffer, lengthAt: number, p: number): void {
  const length = p - lengthAt - 1;
  if (length === 0) throw new WireError('empty label');
  out[lengthAt] = length;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

// `\DDD`: exactly three decimal digits, value at most 255 (RFC 1035 §5.1).
function escapedByte(name: string, i: number): number {
  const d2 = name.charCodeAt(i + 1);
  const d3 = name.charCodeAt(i + 2);
  if (!isDigit(d2) || !isDigit(d3)) throw new WireError('\\DDD escape needs three digits');
  const value = (name.charCodeAt(i) - 0x30) * 100 + (d2 - 0x30) * 10 + (d3 - 0x30);
  if (value > 0xff) throw new WireError('\\DDD escape above 255');
  return value;
}

const scratch = Buffer.alloc(MAX_NAME_LENGTH);

/** The name's labels as raw bytes (escapes resolved); [] for the root. Validates like encodeName. */
export function nameToLabels(name: string): Buffer[] {
  const length = encodeName(name, scratch, 0);
  const labels: Buffer[] = [];
  for (let i = 0; i < length - 1; i += scratch[i]! + 1) {
    labels.push(Buffer.from(scratch.subarray(i + 1, i + 1 + scratch[i]!)));
  }
  return labels;
}

/** Uncompressed wire length of a name (a question takes this + 4 bytes). Validates like encodeName. */
export function nameWireLength(name: string): number {
  return encodeName(name, scratch, 0);
}

/** Lower-case key for comparing names (DNS compares ASCII case-insensitively, RFC 4343). */
export function canonicalName(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  }
  return name;
}

/** canonicalName(a) === canonicalName(b), without building either. */
export function namesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}
