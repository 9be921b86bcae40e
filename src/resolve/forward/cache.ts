// Answers from upstream, kept for as long as their records allow. Keyed by name (case folded,
// RFC 4343), type, class and the DO bit (an answer with DNSSEC records is not one without).
//
// - Positive answers (NOERROR with records) live for the smallest TTL among their records, at most
//   `successMaxTtl`.
// - Negative answers (NXDOMAIN, or NOERROR without records: NODATA) live for the smaller of the SOA
//   record's TTL and its MINIMUM field, at most `denialMaxTtl` (RFC 2308 §5); without an SOA in the
//   authority section they are not cached at all (RFC 2308 §5).
// - Anything else (SERVFAIL, REFUSED, ...) and truncated answers are not cached.
//
// Every TTL served is counted down by the time spent here (RFC 1035 §7.1). After expiry an entry is
// kept `staleWindow` more seconds, to be served when no upstream answers (RFC 8767).
//
// With `prefetch`, a popular entry (asked `amount` times with no gap of `windowMs` between two
// questions) is due to be fetched again once its remaining TTL drops to `percentage` of its
// lifetime, or at the latest its last second, as CoreDNS's `cache { prefetch }` does
// (https://coredns.io/plugins/cache/); the forwarder does the fetching.
//
// Positive and negative answers are kept in two stores, each bounded in entries and in bytes, as
// CoreDNS keeps `success` and `denial` apart: a flood of random names that the upstream denies (a
// random-subdomain attack) fills the denial store and pushes out only denials, never the answers
// clients actually use. Each insert evicts least recently used entries until the store fits again:
// O(1) per insert, amortized, since an entry is evicted at most once.
import type { PrefetchOptions } from '../../config/options/cache.js';
import { canonicalName } from '../../dns/index.js';
import { Rcode, type Answer, type Question, type RecordData, type ResourceRecord } from '../../dns/types.js';

export interface CacheOptions {
  /** Positive answers kept at most; the least recently used goes first. Default 10 000. */
  maxEntries?: number;
  /** Negative answers kept at most, in their own store. Default 10 000. */
  maxDenialEntries?: number;
  /** Bytes each store (positive, negative) holds at most, as `answerBytes` counts them. Default 16 MiB. */
  maxBytes?: number;
  /** Longest a positive answer is kept, in seconds. Default 3600. */
  successMaxTtl?: number;
  /** Longest a negative answer is kept, in seconds. Default 1800. */
  denialMaxTtl?: number;
  /** Seconds an expired answer may still be served when every upstream fails; 0 disables. Default 3600. */
  staleWindow?: number;
  /** Refresh popular entries before they expire. Default off. */
  prefetch?: PrefetchOptions;
  /** Milliseconds since some epoch; injectable for tests. Default Date.now. */
  now?: () => number;
}

export const CACHE_DEFAULTS = {
  maxEntries: 10_000,
  maxDenialEntries: 10_000,
  maxBytes: 16 * 1024 * 1024,
  successMaxTtl: 3600,
  denialMaxTtl: 1800,
  staleWindow: 3600,
};

/** TTL of a stale record served: RFC 8767 §4 recommends 30 seconds. */
export const STALE_TTL = 30;

export interface CacheStats {
  entries: number;
  entriesByKind: { success: number; denial: number };
  /** Bytes held by kind, as `answerBytes` counts them. */
  bytesByKind: { success: number; denial: number };
  hits: { success: number; denial: number };
  misses: number;
  /** Entries pushed out by a store's entry or byte bound. */
  evictions: number;
  staleServed: number;
}

type Kind = 'success' | 'denial';

export type CachedEntry = Readonly<Entry>;

interface Entry {
  answer: Answer;
  kind: Kind;
  storedAt: number;
  /** Seconds the entry is fresh. */
  ttl: number;
  /** What it counts against its store's byte bound. */
  bytes: number;
  /** Questions in a row for it, and when the last came (prefetch). */
  hits: number;
  lastHit: number;
  /** The question that filled it, to ask again when prefetching; undefined without prefetch. */
  origin: { question: Question; dnssecOk: boolean } | undefined;
}

/** One kind's entries, least recently used first (a Map iterates in insertion order). */
class Store {
  readonly entries = new Map<string, Entry>();
  bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  /** Adds `entry` as the most recently used; returns how many older entries it pushed out. */
  add(key: string, entry: Entry): number {
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    let evicted = 0;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      this.delete(this.entries.keys().next().value as string);
      evicted++;
    }
    return evicted;
  }

  /** Marks `key` most recently used. */
  touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}

export function cacheKey(question: Question, dnssecOk: boolean): string {
  return `${canonicalName(question.name)}|${question.type}|${question.class}|${dnssecOk ? 1 : 0}`;
}

export class AnswerCache {
  private readonly stores: Record<Kind, Store>;
  private readonly settings: Required<Omit<CacheOptions, 'now' | 'prefetch'>>;
  private readonly prefetch: PrefetchOptions | undefined;
  private readonly now: () => number;
  private readonly counters = { hits: { success: 0, denial: 0 }, misses: 0, evictions: 0, staleServed: 0 };

  constructor(options: CacheOptions = {}) {
    const { now, prefetch, ...limits } = options;
    this.prefetch = prefetch;
    this.settings = { ...CACHE_DEFAULTS };
    for (const [name, value] of Object.entries(limits)) {
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(`cache option ${name} must be an integer of at least 0, got ${value}`);
      }
      this.settings[name as keyof typeof CACHE_DEFAULTS] = value;
    }
    this.now = now ?? Date.now;
    const { maxEntries, maxDenialEntries, maxBytes } = this.settings;
    this.stores = { success: new Store(maxEntries, maxBytes), denial: new Store(maxDenialEntries, maxBytes) };
  }

  /** The fresh entry for `key`, counted as a hit; undefined (a miss) when absent or expired. */
  getEntry(key: string): CachedEntry | undefined {
    const entry = this.find(key);
    const age = entry ? this.ageOf(entry) : 0;
    if (!entry || age >= entry.ttl * 1000) {
      if (entry && !this.keptStale(entry, age)) this.stores[entry.kind].delete(key);
      this.counters.misses++;
      return undefined;
    }
    this.stores[entry.kind].touch(key, entry);
    this.counters.hits[entry.kind]++;
    return entry;
  }

  /** The fresh answer for `key`, TTLs counted down; undefined (a miss) when absent or expired. */
  get(key: string): Answer | undefined {
    const entry = this.getEntry(key);
    return entry && answerAt(entry, Math.floor(this.ageOf(entry) / 1000));
  }

  /**
   * The fresh entry for `key` as stored, TTLs not counted down and nothing counted: for serving it
   * from elsewhere (precompiled wire bytes), which then calls countHit(). get() serves each record
   * with TTL max(0, min(ttl, lifetime) - whole seconds since storedAt).
   */
  peek(key: string): CachedEntry | undefined {
    const entry = this.find(key);
    return entry && this.freshSeconds(entry) !== undefined ? entry : undefined;
  }

  /** Whole seconds since `entry` was stored while it is fresh; undefined once it has expired. */
  freshSeconds(entry: CachedEntry): number | undefined {
    const age = this.ageOf(entry);
    return age < entry.ttl * 1000 ? Math.floor(age / 1000) : undefined;
  }

  countHit(kind: Kind): void {
    this.counters.hits[kind]++;
  }

  /** Whether entries are fetched again before they expire: only then do they keep their question. */
  get prefetching(): boolean {
    return this.prefetch !== undefined;
  }

  /**
   * Counts a question answered from `entry` toward its popularity; true when it is due to be
   * fetched again now (see prefetch above). Always false without prefetch.
   */
  notePrefetch(entry: CachedEntry): boolean {
    const prefetch = this.prefetch;
    if (!prefetch) return false;
    const counted = entry as Entry;
    const now = this.now();
    // A gap of the window or more starts the count again (CoreDNS's cache/freq).
    counted.hits = now - counted.lastHit > prefetch.windowMs ? 1 : counted.hits + 1;
    counted.lastHit = now;
    const left = counted.ttl * 1000 - (now - counted.storedAt);
    const threshold = Math.max(1000, Math.ceil((prefetch.percentage / 100) * counted.ttl) * 1000);
    return counted.hits >= prefetch.amount && left > 0 && left <= threshold;
  }

  /** For when every upstream failed: an answer expired less than `staleWindow` ago, TTLs 30. */
  getStale(key: string): Answer | undefined {
    const entry = this.find(key);
    if (!entry || !this.keptStale(entry, this.ageOf(entry))) return undefined;
    this.stores[entry.kind].touch(key, entry);
    this.counters.staleServed++;
    return withTtls(entry.answer, () => STALE_TTL);
  }

  /** Keeps `answer` if it may be cached; an answer that may not replaces nothing and is dropped. */
  put(key: string, answer: Answer, origin?: { question: Question; dnssecOk: boolean }): void {
    // The upstream's latest word on the name replaces any older one, or, when it may not be
    // cached, removes it: an older answer must not outlive it.
    this.stores.success.delete(key);
    this.stores.denial.delete(key);
    const lifetime = this.lifetimeOf(answer);
    // A store of size 0 (--cache-size 0, a Corefile without cache) keeps nothing.
    if (!lifetime || this.stores[lifetime.kind].maxEntries === 0) return;
    const bytes = answerBytes(key, answer);
    // An answer larger than the whole store would only empty it.
    if (bytes > this.stores[lifetime.kind].maxBytes) return;
    this.counters.evictions += this.stores[lifetime.kind].add(key, {
      answer,
      ...lifetime,
      bytes,
      storedAt: this.now(),
      hits: 0,
      lastHit: 0,
      origin,
    });
  }

  stats(): CacheStats {
    const { hits, ...rest } = this.counters;
    const { success, denial } = this.stores;
    return {
      entries: success.entries.size + denial.entries.size,
      entriesByKind: { success: success.entries.size, denial: denial.entries.size },
      bytesByKind: { success: success.bytes, denial: denial.bytes },
      hits: { ...hits },
      ...rest,
    };
  }

  private find(key: string): Entry | undefined {
    return this.stores.success.entries.get(key) ?? this.stores.denial.entries.get(key);
  }

  private lifetimeOf(answer: Answer): { kind: Kind; ttl: number } | undefined {
    if (answer.truncated) return undefined;
    let kind: Kind;
    let ttl: number;
    if (answer.rcode === Rcode.NOERROR && answer.answers.length > 0) {
      kind = 'success';
      ttl = Math.min(
        this.settings.successMaxTtl,
        ...ttls(answer.answers, answer.authority, answer.additional),
      );
    } else if (answer.rcode === Rcode.NXDOMAIN || answer.rcode === Rcode.NOERROR) {
      const soa = answer.authority.find((rr) => rr.data.type === 'SOA');
      if (!soa || soa.data.type !== 'SOA') return undefined;
      kind = 'denial';
      // A CNAME chain before the denial must not outlive its own TTL either.
      ttl = Math.min(this.settings.denialMaxTtl, soa.ttl, soa.data.minimum, ...ttls(answer.answers));
    } else {
      return undefined;
    }
    // TTL 0 means use once, never cache (RFC 1035 §3.2.1).
    return ttl > 0 ? { kind, ttl } : undefined;
  }

  private ageOf(entry: CachedEntry): number {
    return Math.max(0, this.now() - entry.storedAt);
  }

  private keptStale(entry: Entry, age: number): boolean {
    return age < (entry.ttl + this.settings.staleWindow) * 1000 && this.settings.staleWindow > 0;
  }
}

/** Per entry, beyond its records: the Map slot, the entry and answer objects, the section arrays. */
const ENTRY_OVERHEAD = 160;
/** Per record, beyond its name and data: the record object and its wire header. */
const RECORD_OVERHEAD = 48;

/**
 * What an entry counts against its store's byte bound: the key, the names and data of every
 * record, and a fixed overhead per entry and per record for the objects that hold them. An
 * estimate of the heap it takes, cheap enough for every insert (each follows an upstream round
 * trip), and monotonic in what an upstream can make it hold.
 */
export function answerBytes(key: string, answer: Answer): number {
  let bytes = ENTRY_OVERHEAD + key.length;
  for (const section of [answer.answers, answer.authority, answer.additional]) {
    for (const rr of section) bytes += RECORD_OVERHEAD + rr.name.length + dataBytes(rr.data);
  }
  return bytes;
}

function dataBytes(data: RecordData): number {
  switch (data.type) {
    case 'A':
    case 'AAAA':
      return data.address.length;
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return data.target.length;
    case 'MX':
      return 8 + data.exchange.length;
    case 'SRV':
      return 24 + data.target.length;
    case 'TXT':
      return data.texts.reduce((sum, text) => sum + 16 + text.length, 0);
    case 'SOA':
      return 40 + data.mname.length + data.rname.length;
    case 'RAW':
      return 16 + data.rdata.length;
  }
}

/** A fresh entry's answer `elapsed` whole seconds after it was stored: every TTL counted down. */
export function answerAt(entry: CachedEntry, elapsed: number): Answer {
  return withTtls(entry.answer, (ttl) => Math.max(0, Math.min(ttl, entry.ttl) - elapsed));
}

function ttls(...sections: ResourceRecord[][]): number[] {
  return sections.flatMap((records) => records.map((rr) => rr.ttl));
}

function withTtls(answer: Answer, ttlFor: (ttl: number) => number): Answer {
  const copy = (records: ResourceRecord[]) => records.map((rr) => ({ ...rr, ttl: ttlFor(rr.ttl) }));
  return {
    ...answer,
    answers: copy(answer.answers),
    authority: copy(answer.authority),
    additional: copy(answer.additional),
  };
}
