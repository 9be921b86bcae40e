// Precompiled answers: the wire bytes of cluster-zone answers, keyed by the lower-cased question
// as it is written on the wire, so a query the store holds costs a map look-up and a copy. An
// answer is compiled by the general path the first time its question is asked, and stays valid
// until the table changes what it depends on:
//
// - a name at or below `<svc>.<ns>.svc.<zone>` depends on that one service: the entry is valid
//   while the index holds the very same service entry (or, for a missing service, while no service
//   has been added or removed anywhere);
// - any other name (the apex, `<ns>.svc`, reverse names, pods) depends on the whole table and is
//   valid until its next change.
//
// So one endpoint changing in a table of 100 000 services invalidates the answers of that service
// only, and only their next asking pays for the general path. Compiling on first ask, rather than
// every name and type when the table changes, keeps memory to what clients ask: most of the
// names a table could answer (every type of every endpoint name, every reverse address) are
// never asked.
//
// What a compiled answer leaves to the query: the ID, the RD and CD bits, RA (which depends on the
// client), the question's case, the OPT record, and the SOA serial (the table version, which moves
// with every change). Whatever else differs from query to query is not compiled: answers of other
// links, answers whose records a client-dependent link could change (autopath, fallthrough),
// shuffled ones (loadbalance), CNAME chains and truncated answers.
import { serviceKey, type ServiceEntry, type ServiceIndex } from '../table/service-index.js';
import type { ServingState } from '../table/table.js';
import { lowerLabel, splitName } from '../dns/labels.js';
import { OPT_RECORD_SIZE, OPT_TYPE, optTtl } from '../dns/edns.js';
import { encodeResponse } from '../dns/encode.js';
import { ARCOUNT_AT, FLAG_CD, FLAG_RA, FLAG_RD, HEADER_SIZE } from '../dns/header.js';
import type { PlainQuery } from '../dns/plain-query.js';
import { RRType, Rcode, type Answer, type Question } from '../dns/types.js';
import type { QueryContext, Resolver } from '../resolve/types.js';
import type { ZoneSet } from '../resolve/zones.js';
import { ADVERTISED_UDP_SIZE, MAX_TCP_MESSAGE, replyLimit } from './reply-size.js';

export interface CompiledAnswer {
  /** The reply with ID 0, RD, CD and RA clear, the question in lower case, and no OPT record. */
  readonly bytes: Buffer;
  /** The question name (lower case), for the metrics' zone label. */
  readonly name: string;
  readonly rcode: number;
  /** The resolver link that answered, for the metrics' plugin label. */
  readonly link: number;
  /** Whether nothing after the question depends on its case, so a mixed-case question can be patched in. */
  readonly caseFree: boolean;
  /** Offset of the SOA serial to write the current table version into, or -1. */
  readonly serialAt: number;
  /** The service the answer depends on, by key; undefined when it depends on the whole table. */
  readonly serviceKey: string | undefined;
  readonly service: ServiceEntry | undefined;
  /** Table version (whole-table answers) or membership count (missing service) it was made at. */
  readonly stamp: number;
}

export interface PrecompiledOptions {
  table: { readonly current: ServiceIndex; readonly servingState: ServingState };
  zones: ZoneSet;
  /** The cluster-zone link of the resolver chain, and its index there. */
  cluster: Resolver;
  clusterLink: number;
  /** NXDOMAIN may be replaced for some clients (autopath) or come from elsewhere (fallthrough). */
  negativeAnswers: boolean;
  /** Address records are rotated per answer (loadbalance): several of them cannot be compiled. */
  rotatesAddresses: boolean;
  /** Bounds on what the store holds; the oldest entries go first. */
  maxEntries?: number;
  maxBytes?: number;
}

/** The cluster zone answers alike for every client. */
const COMPILE_CONTEXT: QueryContext = { transport: 'udp', clientAddress: '', clientPort: 0 };

/** The reply with ID 0, RD, CD and RA clear, and no OPT; undefined when it cannot be encoded. */
function compile(question: Question, answer: Answer): Buffer | undefined {
  try {
    return encodeResponse(
      { id: 0, opcode: 0, rd: false, cd: false, question },
      { ...answer, ra: false },
      { maxSize: MAX_TCP_MESSAGE },
    );
  } catch {
    return undefined; // the general path answered it SERVFAIL; nothing to compile
  }
}

/** Per entry beyond its reply bytes: the key string, the entry object, the map slot. */
const ENTRY_OVERHEAD = 160;
const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

export class PrecompiledAnswers {
  private readonly entries = new Map<string, CompiledAnswer>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** Served from the store, and compiled into it: for the metrics. */
  hits = 0;
  compiled = 0;

  constructor(private readonly options: PrecompiledOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  get size(): number {
    return this.entries.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * The reply to `message` (read as `query`) from a compiled answer still valid, or undefined when
   * the general path must answer it. `entry` receives the answer used, for the metrics.
   */
  reply(
    message: Buffer,
    query: PlainQuery,
    transport: 'udp' | 'tcp',
    recursionAvailable: (clientAddress: string) => boolean,
    clientAddress: string,
  ): { bytes: Buffer; entry: CompiledAnswer } | undefined {
    const entry = this.entries.get(query.key);
    if (entry === undefined || (query.mixedCase && !entry.caseFree)) return undefined;
    const table = this.options.table;
    if (table.servingState !== 'ready' || !this.stillValid(entry, table.current)) return undefined;
    const compiled = entry.bytes;
    const withOpt = query.edns;
    const size = compiled.length + (withOpt ? OPT_RECORD_SIZE : 0);
    if (size > replyLimit(transport, query.udpSize)) return undefined; // needs truncating
    const out = Buffer.allocUnsafe(size);
    compiled.copy(out, 0, 0, compiled.length);
    out[0] = message[0]!;
    out[1] = message[1]!;
    let flags = (compiled[2]! << 8) | compiled[3]!;
    const queryFlags = (message[2]! << 8) | message[3]!;
    flags |= queryFlags & (FLAG_RD | FLAG_CD);
    if (recursionAvailable(clientAddress)) flags |= FLAG_RA;
    out[2] = flags >>> 8;
    out[3] = flags & 0xff;
    if (query.mixedCase) message.copy(out, HEADER_SIZE, HEADER_SIZE, query.nameEnd);
    if (entry.serialAt >= 0) out.writeUInt32BE(table.current.version, entry.serialAt);
    if (withOpt) {
      const at = compiled.length;
      out[at] = 0;
      out.writeUInt16BE(OPT_TYPE, at + 1);
      out.writeUInt16BE(ADVERTISED_UDP_SIZE, at + 3);
      out.writeUInt32BE(optTtl(entry.rcode, query.dnssecOk), at + 5);
      out.writeUInt16BE(0, at + 9);
      out.writeUInt16BE(out.readUInt16BE(ARCOUNT_AT) + 1, ARCOUNT_AT);
    }
    this.hits++;
    return { bytes: out, entry };
  }

  /**
   * Offers the general path's answer to a plain query for compiling. Takes it only when the answer
   * is the same for every client and every asking until the table changes (see the file comment).
   */
  offer(query: PlainQuery, question: Question, answer: Answer, link: number): void {
    const { options } = this;
    if (query.mixedCase || link !== options.clusterLink || answer.truncated) return;
    if (answer.rcode !== Rcode.NOERROR && !(answer.rcode === Rcode.NXDOMAIN && options.negativeAnswers))
      return;
    let addresses = 0;
    for (const record of answer.answers) {
      const type = record.data.type;
      if (type === 'CNAME') return;
      if (type === 'A' || type === 'AAAA') addresses++;
    }
    if (addresses > 1 && options.rotatesAddresses) return;
    const table = options.table;
    if (table.servingState !== 'ready') return;
    const index = table.current;

    const bytes = compile(question, answer);
    // The compiled question must be the asked one byte for byte, or its key would lie.
    if (!bytes || bytes.toString('latin1', HEADER_SIZE, query.questionEnd) !== query.key) return;
    const serialAt = soaSerialOffset(bytes, query.questionEnd);
    if (serialAt === undefined) return;
    const service = this.dependency(question.name);
    const entry: CompiledAnswer = {
      bytes,
      name: question.name,
      rcode: answer.rcode,
      link,
      caseFree: this.readsSameInUpperCase(question, bytes, query.questionEnd),
      serialAt,
      serviceKey: service,
      service: service === undefined ? undefined : index.serviceByKey(service),
      stamp: service === undefined ? index.version : index.membership,
    };
    this.store(query.key, entry);
    this.compiled++;
  }

  /**
   * Whether the question asked in upper case is answered with the same bytes after the question,
   * so that any case can be patched in. Often it is not: names are compressed only against an
   * exact-case match (dns/compress.ts), and names written from the zone as asked (an SRV target,
   * the SOA) take the asked case. What holds for all lower and all upper case holds for any mix:
   * a difference would need a name matching one but not the other.
   */
  private readsSameInUpperCase(question: Question, bytes: Buffer, questionEnd: number): boolean {
    const upper = { ...question, name: question.name.toUpperCase() };
    if (upper.name === question.name) return true;
    const answer = this.options.cluster.resolve(upper, COMPILE_CONTEXT);
    if (answer === undefined || answer instanceof Promise) return false;
    const upperBytes = compile(upper, answer);
    return upperBytes !== undefined && upperBytes.subarray(questionEnd).equals(bytes.subarray(questionEnd));
  }

  private stillValid(entry: CompiledAnswer, index: ServiceIndex): boolean {
    if (entry.serviceKey === undefined) return index.version === entry.stamp;
    const now = index.serviceByKey(entry.serviceKey);
    if (now !== entry.service) return false;
    return now !== undefined || index.membership === entry.stamp;
  }

  /** The key of the service a name's answers depend on alone, or undefined for the whole table. */
  private dependency(name: string): string | undefined {
    const labels = splitName(name).map(lowerLabel);
    const zone = this.options.zones.find(labels);
    if (!zone || zone.kind !== 'forward') return undefined;
    const n = labels.length - zone.labels.length;
    if (n < 3 || labels[n - 1] !== 'svc') return undefined;
    return serviceKey(labels[n - 2]!, labels[n - 3]!);
  }

  private store(key: string, entry: CompiledAnswer): void {
    const previous = this.entries.get(key);
    if (previous) {
      this.bytes -= previous.bytes.length + key.length + ENTRY_OVERHEAD;
      this.entries.delete(key); // re-inserted last: the newest
    }
    const cost = entry.bytes.length + key.length + ENTRY_OVERHEAD;
    if (cost > this.maxBytes) return;
    while (this.entries.size >= this.maxEntries || this.bytes + cost > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.bytes -= oldest.bytes.length + oldestKey.length + ENTRY_OVERHEAD;
    }
    this.entries.set(key, entry);
    this.bytes += cost;
  }
}

/**
 * Where the SOA serial of a compiled reply is (-1: no SOA), found by walking its records;
 * undefined for a reply it cannot walk.
 */
function soaSerialOffset(bytes: Buffer, questionEnd: number): number | undefined {
  const name = (start: number): number => {
    for (let at = start; ;) {
      const b = bytes[at];
      if (b === undefined) throw new RangeError('name past the end');
      if ((b & 0xc0) === 0xc0) return at + 2;
      if (b === 0) return at + 1;
      at += b + 1;
    }
  };
  const records = bytes.readUInt16BE(6) + bytes.readUInt16BE(8) + bytes.readUInt16BE(10);
  let serialAt = -1;
  let at = questionEnd;
  try {
    for (let i = 0; i < records; i++) {
      at = name(at);
      const rdata = at + 10;
      if (bytes.readUInt16BE(at) === RRType.SOA) serialAt = name(name(rdata));
      at = rdata + bytes.readUInt16BE(at + 8);
    }
  } catch {
    return undefined;
  }
  return at === bytes.length ? serialAt : undefined;
}
