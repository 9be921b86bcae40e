// Hostile input, property-based: whatever bytes arrive, the parser is total and the handler answers
// with a well-formed reply carrying the query's ID (see test/fuzz/harness.ts for every check).
// A fixed seed and run count keep this quick and repeatable; `npm run fuzz` runs millions.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerProperty, parserProperty, startHarness, type Harness } from '../fuzz/harness.js';
import { realQuery } from '../fuzz/queries.js';
import { bytes, header, rrTail } from './wire.js';

const SEED = 0x5eed;

describe('parseQuery is total', () => {
  it('returns a verdict, never throws, on any bytes and any mangled query', () => {
    fc.assert(parserProperty(), { seed: SEED, numRuns: 20_000 });
  });
});

describe('hostile queries through the handler and a real resolver chain', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('answers every message well-formed, with its ID, within the transport size', async () => {
    const seen = new Map<string, number>();
    await fc.assert(handlerProperty(harness, seen), { seed: SEED, numRuns: 3000 });
    // The generators reach every verdict, so every path of the handler was driven.
    for (const kind of ['drop', 'formerr', 'notimp', 'badvers', 'query'])
      expect(seen.get(kind), kind).toBeGreaterThan(10);
    expect(harness.counters.queryErrors).toBe(0);
  });

  it('answers clean queries for cluster, hosts and forwarded names alike', async () => {
    await fc.assert(
      fc.asyncProperty(realQuery, async (message) => {
        expect(await harness.check(message, 'udp')).toBe('query');
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  // The mangling the generators do, each once by hand, with the verdict it must get.
  const name = (...labels: number[][]) => [...labels.flat(), 0];
  const label = (length: number) => [length, ...new Array<number>(length).fill(0x61)];
  const opt = [0, ...rrTail(41, 1232, 0)];
  const cases: [string, string, Buffer][] = [
    ['a header cut short', 'drop', bytes(header(7, 0, 1).slice(0, 11))],
    ['QDCOUNT says 2, one question', 'formerr', bytes(header(7, 0, 2), 'a.b', 0, 1, 0, 1)],
    ['ANCOUNT says 5, none there', 'formerr', bytes(header(7, 0, 1, 5), 'a.b', 0, 1, 0, 1)],
    ['a pointer to itself', 'formerr', bytes(header(7, 0, 1), 0xc0, 12, 0, 1, 0, 1)],
    [
      'two pointers pointing at each other',
      'formerr',
      bytes(header(7, 0, 1), 0xc0, 14, 0xc0, 12, 0, 1, 0, 1),
    ],
    ['a forward pointer', 'formerr', bytes(header(7, 0, 1), 0xc0, 18, 0, 1, 0, 1, 1, 0x61, 0)],
    ['a 64-byte label', 'formerr', bytes(header(7, 0, 1), name(label(64)), 0, 1, 0, 1)],
    [
      'a 256-byte name',
      'formerr',
      bytes(header(7, 0, 1), name(label(63), label(63), label(63), label(63)), 0, 1, 0, 1),
    ],
    ['OPT in the answer section', 'formerr', bytes(header(7, 0, 1, 1), 'a.b', 0, 1, 0, 1, opt)],
    ['two OPT records', 'formerr', bytes(header(7, 0, 1, 0, 0, 2), 'a.b', 0, 1, 0, 1, opt, opt)],
    ['an unknown type and class', 'query', bytes(header(7, 0, 1), 'a.b', 0xff, 0x00, 0x12, 0x34)],
    ['opcode 5 (UPDATE)', 'notimp', bytes(header(7, 5 << 11, 1), 'a.b', 0, 1, 0, 1)],
  ];
  it.each(cases)('%s: %s', async (_what, kind, message) => {
    for (const transport of ['udp', 'tcp'] as const)
      expect(await harness.check(message, transport)).toBe(kind);
  });
});
