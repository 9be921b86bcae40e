// The forwarding link of the resolver chain: questions are answered from the cache or asked of the
// upstream pool, and the upstream's answer is passed on as it came (rcode, sections, TC), with RA
// set and AA clear: we are a recursive service here, not the authority (RFC 1035 §4.1.1).
import { namesEqual } from '../../dns/index.js';
import { RRClass, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import type { QueryContext, Resolver, UpstreamAnswer, UpstreamLookup } from '../types.js';
import {
  AnswerCache,
  answerAt,
  cacheKey,
  type CachedEntry,
  type CacheOptions,
  type CacheStats,
} from './cache.js';
import { UpstreamPool, type PoolOptions, type PoolResult, type PoolStats } from './pool.js';

export interface ForwarderOptions extends PoolOptions {
  cache?: CacheOptions;
}

export interface ForwarderStats extends PoolStats {
  cache: CacheStats;
  /** Questions that waited on an identical question's upstream query instead of sending their own. */
  coalesced: number;
  /** Questions answered SERVFAIL: every upstream failed and nothing stale was kept. */
  servfails: number;
  /** Popular cached answers fetched again before they expired. */
  prefetches: number;
}

type Source = 'cache' | 'upstream' | 'stale' | 'failed' | 'overloaded';

interface Outcome {
  source: Source;
  answer: Answer;
}

export class Forwarder implements Resolver, UpstreamLookup {
  private readonly pool: UpstreamPool;
  private readonly cache: AnswerCache;
  /** Upstream queries under way, by cache key: identical questions share one. */
  private readonly waiting = new Map<string, Promise<Outcome>>();
  private coalesced = 0;
  private servfails = 0;
  private prefetches = 0;

  constructor(options: ForwarderOptions) {
    const { cache, ...pool } = options;
    this.cache = new AnswerCache(cache);
    this.pool = new UpstreamPool(pool);
  }

  async resolve(question: Question, context?: QueryContext): Promise<Answer> {
    const { answer } = await this.answer(question, context?.dnssecOk === true, context?.transport);
    return inClientCase(answer, question.name);
  }

  /** For ExternalName targets: the same cache and upstreams; undefined when no upstream answered. */
  async lookup(name: string, type: number): Promise<UpstreamAnswer | undefined> {
    const { source, answer } = await this.answer({ name, type, class: RRClass.IN }, false);
    if (source === 'failed' || source === 'overloaded') return undefined;
    const { answers } = inClientCase(answer, name);
    return { rcode: answer.rcode, truncated: answer.truncated === true, answers };
  }

  stats(): ForwarderStats {
    return {
      ...this.pool.stats(),
      cache: this.cache.stats(),
      coalesced: this.coalesced,
      servfails: this.servfails,
      prefetches: this.prefetches,
    };
  }

  /** The fresh cache entry answering `question` (see AnswerCache.peek); nothing counted. */
  peek(question: Question, dnssecOk: boolean): CachedEntry | undefined {
    return this.cache.peek(cacheKey(question, dnssecOk));
  }

  /**
   * The entry's answer as resolve() would serve it at once: TTLs capped to the entry's lifetime,
   * owners spelled as `name` is.
   */
  answerOf(entry: CachedEntry, name: string): Answer {
    return inClientCase(answerAt(entry, 0), name);
  }

  /** Whole seconds since a cache entry was stored while it is fresh; undefined once expired. */
  cachedFor(entry: CachedEntry): number | undefined {
    return this.cache.freshSeconds(entry);
  }

  /** A cached answer was served without asking resolve(): count it as the cache's hit. */
  countCacheHit(entry: CachedEntry): void {
    this.cache.countHit(entry.kind);
    if (entry.origin && this.cache.notePrefetch(entry)) {
      this.prefetch(entry.origin.question, entry.origin.dnssecOk);
    }
  }

  /** Stops probing down upstreams. */
  close(): void {
    this.pool.close();
  }

  private answer(question: Question, dnssecOk: boolean, client?: 'udp' | 'tcp'): Promise<Outcome> {
    const key = cacheKey(question, dnssecOk);
    const entry = this.cache.getEntry(key);
    if (entry) {
      if (this.cache.notePrefetch(entry)) this.prefetch(question, dnssecOk);
      return Promise.resolve({
        source: 'cache',
        answer: answerAt(entry, this.cache.freshSeconds(entry) ?? 0),
      });
    }
    const pending = this.waiting.get(key);
    if (pending) {
      this.coalesced++;
      return pending;
    }
    const query = this.ask(key, question, dnssecOk, client).finally(() => this.waiting.delete(key));
    this.waiting.set(key, query);
    return query;
  }

  /**
   * Asks the upstreams again for a popular cached answer about to expire, in the background: the
   * client has its answer already, and the fresh one replaces the entry (cache prefetch). One at a
   * time per question, like any upstream query.
   */
  private prefetch(question: Question, dnssecOk: boolean): void {
    const key = cacheKey(question, dnssecOk);
    if (this.waiting.has(key)) return;
    this.prefetches++;
    const query = this.ask(key, question, dnssecOk).finally(() => this.waiting.delete(key));
    this.waiting.set(key, query);
  }

  private async ask(
    key: string,
    question: Question,
    dnssecOk: boolean,
    client?: 'udp' | 'tcp',
  ): Promise<Outcome> {
    const result = await this.pool.query(question, dnssecOk, client);
    if (result.kind === 'reply') {
      const answer = forwarded(result);
      const origin = this.cache.prefetching ? { question: { ...question }, dnssecOk } : undefined;
      this.cache.put(key, answer, origin);
      return { source: 'upstream', answer };
    }
    if (result.kind === 'overloaded') return { source: 'overloaded', answer: empty(Rcode.REFUSED) };
    // RFC 8767 §4: when no upstream can be reached, an expired answer beats none.
    const stale = this.cache.getStale(key);
    if (stale) return { source: 'stale', answer: stale };
    this.servfails++;
    return { source: 'failed', answer: empty(Rcode.SERVFAIL) };
  }
}

function forwarded(result: Extract<PoolResult, { kind: 'reply' }>): Answer {
  const { reply } = result;
  const answer: Answer = {
    rcode: reply.rcode,
    authoritative: false,
    ra: true,
    answers: reply.answers,
    authority: reply.authority,
    additional: reply.additional,
  };
  if (result.truncated) answer.truncated = true;
  return answer;
}

function empty(rcode: number): Answer {
  return { rcode, authoritative: false, ra: true, answers: [], authority: [], additional: [] };
}

/**
 * Owner names equal to the question name are written as the client spelled it: the upstream (or
 * the client whose question filled the cache) may have used other case, and a client may check
 * that the answer matches its question exactly (the 0x20 trick, draft-vixie-dnsext-dns0x20).
 */
function inClientCase(answer: Answer, name: string): Answer {
  const respell = (records: ResourceRecord[]) =>
    records.map((rr) => (rr.name !== name && namesEqual(rr.name, name) ? { ...rr, name } : rr));
  return {
    ...answer,
    answers: respell(answer.answers),
    authority: respell(answer.authority),
    additional: respell(answer.additional),
  };
}
