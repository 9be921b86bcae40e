// Precompiled answers: the wire bytes of cluster-zone answers, keyed by the lower-cased question
// as it is written on the wire, so a query the store holds costs a map look-up and a copy. An
// answer is compiled by the general path the first time its question is asked, and stays valid
// until the table changes what it depends on:
//
// - a name at or below `<svc>.<ns>.svc.<zone>` depends on that one service: the entry is valid
//   while the index holds the very same service entry, which it marks retired when it drops it
//   (or, for a missing service, while no service has been added or removed anywhere);
// - any other name (the apex, `<ns>.svc`, reverse names, pods) depends on the whole table and is
//   valid until its next change.
//
// So one endpoint changing in a table of 100 000 services invalidates the answers of that service
// only, and only their next asking pays for the general path. Compiling on first ask, rather than
// every name and type when the table changes, keeps memory to what clients ask: most of the
// names a table could answer (every type of every endpoint name, every reverse address) are
// never asked.
//
// Forwarded answers are compiled from the forwarder's cache entry, with the offset of every TTL,
// and stay valid while that entry is fresh; each TTL is counted down as the cache counts it.
//
// An answer that depends on the client (topology-aware answers of a headless service) is compiled
// per variant of it (variants.ts).
//
// Negative answers (NXDOMAIN, NODATA) that differ only in the name asked share one entry: their
// bytes after the question are the same (the SOA's names point into the question), so the entry
// holds the bytes once and each reply takes the name from its query. The ndots:5 search storm makes
// these most of the distinct questions a cluster asks; 15 000 of them held 3 MB as entries of their own.
//
// What a compiled answer leaves to the query: the ID, the RD and CD bits, RA (which depends on the
// client), the question's name (its case, and for a shared entry its letters), the OPT record, and
// the SOA serial (the table version, which moves with every change). An answer too large for a UDP
// reply is compiled cut to the two limits nearly every client has: 512 bytes without EDNS, our
// 1232 with it; cut by the encoder itself, so a cut holds the same records and TC as the general
// path's. Each form (whole, or cut to one of those) is compiled on the first ask that needs it: an
// 80-endpoint headless service's SRV answer asked over UDP without EDNS, as glibc and most stub
// resolvers ask, is held as its cut to 512 bytes (7 or 8 records), not also as its 6 KB whole and
// a cut to 1232 no client asked for. Whatever else differs from query to query is not compiled:
// answers of other links, answers whose records a client-dependent link could change (autopath,
// fallthrough), shuffled ones (loadbalance), CNAME chains, and answers cut to any other limit.
import type { ServiceIndex } from '../table/service-index.js';
import { OPT_RECORD_SIZE, writeOpt } from '../dns/edns.js';
import { ARCOUNT_AT, FLAG_CD, FLAG_RA, FLAG_RD, HEADER_SIZE } from '../dns/header.js';
import type { PlainQuery } from '../dns/plain-query.js';
import { soaSerialOffset, ttlOffsets } from '../dns/record-offsets.js';
import { ADVERTISED_UDP_SIZE, MIN_UDP_SIZE } from '../dns/reply-size.js';
import { Rcode, type Answer, type Question } from '../dns/types.js';
import type { QueryContext } from '../resolve/types.js';
import { addressCount, compile, compileAsked, COMPILE_CONTEXT, roomFor, withDnssecOk } from './compile.js';
import { Slabs } from './slabs.js';
import { ClientVariants, withVariant } from './variants.js';
import type {
  AnswerSlotTable,
  CompiledAnswer,
  ForwardedParts,
  ForwardedSource,
  PrecompiledOptions,
  ServedReply,
  TruncatedAnswer,
} from './types.js';

export type * from './types.js';

const NO_CUTS: readonly TruncatedAnswer[] = [];
/** The slab of a form not compiled. */
const NOT_COMPILED = Buffer.alloc(0);

/** Per key: the string's header and the map slot. */
const KEY_OVERHEAD = 48;
/** Per entry beyond its reply bytes: the object. */
const ENTRY_OVERHEAD = 112;
const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/** What an entry counts against the store's bound of bytes, apart from the keys it is held under. */
function entryCost(entry: CompiledAnswer): number {
  let bytes = (entry.at >= 0 ? entry.size : 0) + ENTRY_OVERHEAD;
  if (entry.truncated) for (const cut of entry.truncated) bytes += cut.size + ENTRY_OVERHEAD;
  return bytes;
}

/** A shared entry: the shape it is found by, and how many keys it is held under. */
interface SharedUse {
  shape: string;
  keys: number;
}

export class PrecompiledAnswers {
  private readonly entries = new Map<string, CompiledAnswer>();
  /** Shared negative answers by their shape, and the use of each (see the file comment). */
  private readonly shares = new Map<string, CompiledAnswer>();
  private readonly shareUses = new Map<CompiledAnswer, SharedUse>();
  private readonly slabs = new Slabs();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** Served from the store, and compiled into it: for the metrics. */
  hits = 0;
  compiled = 0;

  private readonly udpSize: number;
  /** The variants of answers that depend on the client; without, no entry is looked at for one. */
  private readonly variants: ClientVariants | undefined;
  /**
   * The rooms truncated answers are compiled for: a UDP query without EDNS (512 bytes), and one
   * with EDNS offering our payload size or more (less the OPT record). A client offering a size in
   * between gets its cut from the general path.
   */
  private readonly truncatedRooms: number[];

  constructor(private readonly options: PrecompiledOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.udpSize = options.udpSize ?? ADVERTISED_UDP_SIZE;
    this.variants = options.clientVariant && new ClientVariants(options.clientVariant);
    this.truncatedRooms = [MIN_UDP_SIZE, this.udpSize - OPT_RECORD_SIZE];
  }

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get answerSlots(): AnswerSlotTable | undefined {
    return this.options.answerSlots;
  }

  /** The answer the last reply() came from, for the metrics (not returned: no object per query). */
  lastServed: ServedReply | undefined;

  /**
   * The reply to `message` (read as `query`) from a compiled answer still valid, or undefined when
   * the general path must answer it.
   */
  reply(
    message: Buffer,
    query: PlainQuery,
    transport: 'udp' | 'tcp',
    recursionAvailable: (clientAddress: string) => boolean,
    clientAddress: string,
  ): Buffer | undefined {
    let entry = this.entries.get(query.key);
    // The DO bit is part of a forwarded answer's identity (the cache keys on it too).
    if (entry?.forwarded && query.dnssecOk) entry = this.entries.get(withDnssecOk(query.key));
    if (this.variants && entry?.variant !== undefined) {
      const key = this.variants.keyFor(entry, query.key, clientAddress);
      if (key !== query.key) entry = key === undefined ? undefined : this.entries.get(key);
    }
    if (entry === undefined || (query.mixedCase && !entry.caseFree)) return undefined;
    const table = this.options.table;
    const forwarded = entry.forwarded;
    let elapsed: number | undefined = 0;
    if (forwarded) {
      elapsed = this.options.forwarded!.forwarder.cachedFor(forwarded.cached);
      if (elapsed === undefined) return undefined;
      // The gate in front of the forwarder: a client that may not recurse gets REFUSED.
      if (!recursionAvailable(clientAddress)) return undefined;
    } else if (table.servingState !== 'ready' || !this.stillValid(entry, table.current)) {
      return undefined;
    }
    const withOpt = query.edns;
    const optSize = withOpt ? OPT_RECORD_SIZE : 0;
    let served: ServedReply | undefined = entry;
    const room = roomFor(query, transport, this.udpSize);
    if (entry.size > room) {
      served = undefined;
      for (const cut of entry.truncated ?? NO_CUTS) if (cut.room === room) served = cut;
      if (served === undefined) return undefined;
    } else if (entry.at < 0) {
      return undefined; // the whole answer, not compiled yet
    }
    const { slab, at: from, size: compiledSize } = served;
    const size = compiledSize + optSize;
    const out = Buffer.allocUnsafe(size);
    slab.copy(out, 0, from, from + compiledSize);
    out[0] = message[0]!;
    out[1] = message[1]!;
    let flags = (out[2]! << 8) | out[3]!;
    const queryFlags = (message[2]! << 8) | message[3]!;
    flags |= queryFlags & (FLAG_RD | FLAG_CD);
    if (!forwarded && recursionAvailable(clientAddress)) flags |= FLAG_RA;
    out[2] = flags >>> 8;
    out[3] = flags & 0xff;
    // The name as asked: its case, and for a shared entry its letters (see the file comment).
    message.copy(out, HEADER_SIZE, HEADER_SIZE, query.nameEnd);
    if (served.serialAt >= 0) out.writeUInt32BE(table.current.version, served.serialAt);
    if (forwarded) {
      const { ttlAt, ttlBase } = forwarded;
      for (let i = 0; i < ttlAt.length; i++) {
        const ttl = ttlBase[i]! - elapsed;
        out.writeUInt32BE(ttl > 0 ? ttl : 0, ttlAt[i]!);
      }
      this.options.forwarded!.forwarder.countCacheHit(forwarded.cached);
    }
    if (withOpt) {
      writeOpt(out, compiledSize, this.udpSize, entry.rcode, query.dnssecOk);
      out.writeUInt16BE(out.readUInt16BE(ARCOUNT_AT) + 1, ARCOUNT_AT);
    }
    this.hits++;
    this.lastServed = served;
    return out;
  }

  /**
   * Offers the general path's answer to a plain query for compiling. Takes it only when the answer
   * is the same for every client and every asking until the table changes, or (forwarded) while the
   * cache entry behind it is fresh (see the file comment).
   */
  offer(
    query: PlainQuery,
    question: Question,
    answer: Answer,
    link: number,
    synchronous: boolean,
    asked: Pick<QueryContext, 'transport' | 'clientAddress'>,
  ): void {
    const { options } = this;
    const { transport, clientAddress } = asked;
    if (query.mixedCase || answer.truncated) return;
    if (options.forwarded && link === options.forwarded.link) {
      this.offerForwarded(query, question, options.forwarded);
      return;
    }
    // A cluster-zone answer that waited came from elsewhere (an upstream, through fallthrough).
    if (link !== options.clusterLink || !synchronous) return;
    if (answer.rcode !== Rcode.NOERROR && !(answer.rcode === Rcode.NXDOMAIN && options.negativeAnswers))
      return;
    if (answer.answers.some((record) => record.data.type === 'CNAME')) return;
    if (options.rotatesAddresses && addressCount(answer) > 1) return;
    const table = options.table;
    if (table.servingState !== 'ready') return;
    const index = table.current;
    const room = roomFor(query, transport, this.udpSize);
    const { on: dependsOn, zone } = options.dependencies.dependsOn(question.name, index);
    const variant = this.variants?.of(dependsOn, clientAddress);
    const key = variant === undefined ? query.key : this.variantKey(query.key, variant, index);
    // Held and still valid: the fast path passed it over for this client, whose room needs a form
    // not compiled yet, or one not compiled at all (other cuts). Compiling the whole entry again
    // would give the same bytes, at the cost of a second resolve (the case check).
    const held = this.entries.get(key);
    if (held && !held.forwarded && held.variant === variant && this.stillValid(held, index)) {
      this.addForm(held, question, answer, room, query, key);
      return;
    }

    const bytes = compileAsked(query, question, answer);
    if (!bytes) return;
    const serialAt = soaSerialOffset(bytes, query.questionEnd);
    if (serialAt === undefined) return;
    const context = variant === undefined ? COMPILE_CONTEXT : { ...COMPILE_CONTEXT, clientAddress };
    const caseFree = this.readsSameInUpperCase(question, bytes, query.questionEnd, context);
    const stamp = dependsOn === 'table' ? index.version : index.membership;
    // A negative answer not tied to one service, small enough for any reply: shared by shape.
    const shape =
      answer.answers.length === 0 &&
      typeof dependsOn === 'string' &&
      bytes.length <= MIN_UDP_SIZE - OPT_RECORD_SIZE
        ? `${dependsOn} ${stamp} ${zone} ${caseFree} ${query.nameEnd} ` +
          bytes.toString('latin1', 0, HEADER_SIZE) +
          bytes.toString('latin1', query.nameEnd)
        : undefined;
    const shared = shape === undefined ? undefined : this.shares.get(shape);
    if (shared) {
      this.store(query.key, shared, query, question.name, shape);
      this.compiled++;
      return;
    }
    // The form this client needs: the whole answer if it fits, else its cut.
    const fits = bytes.length <= room;
    const placed = fits ? this.slabs.place(bytes) : { slab: NOT_COMPILED, at: -1 };
    const cut = fits ? undefined : this.cutTo(room, question, answer, query.questionEnd, link);
    // One literal with every field: spreading a draft into one with more fields gave each entry a
    // hidden class of its own.
    const entry: CompiledAnswer = {
      slab: placed.slab,
      at: placed.at,
      size: bytes.length,
      rcode: answer.rcode,
      link,
      caseFree,
      serialAt,
      truncated: cut && [cut],
      dependsOn,
      stamp,
      metricsSlot: -1,
    };
    if (variant !== undefined) entry.variant = variant;
    this.store(key, entry, query, question.name, shape);
    this.compiled++;
  }

  /**
   * Where the answer of `variant` is stored: under the question's key, unless a valid answer of
   * another variant is held there.
   */
  private variantKey(key: string, variant: string, index: ServiceIndex): string {
    const held = this.entries.get(key);
    return held === undefined || held.variant === variant || !this.stillValid(held, index)
      ? key
      : withVariant(key, variant);
  }

  /** Compiles the forwarder's cache entry for the question, if it holds a fresh one. */
  private offerForwarded(query: PlainQuery, question: Question, source: ForwardedSource): void {
    const cached = source.forwarder.peek(question, query.dnssecOk);
    if (!cached) return;
    const key = query.dnssecOk ? withDnssecOk(query.key) : query.key;
    if (this.entries.get(key)?.forwarded?.cached === cached) return; // held, passed over for this client
    const answer = source.forwarder.answerOf(cached, question.name);
    if (this.options.rotatesAddresses && addressCount(answer) > 1) return;
    const bytes = compileAsked(query, question, answer);
    if (!bytes) return;
    const ttls = ttlOffsets(bytes, query.questionEnd);
    if (!ttls) return;
    const forwarded: ForwardedParts = {
      cached,
      ttlAt: ttls,
      ttlBase: ttls.map((at) => bytes.readUInt32BE(at)),
    };
    const placed = this.slabs.place(bytes);
    this.store(
      key,
      {
        slab: placed.slab,
        at: placed.at,
        size: bytes.length,
        rcode: answer.rcode,
        link: source.link,
        caseFree: false,
        serialAt: -1,
        truncated: undefined,
        // Valid while the cache entry is fresh, checked apart (see reply()).
        dependsOn: 'table',
        stamp: 0,
        metricsSlot: -1,
        forwarded,
      },
      query,
      question.name,
    );
    this.compiled++;
  }

  /**
   * The answer cut to `room`, placed in a slab; undefined unless `room` is one of truncatedRooms.
   * The cut follows the whole answer's case: if the whole one reads the same in upper case, so
   * does any part of it.
   */
  private cutTo(
    room: number,
    question: Question,
    answer: Answer,
    questionEnd: number,
    link: number,
  ): TruncatedAnswer | undefined {
    if (!this.truncatedRooms.includes(room)) return undefined;
    const bytes = compile(question, answer, room);
    const serialAt = bytes && soaSerialOffset(bytes, questionEnd);
    if (bytes === undefined || serialAt === undefined) return undefined;
    const { slab, at } = this.slabs.place(bytes);
    return { room, slab, at, size: bytes.length, serialAt, rcode: answer.rcode, link, metricsSlot: -1 };
  }

  /**
   * Adds to `held` (valid, stored under the key of `query`) the form a client with `room` needs, if
   * it lacks it: the whole answer, or its cut to that room. Stored again, as the newest, at its new
   * cost.
   */
  private addForm(
    held: CompiledAnswer,
    question: Question,
    answer: Answer,
    room: number,
    query: PlainQuery,
    key: string,
  ): void {
    if (this.shareUses.has(held)) return; // fits every room: nothing to add
    let cut: TruncatedAnswer | undefined;
    let whole: { slab: Buffer; at: number } | undefined;
    if (held.size <= room) {
      if (held.at >= 0) return;
      const bytes = compileAsked(query, question, answer);
      if (bytes?.length !== held.size) return;
      whole = this.slabs.place(bytes);
    } else {
      if (held.truncated?.some((form) => form.room === room)) return;
      cut = this.cutTo(room, question, answer, query.questionEnd, held.link);
      if (!cut) return;
    }
    this.remove(key, held);
    if (whole) {
      held.slab = whole.slab;
      held.at = whole.at;
    }
    if (cut) (held.truncated ??= []).push(cut);
    this.store(key, held, query, question.name);
    this.compiled++;
  }

  /**
   * Whether the question asked in upper case is answered with the same bytes after the question,
   * so that any case can be patched in. Often it is not: names are compressed only against an
   * exact-case match (dns/compress.ts), and names written from the zone as asked (an SRV target,
   * the SOA) take the asked case. What holds for all lower and all upper case holds for any mix:
   * a difference would need a name matching one but not the other.
   */
  private readsSameInUpperCase(
    question: Question,
    bytes: Buffer,
    questionEnd: number,
    context: QueryContext,
  ): boolean {
    const upper = { ...question, name: question.name.toUpperCase() };
    if (upper.name === question.name) return true;
    const answer = this.options.cluster.resolve(upper, context);
    if (answer === undefined || answer instanceof Promise) return false;
    const upperBytes = compile(upper, answer);
    return upperBytes !== undefined && upperBytes.subarray(questionEnd).equals(bytes.subarray(questionEnd));
  }

  private stillValid(entry: CompiledAnswer, index: ServiceIndex): boolean {
    const { dependsOn } = entry;
    if (dependsOn === 'table') return index.version === entry.stamp;
    if (dependsOn === 'membership') return index.membership === entry.stamp;
    // The index retires an entry when it drops it: the very same entry is still the one served.
    return !dependsOn.retired;
  }

  /**
   * Stores `entry`, the answer to `query` (for `name`), its bytes already in the slabs, under `key`,
   * in its metrics slot; shared by `shape`, if given. The name is not kept: a string per entry, a
   * sixth of what one costs.
   */
  private store(key: string, entry: CompiledAnswer, query: PlainQuery, name: string, shape?: string): void {
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous); // re-inserted last: the newest
    // Held first, so that making room cannot drop it with the last other key holding it.
    if (shape !== undefined) this.holdShared(entry, shape);
    const cost = this.keyCost(key, entry);
    if (cost > this.maxBytes) {
      if (shape !== undefined) this.releaseShared(entry);
      return;
    }
    // The sizes of every serving, but for the OPT record a query may add to both.
    const slots = this.options.answerSlots;
    slots?.assign(entry, name, query.type, query.questionEnd, entry.size);
    if (entry.truncated)
      for (const cut of entry.truncated) slots?.assign(cut, name, query.type, query.questionEnd, cut.size);
    while (
      this.entries.size > 0 &&
      (this.entries.size >= this.maxEntries || this.bytes + cost > this.maxBytes)
    ) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.remove(oldestKey, oldest);
    }
    this.entries.set(key, entry);
    this.bytes += cost;
  }

  private remove(key: string, entry: CompiledAnswer): void {
    this.entries.delete(key);
    this.bytes -= this.keyCost(key, entry);
    if (this.shareUses.has(entry)) this.releaseShared(entry);
  }

  /** What holding `entry` under `key` costs: a shared entry's own bytes are counted once, apart. */
  private keyCost(key: string, entry: CompiledAnswer): number {
    const cost = key.length + KEY_OVERHEAD;
    return this.shareUses.has(entry) ? cost : cost + entryCost(entry);
  }

  private holdShared(entry: CompiledAnswer, shape: string): void {
    const use = this.shareUses.get(entry);
    if (use) {
      use.keys++;
      return;
    }
    this.shares.set(shape, entry);
    this.shareUses.set(entry, { shape, keys: 1 });
    this.bytes += entryCost(entry);
  }

  private releaseShared(entry: CompiledAnswer): void {
    const use = this.shareUses.get(entry)!;
    if (--use.keys > 0) return;
    this.shares.delete(use.shape);
    this.shareUses.delete(entry);
    this.bytes -= entryCost(entry);
  }
}
