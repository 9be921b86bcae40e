// The pacing of a list+watch loop's retries: a streak of failures grows the wait whatever succeeds
// in between, and only a healthy spell as long as resetAfterMs ends it.

import { describe, expect, it } from 'vitest';
import { RetryPacer } from '../../../src/registry/kubernetes/backoff.js';

type Step = [atMs: number, kind: 'gone' | 'error' | 'retry-after 5s', expectedWaitMs: number];

const OPTIONS = { initialMs: 200, maxMs: 30_000, resetAfterMs: 120_000 };

describe('RetryPacer', () => {
  const cases: [string, Step[]][] = [
    [
      'a 410 relists at once, its repetitions wait longer each time',
      [
        [0, 'gone', 0],
        [10, 'gone', 200],
        [220, 'gone', 400],
        [630, 'gone', 800],
        [1440, 'gone', 1600],
      ],
    ],
    [
      'other failures back off from the first, up to the maximum',
      [
        [0, 'error', 200],
        [300, 'error', 400],
        [800, 'error', 800],
        [1700, 'error', 1600],
        [3400, 'error', 3200],
        [7000, 'error', 6400],
        [14_000, 'error', 12_800],
        [27_000, 'error', 25_600],
        [53_000, 'error', 30_000],
        [84_000, 'error', 30_000],
      ],
    ],
    [
      'a failure within two minutes of the last retry continues the streak',
      [
        [0, 'error', 200],
        [100_000, 'error', 400],
      ],
    ],
    [
      'two minutes healthy after the last retry forget the streak',
      [
        [0, 'gone', 0],
        [10, 'gone', 200],
        [210 + 120_000, 'gone', 0],
        [210 + 120_010, 'error', 400],
      ],
    ],
    [
      'a Retry-After longer than the backoff wins, and health counts from its end',
      [
        [0, 'retry-after 5s', 5000],
        [5000 + 119_000, 'error', 400],
      ],
    ],
  ];

  it.each(cases)('%s', (_, steps) => {
    let now = 0;
    const pacer = new RetryPacer(
      OPTIONS,
      () => now,
      () => 1,
    );
    const waits = steps.map(([at, kind]) => {
      now = at;
      if (kind === 'gone') return pacer.failed({ promptFirst: true });
      if (kind === 'retry-after 5s') return pacer.failed({ atLeastMs: 5000 });
      return pacer.failed();
    });
    expect(waits).toEqual(steps.map(([, , wait]) => wait));
  });

  it('reports the streak until it is forgotten', () => {
    let now = 0;
    const pacer = new RetryPacer(
      OPTIONS,
      () => now,
      () => 1,
    );
    pacer.failed();
    pacer.failed();
    expect(pacer.failures).toBe(2);
    now = 200 + 400 + 120_000;
    expect(pacer.failures).toBe(0);
  });
});
