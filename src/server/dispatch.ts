// The server blocks of one port, each its own chain: a query goes to the block whose zone holds
// its name most closely, as CoreDNS picks a server block (core/dnsserver/server.go, ServeDNS walks
// the name's suffixes, longest first). A port with one block has no dispatch at all.
import { HEADER_SIZE } from '../dns/header.js';
import type { QueryContext } from '../resolve/types.js';
import type { QueryHandler } from './handler.js';

type Handler = Pick<QueryHandler, 'handle'>;

export interface DispatchedBlock {
  /** Lower case, no trailing dot; '.' for the root. */
  zones: readonly string[];
  handler: Handler;
}

/** Longest name that is read: a name longer than a DNS name can be goes to the fallback. */
const MAX_NAME = 255;

export class BlockDispatch {
  private readonly byZone = new Map<string, Handler>();
  private readonly root: Handler;

  /**
   * `fallback` takes what no zone holds, and what cannot be read as a question (it answers
   * FORMERR or drops it, as for any port).
   */
  constructor(blocks: readonly DispatchedBlock[], fallback: Handler) {
    let root: Handler | undefined;
    for (const { zones, handler } of blocks) {
      for (const zone of zones) {
        if (zone === '.') root ??= handler;
        else if (!this.byZone.has(zone)) this.byZone.set(zone, handler);
      }
    }
    this.root = root ?? fallback;
  }

  handle(message: Buffer, context: QueryContext): ReturnType<Handler['handle']> {
    return this.blockOf(message).handle(message, context);
  }

  private blockOf(message: Buffer): Handler {
    const name = questionName(message);
    if (name === undefined) return this.root;
    for (let at = 0; at < name.length; at = name.indexOf('.', at) + 1 || name.length) {
      const handler = this.byZone.get(at === 0 ? name : name.slice(at));
      if (handler) return handler;
    }
    return this.root;
  }
}

/** The question's name in lower case without the trailing dot, or undefined when it cannot be read. */
function questionName(message: Buffer): string | undefined {
  let at = HEADER_SIZE;
  let name = '';
  while (at < message.length) {
    const length = message[at]!;
    if (length === 0) return name;
    // A pointer in a question is legal but never sent by a resolver; the fallback reads it.
    if (length > 63 || at + 1 + length > message.length || name.length + length + 1 > MAX_NAME)
      return undefined;
    const label = message.toString('latin1', at + 1, at + 1 + length).toLowerCase();
    name = name ? `${name}.${label}` : label;
    at += 1 + length;
  }
  return undefined;
}
