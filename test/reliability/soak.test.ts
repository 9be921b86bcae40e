// The soak, short: 60 s of checked queries against the built server while the table churns about
// 100 times a second through the API server and etcd, the API server is killed and restarted
// every 20 s, the upstream stalls every 25 s and garbage arrives on the side. Zero wrong answers,
// no exit, no uncaught error, RSS within 10 % of its size after warm-up, and full rate again
// within 2 s of each fault. The rate is modest so that a loaded 2-core machine keeps up;
// `npm run soak` runs the long version.
import { describe, expect, it } from 'vitest';
import { formatReport, runSoak } from '../../bench/soak/run.js';
import { hasEtcd } from '../registry/etcd/etcd-server.js';

describe.skipIf(!hasEtcd())('the soak, 60 seconds', () => {
  it('never answers wrong, never exits, stays flat and recovers from every fault', async () => {
    const report = await runSoak({
      seconds: 60,
      rate: 300,
      changesPerSecond: 100,
      apiRestartEverySeconds: 20,
      stallEverySeconds: 25,
      fuzzPerSecond: 50,
      // Half the run: a young process grows its heap for a while before it settles.
      warmupShare: 0.5,
    });
    console.log(formatReport(report));
    expect(report.serverAlive).toBe(true);
    expect(report.wrongSamples).toEqual([]);
    expect(report.apiRestarts).toBeGreaterThanOrEqual(2);
    expect(report.stalls).toBeGreaterThanOrEqual(2);
    expect(report.failures).toEqual([]);
  }, 240_000);
});
