// Test helpers: hand-built wire messages and a seeded PRNG.

/** Concatenates bytes; strings are written as wire names ('' is the root, no compression). */
export function bytes(...parts: (number | number[] | string)[]): Buffer {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') out.push(part);
    else if (typeof part === 'string') out.push(...wireName(part));
    else out.push(...part);
  }
  return Buffer.from(out);
}

export function wireName(name: string): number[] {
  const out: number[] = [];
  if (name !== '') {
    for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'latin1'));
  }
  out.push(0);
  return out;
}

export function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** A 12-byte header. */
export function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): number[] {
  return [...u16(id), ...u16(flags), ...u16(qd), ...u16(an), ...u16(ns), ...u16(ar)];
}

/** Fixed part + RDATA of a record, to follow an owner name. */
export function rrTail(type: number, cls: number, ttl: number, rdata: number[] = []): number[] {
  return [...u16(type), ...u16(cls), ...u32(ttl), ...u16(rdata.length), ...rdata];
}

/** mulberry32: deterministic so a failing case can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
