import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupCpuQuota, usableCpus } from '../../src/config/cpus.js';

let roots: string[] = [];
afterEach(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  roots = [];
});

/** A cgroup file system laid out as the kernel shows it, with the given files. */
function cgroup(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'clusterdns-cgroup-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `${text}\n`);
  }
  return root;
}

describe('the CPUs workers are planned for', () => {
  it('reads a cgroup v2 quota, and "max" as none', () => {
    expect(cgroupCpuQuota(cgroup({ 'cpu.max': '150000 100000' }))).toBe(1.5);
    expect(cgroupCpuQuota(cgroup({ 'cpu.max': 'max 100000' }))).toBeUndefined();
  });

  it('reads a cgroup v1 CFS quota, and -1 as none', () => {
    const limited = cgroup({ 'cpu/cpu.cfs_quota_us': '200000', 'cpu/cpu.cfs_period_us': '100000' });
    expect(cgroupCpuQuota(limited)).toBe(2);
    const unlimited = cgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' });
    expect(cgroupCpuQuota(unlimited)).toBeUndefined();
  });

  it('caps the CPUs the process may run on by the quota rounded up, and plans at least one', () => {
    const cpus = availableParallelism();
    expect(usableCpus(cgroup({ 'cpu.max': '50000 100000' }))).toBe(1);
    expect(usableCpus(cgroup({ 'cpu.max': `${(cpus + 8) * 100000} 100000` }))).toBe(cpus);
    expect(usableCpus(cgroup({}))).toBe(cpus);
    if (cpus >= 2) expect(usableCpus(cgroup({ 'cpu.max': '120000 100000' }))).toBe(2);
  });
});
