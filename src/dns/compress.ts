// Name compression for the encoder, RFC 1035 §4.1.4: a name, or its tail, is replaced by a pointer
// to an earlier occurrence of the same labels. Only an exact-case match is used: a pointer into a
// differently-cased occurrence would change how the name reads (RFC 4343 allows it, but clients
// and tests compare what they asked with what they got), so every name keeps its own case.
//
// The dictionary maps a hash of each suffix to where it was written, and a hit is
// confirmed against the bytes already in the message, so no strings are built per name and a hash
// collision only costs a missed compression.
//
// It is an open-addressed table in typed arrays, allocated once and emptied by moving to a new
// generation, not a Map: a Map that lives long has its table in the old generation, and V8 then
// allocates each table that clearing or growing it makes there too. Compiling answers after a
// table load made the old generation's largest garbage that way (about half of 100 MB allocated).

import { encodeName } from './name.js';

// Pointers hold 14 bits of offset.
const MAX_POINTER_TARGET = 0x3fff;
const POINTER = 0xc000;
// At most 127 labels fit in 255 bytes.
const MAX_LABELS = 128;
// Every suffix remembered starts at its own offset below MAX_POINTER_TARGET, with a length byte
// and at least one more: at most 8 192 of them, so this many slots are never more than half full.
const SLOTS = 1 << 14;
const SLOT_MASK = SLOTS - 1;

export class NameCompressor {
  // Slot by slot: a suffix's hash, the offset it was written at, and the generation (the message)
  // the slot belongs to; a slot of an older generation is empty.
  private readonly hashAt = new Int32Array(SLOTS);
  private readonly offsetAt = new Int32Array(SLOTS);
  private readonly generationAt = new Uint32Array(SLOTS);
  private generation = 1;
  // Slots filled in order, so the entries of a dropped record or RRset can be taken back out (last
  // first, which leaves linear probing exactly as it was before them).
  private readonly filled = new Int32Array(SLOTS);
  private filledCount = 0;
  // The name being written: label offsets within it, hash of the suffix at each label.
  private readonly starts = new Int32Array(MAX_LABELS);
  private readonly hashes = new Int32Array(MAX_LABELS);

  reset(): void {
    this.filledCount = 0;
    if (++this.generation > 0xffffffff) {
      this.generationAt.fill(0);
      this.generation = 1;
    }
  }

  /** A point to roll back to; see rollback. */
  mark(): number {
    return this.filledCount;
  }

  /** Forgets names written since `mark`, so nothing later can point into bytes that were dropped. */
  rollback(mark: number): void {
    while (this.filledCount > mark) this.generationAt[this.filled[--this.filledCount]!] = 0;
  }

  /** The slot holding `hash` in this message, else the empty slot where it would go. */
  private slotOf(hash: number): number {
    let slot = hash & SLOT_MASK;
    while (this.generationAt[slot] === this.generation && this.hashAt[slot] !== hash)
      slot = (slot + 1) & SLOT_MASK;
    return slot;
  }

  /** Where the suffix with `hash` was written in this message, or -1. */
  private offsetOf(hash: number): number {
    const slot = this.slotOf(hash);
    return this.generationAt[slot] === this.generation ? this.offsetAt[slot]! : -1;
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
      hashes[k] = h & 0x3fffffff;
    }
    if (compress) {
      for (let k = 0; k < count; k++) {
        const target = this.offsetOf(hashes[k]!);
        const tail = at + starts[k]!;
        if (target < 0 || !sameName(out, target, tail)) continue;
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
      const slot = this.slotOf(hash);
      if (this.generationAt[slot] === this.generation) continue; // the first occurrence is kept
      this.hashAt[slot] = hash;
      this.offsetAt[slot] = offset;
      this.generationAt[slot] = this.generation;
      this.filled[this.filledCount++] = slot;
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
