// The server blocks of one port, each its own chain: a query goes to the block whose zone holds its
// name most closely, as CoreDNS picks a server block (core/dnsserver/server.go, ServeDNS walks the
// name's suffixes, longest first). A port with one block has no dispatch at all.
//
// The name is matched as it lies in the query, without building a string: each zone is kept in
// wire form, longest first, and a zone holds the name when its bytes end the name's at a label
// boundary, letters compared without case (RFC 4343).
import { HEADER_SIZE } from '../dns/header.js';
import { MAX_NAME_LENGTH, encodeName } from '../dns/name.js';
import type { QueryContext } from '../resolve/types.js';
import type { QueryHandler } from './handler.js';

type Handler = Pick<QueryHandler, 'handle'>;

export interface DispatchedBlock {
  /** Lower case, no trailing dot; '.' for the root. */
  zones: readonly string[];
  handler: Handler;
}

/** A name has at most 127 labels (255 bytes). */
const MAX_LABELS = 128;

export class BlockDispatch {
  /** Each zone's labels in wire form (no final zero), longest first. */
  private readonly zones: { wire: Buffer; handler: Handler }[] = [];
  private readonly root: Handler;
  /** Where each label of the name being matched starts; reused by every query. */
  private readonly labelStarts = new Int32Array(MAX_LABELS);

  /**
   * `fallback` takes what no zone holds when no block is for the root, and what cannot be read as
   * a question (its block answers FORMERR or drops it, as any port does).
   */
  constructor(blocks: readonly DispatchedBlock[], fallback: Handler) {
    let root: Handler | undefined;
    const seen = new Set<string>();
    for (const { zones, handler } of blocks) {
      for (const zone of zones) {
        if (zone === '.') root ??= handler;
        else if (!seen.has(zone)) {
          seen.add(zone);
          this.zones.push({ wire: wireName(zone), handler });
        }
      }
    }
    this.zones.sort((a, b) => b.wire.length - a.wire.length);
    this.root = root ?? fallback;
  }

  handle(message: Buffer, context: QueryContext): ReturnType<Handler['handle']> {
    return this.blockOf(message).handle(message, context);
  }

  private blockOf(message: Buffer): Handler {
    const starts = this.labelStarts;
    let labels = 0;
    let at = HEADER_SIZE;
    for (;;) {
      if (at >= message.length) return this.root;
      const length = message[at]!;
      if (length === 0) break;
      // A pointer (or a reserved label type) in a question is legal but never sent by a resolver.
      if (length > 63 || labels === MAX_LABELS) return this.root;
      starts[labels++] = at;
      at += 1 + length;
    }
    for (const zone of this.zones) {
      const from = at - zone.wire.length;
      if (from < HEADER_SIZE || !isLabelStart(starts, labels, from)) continue;
      if (sameLetters(message, from, zone.wire)) return zone.handler;
    }
    return this.root;
  }
}

function isLabelStart(starts: Int32Array, labels: number, offset: number): boolean {
  for (let i = labels - 1; i >= 0 && starts[i]! >= offset; i--) if (starts[i] === offset) return true;
  return false;
}

/** Whether `message` holds `wire` at `from`, ASCII letters compared without case. */
function sameLetters(message: Buffer, from: number, wire: Buffer): boolean {
  for (let i = 0; i < wire.length; i++) {
    let byte = message[from + i]!;
    if (byte >= 0x41 && byte <= 0x5a) byte += 0x20;
    if (byte !== wire[i]) return false;
  }
  return true;
}

/** `cluster.local` as its labels on the wire, lower case, without the final zero. */
function wireName(zone: string): Buffer {
  const out = Buffer.alloc(MAX_NAME_LENGTH);
  return Buffer.from(out.subarray(0, encodeName(zone, out, 0) - 1));
}
