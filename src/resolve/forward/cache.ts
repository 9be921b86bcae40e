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
import { canonicalName } from '../../dns/index.js';
import { Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';

export interface CacheOptions {
  /** Entries kept at most; the least recently used goes first. Default 10 000. */
  maxEntries?: number;
  /** Longest a positive answer is kept, in seconds. Default 3600. */
  successMaxTtl?: number;
  /** Longest a negative answer is kept, in seconds. Default 1800. */
  denialMaxTtl?: number;
  /** Seconds an expired answer may still be served when every upstream fails; 0 disables. Default 3600. */
  staleWindow?: number;
  /** Milliseconds since some epoch; injectable for tests. Default Date.now. */
  now?: () => number;
}

export const CACHE_DEFAULTS = {
  maxEntries: 10_000,
  successMaxTtl: 3600,
  denialMaxTtl: 1800,
  staleWindow: 3600,
};

/** TTL of a stale record served: RFC 8767 §4 recommends 30 seconds. */
export const STALE_TTL = 30;

export interface CacheStats {
  entries: number;
  /** Entries by kind, counted when asked (a scrape), not kept up per query. */
  entriesByKind: { success: number; denial: number };
  hits: { success: number; denial: number };
  misses: number;
  /** Entries pushed out by `maxEntries`. */
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
}

export function cacheKey(question: Question, dnssecOk: boolean): string {
  return `${canonicalName(question.name)}|${question.type}|${question.class}|${dnssecOk ? 1 : 0}`;
}

export class AnswerCache {
  // A Map iterates in insertion order; an entry re-inserted on each use keeps it in LRU order.
  private readonly entries = new Map<string, Entry>();
  private readonly settings: Required<Omit<CacheOptions, 'now'>>;
  /** The clock entries are stored and aged by. */
  readonly now: () => number;
  private readonly counters = { hits: { success: 0, denial: 0 }, misses: 0, evictions: 0, staleServed: 0 };

  constructor(options: CacheOptions = {}) {
    const { now, ...limits } = options;
    this.settings = { ...CACHE_DEFAULTS };
    for (const [name, value] of Object.entries(limits)) {
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(`cache option ${name} must be an integer of at least 0, got ${value}`);
      }
      this.settings[name as keyof typeof CACHE_DEFAULTS] = value;
    }
    this.now = now ?? Date.now;
  }

  /** The fresh answer for `key`, TTLs counted down; undefined (a miss) when absent or expired. */
  get(key: string): Answer | undefined {
    const entry = this.entries.get(key);
    const age = entry ? this.ageOf(entry) : 0;
    if (!entry || age >= entry.ttl * 1000) {
      if (entry && !this.keptStale(entry, age)) this.entries.delete(key);
      this.counters.misses++;
      return undefined;
    }
    this.touch(key, entry);
    this.counters.hits[entry.kind]++;
    return answerAt(entry, Math.floor(age / 1000));
  }

  /**
   * The fresh entry for `key` as stored, TTLs not counted down and nothing counted: for serving it
   * from elsewhere (precompiled wire bytes), which then calls countHit(). get() serves each record
   * with TTL max(0, min(ttl, lifetime) - whole seconds since storedAt).
   */
  peek(key: string): CachedEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry || this.ageOf(entry) >= entry.ttl * 1000) return undefined;
    return entry;
  }

  countHit(kind: Kind): void {
    this.counters.hits[kind]++;
  }

  /** For when every upstream failed: an answer expired less than `staleWindow` ago, TTLs 30. */
  getStale(key: string): Answer | undefined {
    const entry = this.entries.get(key);
    if (!entry || !this.keptStale(entry, this.ageOf(entry))) return undefined;
    this.touch(key, entry);
    this.counters.staleServed++;
    return withTtls(entry.answer, () => STALE_TTL);
  }

  /** Keeps `answer` if it may be cached; an answer that may not replaces nothing and is dropped. */
  put(key: string, answer: Answer): void {
    // --cache-size 0 (a Corefile without cache): nothing is kept.
    if (this.settings.maxEntries === 0) return;
    const lifetime = this.lifetimeOf(answer);
    if (!lifetime) {
      // The upstream's latest word on the name is not cacheable; an older one must not outlive it.
      this.entries.delete(key);
      return;
    }
    this.entries.delete(key);
    this.entries.set(key, { answer, ...lifetime, storedAt: this.now() });
    while (this.entries.size > this.settings.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counters.evictions++;
    }
  }

  stats(): CacheStats {
    const { hits, ...rest } = this.counters;
    const entriesByKind = { success: 0, denial: 0 };
    for (const entry of this.entries.values()) entriesByKind[entry.kind]++;
    return { entries: this.entries.size, entriesByKind, hits: { ...hits }, ...rest };
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

  private ageOf(entry: Entry): number {
    return Math.max(0, this.now() - entry.storedAt);
  }

  private keptStale(entry: Entry, age: number): boolean {
    return age < (entry.ttl + this.settings.staleWindow) * 1000 && this.settings.staleWindow > 0;
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
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
