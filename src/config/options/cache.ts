// The forwarder's cache: its bounds, the TTLs it caps, serving stale answers, and prefetch (CoreDNS's
// cache, https://coredns.io/plugins/cache/).
import { duration, integer } from '../values.js';
import type { OptionSpec, Reading } from './reading.js';

export const CACHE_OPTIONS = {
  'cache-size': {
    defaultValue: '10000',
    type: 'string',
    metavar: 'N',
    help: 'positive forwarded answers cached at most (default 10000)',
  },
  'cache-denial-size': {
    defaultValue: '10000',
    type: 'string',
    metavar: 'N',
    help: 'negative forwarded answers (NXDOMAIN, NODATA) cached at most, apart from the positive ones (default 10000)',
  },
  'cache-max-bytes': {
    defaultValue: '16777216',
    type: 'string',
    metavar: 'BYTES',
    help: 'bytes each of the positive and negative caches holds at most (default 16777216, 16 MiB)',
  },
  'cache-max-ttl': {
    defaultValue: '3600',
    type: 'string',
    metavar: 'SECONDS',
    help: 'cap on a cached positive answer (default 3600)',
  },
  'cache-denial-max-ttl': {
    defaultValue: '1800',
    type: 'string',
    metavar: 'SECONDS',
    help: 'cap on a cached negative answer (default 1800)',
  },
  'serve-stale': {
    defaultValue: '1h',
    type: 'string',
    metavar: 'DURATION',
    help: 'serve expired answers this long past expiry when upstreams fail; 0 disables (default 1h)',
  },
  'cache-prefetch': {
    type: 'string',
    metavar: '"AMOUNT [DURATION [PERCENT%]]"',
    help: 'fetch an answer asked AMOUNT times, no gap of DURATION (1m), again when PERCENT (10%) of its TTL is left; 0 off',
  },
} satisfies Record<string, OptionSpec>;

export interface PrefetchOptions {
  /** Questions in a row, no gap of `windowMs`, that make an entry popular. At least 1. */
  amount: number;
  windowMs: number;
  /** Remaining TTL, in percent of the entry's lifetime, below which it is fetched again. 10-90. */
  percentage: number;
}

export interface CacheConfig {
  maxEntries: number;
  maxDenialEntries: number;
  maxBytes: number;
  successMaxTtl: number;
  denialMaxTtl: number;
  staleWindow: number;
  /** Refresh popular answers before they expire; absent: off. */
  prefetch?: PrefetchOptions;
}

export function cacheConfig(reading: Reading<keyof typeof CACHE_OPTIONS>): CacheConfig {
  const { number, text } = reading;
  return {
    maxEntries: number('cache-size', 0, 10_000_000),
    maxDenialEntries: number('cache-denial-size', 0, 10_000_000),
    maxBytes: number('cache-max-bytes', 0, 2 ** 40),
    successMaxTtl: number('cache-max-ttl', 0, 604800),
    denialMaxTtl: number('cache-denial-max-ttl', 0, 604800),
    staleWindow: reading.seconds('serve-stale'),
    ...(text('cache-prefetch') !== undefined && {
      prefetch: reading.checked('cache-prefetch', parsePrefetch, text('cache-prefetch')!),
    }),
  };
}

/**
 * `AMOUNT [DURATION [PERCENT%]]` as CoreDNS's cache setup reads prefetch: AMOUNT 0 turns it off,
 * DURATION defaults to 1m, PERCENT to 10% and lies in 10-90%.
 */
function parsePrefetch(value: string): PrefetchOptions | undefined {
  const words = value.trim().split(/\s+/);
  const [amount, window = '1m', percent = '10%'] = words;
  if (words.length > 3) throw new Error(`"${value}": expected AMOUNT [DURATION [PERCENT%]]`);
  const count = integer(amount!, 0, 1_000_000);
  const match = /^(\d+)%$/.exec(percent);
  const percentage = match ? Number(match[1]) : NaN;
  if (!(percentage >= 10 && percentage <= 90)) {
    throw new Error(`"${percent}": expected a percentage from 10% to 90%`);
  }
  const windowMs = Math.round(duration(window) * 1000);
  if (windowMs < 1) throw new Error(`"${window}": expected a duration of at least 1ms`);
  return count === 0 ? undefined : { amount: count, windowMs, percentage };
}
