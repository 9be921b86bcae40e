// The answer cache with an injected clock: lifetimes, TTL countdown, negative caching, stale, LRU.
import { describe, expect, it } from 'vitest';
import { Rcode, type Answer, type ResourceRecord } from '../../../src/dns/types.js';
import { AnswerCache, answerBytes, cacheKey, type CacheOptions } from '../../../src/resolve/forward/cache.js';

function clock() {
  let ms = 1_000_000;
  return { now: () => ms, advance: (seconds: number) => (ms += seconds * 1000) };
}

function cache(options: CacheOptions = {}) {
  const time = clock();
  return { cache: new AnswerCache({ now: time.now, ...options }), advance: time.advance };
}

const key = cacheKey({ name: 'www.example.com', type: 1, class: 1 }, false);

function aRecord(ttl: number, name = 'www.example.com'): ResourceRecord {
  return { name, ttl, class: 1, data: { type: 'A', address: '192.0.2.1' } };
}

function soaRecord(ttl: number, minimum: number): ResourceRecord {
  return {
    name: 'example.com',
    ttl,
    class: 1,
    data: {
      type: 'SOA',
      mname: 'ns.example.com',
      rname: 'hostmaster.example.com',
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum,
    },
  };
}

function answer(rcode: number, answers: ResourceRecord[], authority: ResourceRecord[] = []): Answer {
  return { rcode, authoritative: false, ra: true, answers, authority, additional: [] };
}

const ttlsOf = (served: Answer | undefined) =>
  served ? [...served.answers, ...served.authority, ...served.additional].map((rr) => rr.ttl) : undefined;

describe('cacheKey', () => {
  it('folds case and tells type, class and DO apart', () => {
    const q = { name: 'WWW.Example.COM', type: 1, class: 1 };
    expect(cacheKey(q, false)).toBe(key);
    expect(cacheKey({ ...q, type: 28 }, false)).not.toBe(key);
    expect(cacheKey({ ...q, class: 3 }, false)).not.toBe(key);
    expect(cacheKey(q, true)).not.toBe(key);
  });
});

describe('AnswerCache', () => {
  it('keeps a positive answer for its smallest TTL and counts every TTL down', () => {
    const { cache: store, advance } = cache();
    store.put(key, {
      ...answer(Rcode.NOERROR, [aRecord(60), aRecord(100)]),
      additional: [aRecord(80, 'ns')],
    });
    expect(ttlsOf(store.get(key))).toEqual([60, 60, 60]);
    advance(10.9);
    expect(ttlsOf(store.get(key))).toEqual([50, 50, 50]);
    advance(49);
    expect(ttlsOf(store.get(key))).toEqual([1, 1, 1]);
    advance(0.1);
    expect(store.get(key)).toBeUndefined();
    expect(store.stats()).toMatchObject({ hits: { success: 3, denial: 0 }, misses: 1 });
  });

  it('caps a positive lifetime at successMaxTtl', () => {
    const { cache: store, advance } = cache({ successMaxTtl: 100 });
    store.put(key, answer(Rcode.NOERROR, [aRecord(86400)]));
    expect(ttlsOf(store.get(key))).toEqual([100]);
    advance(100);
    expect(store.get(key)).toBeUndefined();
  });

  it('keeps NXDOMAIN for min(SOA TTL, SOA minimum), capped at denialMaxTtl', () => {
    const { cache: store, advance } = cache();
    store.put(key, answer(Rcode.NXDOMAIN, [], [soaRecord(300, 60)]));
    const served = store.get(key);
    expect(served?.rcode).toBe(Rcode.NXDOMAIN);
    expect(ttlsOf(served)).toEqual([60]);
    advance(59);
    expect(ttlsOf(store.get(key))).toEqual([1]);
    advance(1);
    expect(store.get(key)).toBeUndefined();
    expect(store.stats().hits).toEqual({ success: 0, denial: 2 });

    const capped = cache({ denialMaxTtl: 30 });
    capped.cache.put(key, answer(Rcode.NOERROR, [], [soaRecord(20_000, 10_000)]));
    expect(ttlsOf(capped.cache.get(key))).toEqual([30]);
  });

  it('keeps NODATA by the SOA TTL when it is below the minimum', () => {
    const { cache: store, advance } = cache();
    store.put(key, answer(Rcode.NOERROR, [], [soaRecord(15, 600)]));
    expect(ttlsOf(store.get(key))).toEqual([15]);
    advance(15);
    expect(store.get(key)).toBeUndefined();
  });

  it('does not cache a denial without an SOA, SERVFAIL, REFUSED, a truncated answer, or TTL 0', () => {
    const { cache: store } = cache();
    const uncacheable: Answer[] = [
      answer(Rcode.NXDOMAIN, []),
      answer(
        Rcode.NOERROR,
        [],
        [{ name: 'example.com', ttl: 300, data: { type: 'NS', target: 'ns.example' } }],
      ),
      answer(Rcode.SERVFAIL, []),
      answer(Rcode.REFUSED, []),
      { ...answer(Rcode.NOERROR, [aRecord(300)]), truncated: true },
      answer(Rcode.NOERROR, [aRecord(0)]),
    ];
    for (const each of uncacheable) {
      store.put(key, each);
      expect(store.get(key)).toBeUndefined();
    }
    expect(store.stats().entries).toBe(0);
  });

  it('lets an uncacheable answer replace an older cached one', () => {
    const { cache: store } = cache();
    store.put(key, answer(Rcode.NOERROR, [aRecord(300)]));
    store.put(key, answer(Rcode.NXDOMAIN, []));
    expect(store.get(key)).toBeUndefined();
    expect(store.getStale(key)).toBeUndefined();
  });

  it('serves an expired answer as stale with TTL 30 within the window, and not after', () => {
    const { cache: store, advance } = cache({ staleWindow: 100 });
    store.put(key, answer(Rcode.NOERROR, [aRecord(60)], [soaRecord(60, 60)]));
    expect(ttlsOf(store.getStale(key))).toEqual([30, 30]);
    advance(60 + 99);
    expect(store.get(key)).toBeUndefined();
    expect(ttlsOf(store.getStale(key))).toEqual([30, 30]);
    advance(1);
    expect(store.getStale(key)).toBeUndefined();
    expect(store.get(key)).toBeUndefined();
    expect(store.stats()).toMatchObject({ staleServed: 2, entries: 0 });
  });

  it('serves nothing stale with staleWindow 0', () => {
    const { cache: store, advance } = cache({ staleWindow: 0 });
    store.put(key, answer(Rcode.NOERROR, [aRecord(60)]));
    advance(60);
    expect(store.getStale(key)).toBeUndefined();
    expect(store.stats().entries).toBe(1);
    expect(store.get(key)).toBeUndefined();
    expect(store.stats().entries).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const { cache: store } = cache({ maxEntries: 3 });
    const keyOf = (i: number) => cacheKey({ name: `n${i}.example`, type: 1, class: 1 }, false);
    for (let i = 0; i < 3; i++) store.put(keyOf(i), answer(Rcode.NOERROR, [aRecord(300)]));
    expect(store.get(keyOf(0))).toBeDefined();
    store.put(keyOf(3), answer(Rcode.NOERROR, [aRecord(300)]));
    expect(store.stats()).toMatchObject({ entries: 3, evictions: 1 });
    expect(store.get(keyOf(1))).toBeUndefined();
    for (const i of [0, 2, 3]) expect(store.get(keyOf(i))).toBeDefined();
  });

  it('hands out copies: changing a served answer does not change the cache', () => {
    const { cache: store } = cache();
    store.put(key, answer(Rcode.NOERROR, [aRecord(300)]));
    store.get(key)!.answers[0]!.ttl = 5;
    expect(ttlsOf(store.get(key))).toEqual([300]);
  });

  it('rejects option values that make no sense, naming the option', () => {
    expect(() => new AnswerCache({ maxEntries: -1 })).toThrow(/maxEntries/);
    expect(() => new AnswerCache({ staleWindow: -1 })).toThrow(/staleWindow/);
    expect(() => new AnswerCache({ successMaxTtl: 1.5 })).toThrow(/successMaxTtl/);
  });

  it('keeps nothing with both sizes 0 (--cache-size 0, a Corefile without cache)', () => {
    const { cache: none } = cache({ maxEntries: 0, maxDenialEntries: 0 });
    none.put(key, answer(Rcode.NOERROR, [aRecord(300)]));
    none.put(key, answer(Rcode.NXDOMAIN, [], [soaRecord(300, 300)]));
    expect(none.get(key)).toBeUndefined();
    expect(none.stats().entries).toBe(0);
  });

  const nameKey = (i: number) => cacheKey({ name: `r${i}.example.com`, type: 1, class: 1 }, false);

  it('keeps denials in their own store: a flood of denied names never pushes out an answer', () => {
    const { cache: store } = cache({ maxEntries: 10, maxDenialEntries: 100 });
    store.put(key, answer(Rcode.NOERROR, [aRecord(300)]));
    for (let i = 0; i < 10_000; i++) store.put(nameKey(i), answer(Rcode.NXDOMAIN, [], [soaRecord(300, 300)]));
    expect(store.stats()).toMatchObject({ entriesByKind: { success: 1, denial: 100 }, evictions: 9900 });
    expect(store.get(key)).toBeDefined();
    // The most recent denials are the ones kept.
    expect(store.get(nameKey(9999))?.rcode).toBe(Rcode.NXDOMAIN);
    expect(store.get(nameKey(0))).toBeUndefined();
  });

  it('bounds each store in bytes, evicting the least recently used to fit', () => {
    const one = answerBytes(nameKey(1000), answer(Rcode.NXDOMAIN, [], [soaRecord(300, 300)]));
    const { cache: store } = cache({ maxBytes: one * 5 + 10 });
    for (let i = 1000; i < 2000; i++) {
      store.put(nameKey(i), answer(Rcode.NXDOMAIN, [], [soaRecord(300, 300)]));
      expect(store.stats().bytesByKind.denial).toBeLessThanOrEqual(one * 5 + 10);
    }
    expect(store.stats().entriesByKind.denial).toBe(5);
    expect(store.stats().bytesByKind.denial).toBe(one * 5);
    // Removing and expiring entries gives their bytes back.
    store.put(nameKey(1999), answer(Rcode.SERVFAIL, []));
    expect(store.stats().bytesByKind.denial).toBe(one * 4);
  });

  it('keeps no answer larger than its whole store', () => {
    const big = answer(
      Rcode.NOERROR,
      Array.from({ length: 50 }, () => aRecord(300)),
    );
    const { cache: store } = cache({ maxBytes: 1000 });
    store.put(nameKey(1), answer(Rcode.NOERROR, [aRecord(300)]));
    store.put(key, big);
    expect(store.get(key)).toBeUndefined();
    expect(store.get(nameKey(1))).toBeDefined();
  });

  it('replaces a denial with a later answer for the same name, in the other store', () => {
    const { cache: store } = cache();
    store.put(key, answer(Rcode.NXDOMAIN, [], [soaRecord(300, 300)]));
    store.put(key, answer(Rcode.NOERROR, [aRecord(300)]));
    expect(store.stats().entriesByKind).toEqual({ success: 1, denial: 0 });
    expect(store.get(key)?.rcode).toBe(Rcode.NOERROR);
  });
});
