// Name compression for the encoder, RFC 1035 §4.1.4: a name, or its tail, is replaced by a pointer
// to an earlier occurrence of the same labels. Only an exact-case match is used: a pointer into a
// differently-cased occurrence would change how the name reads (RFC 4343 allows it, but clients
// and tests compare what they asked with what they got), so every name keeps its own case.
//
// The dictionary maps a hash of each suffix to where it was written, and a hit is
// confirmed against the bytes already in the message, so no strings are built per name and a hash
// collision only costs a missed compression.

import { encodeName } from './name.js';

// Pointers hold 14 bits of offset.
const MAX_POINTER_TARGET = 0x3fff;
const POINTER = 0xc000;
// At most 127 labels fit in 255 bytes.
const MAX_LABELS = 128;

export class NameCompressor {
  private readonly offsets = new Map<number, number>();
  // Hashes in insertion order, so a dropped RRset's entries can be taken back out.
  private readonly added: number[] = [];
  // The name being written: label offsets within it, hash of the suffix at each label.
  private readonly starts = new Int32Array(MAX_LABELS);
  private readonly hashes = new Int32Array(MAX_LABELS);

  reset(): void {
    this.offsets.clear();
    this.added.length = 0;
  }

  /** A point to roll back to; see rollback. */
  mark(): number {
    return this.added.length;
  }

  /** Forgets names written since `mark`, so nothing later can point into bytes that were dropped. */
  rollback(mark: number): void {
    while (this.added.length > mark) this.offsets.delete(this.added.pop()!);
  }

  /**
   * Writes `name` at `out[at]` and returns the offset past it; `out` needs 255 bytes of room there.
   * With `compress` false the name is written whole (fields that must not be compressed) but still
   * becomes a pointer target. All names of one message go to the same `out`, after a reset.
   */
  write(name: string, out: Buffer, at: number, compress: boolean): number {
    const { starts, hashes } = this;
    // Written whole first; a pointer then replaces the longest tail already in the message.
    const length = encodeName(name, out, at);
    if (length === 1) return at + 1;
    let count = 0;
    for (let i = at; out[i] !== 0; i += out[i]! + 1) starts[count++] = i - at;
    // FNV-1a over the bytes from the last label backwards: one pass hashes every suffix.
    let h = 0x811c9dc5 | 0;
    for (let k = count - 1, stop = at + length - 1; k >= 0; stop = at + starts[k]!, k--) {
      for (let i = at + starts[k]!; i < stop; i++) h = Math.imul(h ^ out[i]!, 0x01000193);
      // Kept within small-integer range so Map keys stay unboxed.
      hashes[k] = h & 0x3fffffff;
    }
    if (compress) {
      for (let k = 0; k < count; k++) {
        const target = this.offsets.get(hashes[k]!);
        const tail = at + starts[k]!;
        if (target === undefined || !sameName(out, target, tail)) continue;
        out[tail] = (POINTER | target) >> 8;
        out[tail + 1] = target & 0xff;
        this.remember(k, at);
        return tail + 2;
      }
    }
    this.remember(count, at);
    return at + length;
  }

  // Registers the first `count` suffixes of the name just written at `at`.
  private remember(count: number, at: number): void {
    for (let k = 0; k < count; k++) {
      const offset = at + this.starts[k]!;
      if (offset > MAX_POINTER_TARGET) return;
      const hash = this.hashes[k]!;
      if (this.offsets.has(hash)) continue;
      this.offsets.set(hash, offset);
      this.added.push(hash);
    }
  }
}

/** True when the names at `out[p]` and `out[q]` are byte for byte equal; both are our own output. */
function sameName(out: Buffer, p: number, q: number): boolean {
  for (;;) {
    let length = out[p]!;
    while (length >= 0xc0) {
      p = ((length & 0x3f) << 8) | out[p + 1]!;
      length = out[p]!;
    }
    if (length !== out[q]) return false;
    if (length === 0) return true;
    for (let i = 1; i <= length; i++) if (out[p + i] !== out[q + i]) return false;
    p += length + 1;
    q += length + 1;
  }
}
