// The compiled answers the store holds, and the small interfaces through which it learns from the
// cluster zone, the forwarder's cache and the metrics what it needs of them.
import type { Answer, Question } from '../dns/types.js';
import type { Resolver } from '../resolve/types.js';
import type { ServiceEntry, ServiceIndex } from '../table/service-index.js';
import type { ServingState } from '../table/table.js';

/** What reply() serves: compiled reply bytes, and where to patch the SOA serial. */
export interface ServedReply extends SlottedAnswer {
  /**
   * The reply with ID 0, RD, CD and RA clear, the question in lower case, and no OPT record: `size`
   * bytes at `at` in `slab`. An offset, not a Buffer view of its own: a view is a 96-byte object,
   * a third of what a compiled NXDOMAIN costs.
   */
  slab: Buffer;
  /** -1 while the form is not compiled (a whole answer no client has asked for yet). */
  at: number;
  readonly size: number;
  /** Offset of the SOA serial to write the current table version into, or -1. */
  readonly serialAt: number;
}

export interface CompiledAnswer extends ServedReply {
  /** Whether nothing after the question depends on its case, so a mixed-case question can be patched in. */
  readonly caseFree: boolean;
  /**
   * The same answer cut to fit smaller replies (truncatedRooms), those asked so far; undefined
   * when none is.
   */
  truncated: TruncatedAnswer[] | undefined;
  /**
   * What the answer stays valid with: the service's index entry (until the index retires it), the
   * set of services (a missing service: until one is added or removed), or the whole table.
   */
  readonly dependsOn: Dependency;
  /** The membership count or table version it was made at (unused for a service entry). */
  readonly stamp: number;
  /** For an answer that depends on the client: the variant it was compiled for (see precompiled.ts). */
  variant?: string;
  /**
   * The store keys of the other variants of the question, made once each: a key built per reply
   * would be a new string to hash each time, which cost more than the rest of the reply.
   */
  variantKeys?: Map<string, string>;
  /** A forwarded answer: the cache entry it was compiled from, and where its TTLs are. */
  readonly forwarded?: ForwardedParts;
}

/**
 * A compiled answer cut, as the general path cuts it, to `room` bytes: the reply limit of a UDP
 * client less the OPT record it asked for, if any. TC set; served and counted as an answer of its own.
 */
export interface TruncatedAnswer extends ServedReply {
  readonly room: number;
}

export interface ForwardedParts {
  /** The forwarder's handle of the cache entry (see ForwardedAnswers.peek). */
  cached: object;
  ttlAt: number[];
  /** Each record's TTL as the cache serves it at once: min(ttl, the entry's lifetime). */
  ttlBase: number[];
}

/** What the store needs of the forwarder whose cached answers it serves. */
export interface ForwardedSource {
  /** The index of the link that forwards, in the resolver chain. */
  link: number;
  forwarder: ForwardedAnswers;
}

/**
 * What the store asks of a forwarder: the answers its cache holds, by a handle it keeps for each.
 * Methods, so that a forwarder's own handle type stands in for `object`.
 */
export interface ForwardedAnswers {
  /** The handle of the fresh answer held for `question`; undefined when none is. */
  peek(question: Question, dnssecOk: boolean): object | undefined;
  /**
   * The entry's answer as it would be served at once (TTLs capped to the entry's lifetime, owners
   * spelled as `name` is). Apart from peek() so that an entry already compiled is not copied.
   */
  answerOf(entry: object, name: string): Answer;
  /** Whole seconds since the entry was stored while it is fresh; undefined once it is not. */
  cachedFor(entry: object): number | undefined;
  /** The entry's answer was served from compiled bytes: count it as the cache's hit. */
  countCacheHit(entry: object): void;
}

/**
 * What an answer to a name stays valid with: the index entry of the one service it is about (until
 * the index retires it), the set of services (a missing service: until one is added or removed),
 * or the whole table.
 */
export type Dependency = ServiceEntry | 'membership' | 'table';

/**
 * What the store asks of the resolver whose answers it compiles: what an answer to a name depends
 * on, and the zone it is in, by the resolver's own naming rule.
 */
export interface DependencySource {
  dependsOn(name: string, index: ServiceIndex): { on: Dependency; zone: string | undefined };
}

/** What the metrics keep of a compiled answer: its label values, and the slot they give it. */
export interface SlottedAnswer {
  readonly rcode: number;
  readonly link: number;
  /** Its slot in the AnswerSlotTable that counts it; -1 for none. */
  metricsSlot: number;
}

/** The metrics' table of answer slots: each compiled answer is given one as it is stored. */
export interface AnswerSlotTable {
  /** Gives `answer`, to `name` asked with `qtype`, the slot of its labels and sizes (without OPT). */
  assign(answer: SlottedAnswer, name: string, qtype: number, requestSize: number, responseSize: number): void;
}

export interface PrecompiledOptions {
  table: { readonly current: ServiceIndex; readonly servingState: ServingState };
  /**
   * The cluster-zone link of the resolver chain, and its index there; and the cluster zone itself,
   * which tells what its answers depend on.
   */
  cluster: Resolver;
  clusterLink: number;
  dependencies: DependencySource;
  /** NXDOMAIN may be replaced for some clients (autopath) or come from elsewhere (fallthrough). */
  negativeAnswers: boolean;
  /** Address records are rotated per answer (loadbalance): several of them cannot be compiled. */
  rotatesAddresses: boolean;
  /**
   * Serve the forwarder's fresh cached answers too. Only when the links before it answer alike
   * for every client (no search-path namespace to know clients by).
   */
  forwarded?: ForwardedSource;
  /** The metrics' slots, each answer given one as it is compiled; absent with metrics off. */
  answerSlots?: AnswerSlotTable;
  /** Our EDNS payload size (`bufsize`), as the query handler has it. Default 1232. */
  udpSize?: number;
  /**
   * The variant of a service's answers a client gets, for services whose answers depend on the
   * client; undefined when they do not. Absent: every answer is the same for every client.
   */
  clientVariant?: (service: ServiceEntry, clientAddress: string) => string | undefined;
  /** Bounds on what the store holds; the oldest entries go first. */
  maxEntries?: number;
  maxBytes?: number;
}
