// A and AAAA RDATA (RFC 1035 §3.4.1, RFC 3596 §2.2): text addresses to bytes and back, without
// intermediate arrays or regexes on the query path.

import { WireError } from './errors.js';

/** Writes dotted-quad `s[start, stop)` as 4 bytes at `at`; false when it is not one. */
function parseIPv4Range(s: string, start: number, stop: number, out: Buffer, at: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= stop; i++) {
    const c = i === stop ? 0x2e : s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 0x2e && digits > 0 && part < 4) {
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Writes an IPv4 address as 4 bytes at `at`. */
export function writeIPv4(address: string, out: Buffer, at: number): void {
  if (!parseIPv4Range(address, 0, address.length, out, at)) {
    throw new WireError(`not an IPv4 address: ${JSON.stringify(address)}`);
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

const groups = new Uint16Array(8);
const v4 = Buffer.alloc(4);

// Text form per RFC 4291 §2.2: up to eight hex groups, one `::`, optional dotted-quad tail.
function parseIPv6(s: string): boolean {
  const len = s.length;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (len >= 2 && s.charCodeAt(0) === 0x3a) {
    if (s.charCodeAt(1) !== 0x3a) return false;
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let j = i;
    let value = 0;
    while (j < len && j - i < 4) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      j++;
    }
    if (j < len && s.charCodeAt(j) === 0x2e) {
      if (n > 6 || !parseIPv4Range(s, i, len, v4, 0)) return false;
      groups[n++] = (v4[0]! << 8) | v4[1]!;
      groups[n++] = (v4[2]! << 8) | v4[3]!;
      break;
    }
    if (j === i || n === 8) return false;
    groups[n++] = value;
    if (j === len) break;
    if (s.charCodeAt(j) !== 0x3a) return false;
    if (s.charCodeAt(j + 1) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      j += 2;
    } else {
      j += 1;
      if (j === len) return false;
    }
    i = j;
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Slide the groups after the gap to the end and zero-fill the gap.
  const tail = n - gap;
  groups.copyWithin(8 - tail, gap, n);
  groups.fill(0, gap, 8 - tail);
  return true;
}

/** Writes an IPv6 address as 16 bytes at `at`. */
export function writeIPv6(address: string, out: Buffer, at: number): void {
  if (!parseIPv6(address)) throw new WireError(`not an IPv6 address: ${JSON.stringify(address)}`);
  for (let k = 0; k < 8; k++) {
    out[at + 2 * k] = groups[k]! >> 8;
    out[at + 2 * k + 1] = groups[k]! & 0xff;
  }
}

export function formatIPv4(buf: Buffer, at: number): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** RFC 5952 §4: lower-case hex, no leading zeros, the first longest run of 2+ zero groups as `::`. */
export function formatIPv6(buf: Buffer, at: number): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let k = 0; k <= 8; k++) {
    const zero = k < 8 && buf[at + 2 * k] === 0 && buf[at + 2 * k + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = k;
    } else if (runStart >= 0) {
      if (k - runStart > bestLength) {
        bestStart = runStart;
        bestLength = k - runStart;
      }
      runStart = -1;
    }
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      out += '::';
      k += bestLength - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += ((buf[at + 2 * k]! << 8) | buf[at + 2 * k + 1]!).toString(16);
  }
  return out;
}
