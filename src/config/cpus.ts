// How many CPUs this process may use: what the scheduler lets it run on, and no more than its
// cgroup's CPU quota. A container limited to 2 CPUs on a 64-core node sees 64 with
// os.availableParallelism() (the quota does not change the affinity mask), and forking a worker per
// CPU there would run 64 copies of the table on 2 CPUs' worth of time.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** CPUs worth of quota in the cgroup under `root` (v2 `cpu.max`, else v1 CFS), or undefined. */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const read = (path: string) => {
    try {
      return readFileSync(join(root, path), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    return ratio(quota, period);
  }
  return ratio(read('cpu/cpu.cfs_quota_us'), read('cpu/cpu.cfs_period_us'));
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  // "max" (v2) and -1 (v1) mean no quota.
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return q / p;
}

/** The CPUs to plan workers for: the affinity mask, capped by the quota rounded up, at least 1. */
export function usableCpus(root?: string): number {
  const quota = cgroupCpuQuota(root);
  const cpus = availableParallelism();
  return Math.max(1, quota === undefined ? cpus : Math.min(cpus, Math.ceil(quota)));
}
