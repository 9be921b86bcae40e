// Process series under --workers: the primary's /metrics sums every process of the server (the
// pod's CPU, memory and descriptors, what its limits are set against), keeps the one start time
// and the constant info series at 1, and names each series once.
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrl, freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { scrape, valueOf, type Series } from '../helpers/prometheus.js';
import { makeZonesDir } from '../helpers/server.js';
import { eventually } from '../registry/kubernetes/helpers.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
);

/** The primary and its workers, read from /proc as `ps` would. */
function processesOf(primary: number): number[] {
  const children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/);
  return [primary, ...children.filter(Boolean).map(Number)];
}
const rssBytes = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const maxFds = (pid: number) =>
  Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))![1]);

describe('/metrics process series under --workers 2', () => {
  let zones: string;
  let cli: RunningCli;
  let startedAt: number;
  let series: Series[];
  let pids: number[];

  beforeAll(async () => {
    zones = await makeZonesDir({ 'shop.yaml': SHOP });
    startedAt = Date.now() / 1000;
    cli = await startCli(['--zones', zones, '--listen', `127.0.0.1:${await freePort()}`, '--workers', '2']);
    await eventually(() => cli.output().includes('"every worker is listening"'), 15_000, 'both workers');
    pids = processesOf(cli.child.pid!);
    series = (await scrape(endpointUrl(cli.output(), 'metrics'))).series;
  });
  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await rm(zones, { recursive: true, force: true });
  });

  it('runs as three processes', () => {
    expect(pids).toHaveLength(3);
  });

  it('sums the processes’ memory, descriptors and CPU', () => {
    const value = (name: string) => valueOf(series, name);
    const rss = pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
    // Read a moment apart from the scrape: within a quarter, and well above any one process.
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(rss * 0.75);
    expect(value('process_resident_memory_bytes')).toBeLessThan(rss * 1.25);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(rssBytes(pids[0]!) * 2);
    const fds = pids.reduce((sum, pid) => sum + openFds(pid), 0);
    expect(Math.abs(value('process_open_fds') - fds)).toBeLessThan(fds / 4);
    expect(value('process_max_fds')).toBe(pids.reduce((sum, pid) => sum + maxFds(pid), 0));
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('keeps one start time, the primary’s, and the info series at 1', () => {
    const start = series.filter((s) => s.name === 'process_start_time_seconds');
    expect(start).toHaveLength(1);
    expect(start[0]!.value).toBeGreaterThanOrEqual(Math.floor(startedAt) - 1);
    expect(start[0]!.value).toBeLessThanOrEqual(Date.now() / 1000);
    for (const name of ['nodejs_version_info', 'coredns_build_info', 'coredns_plugin_enabled']) {
      const samples = series.filter((s) => s.name === name);
      expect(samples.length, name).toBeGreaterThan(0);
      for (const sample of samples) expect(sample.value, `${name} ${JSON.stringify(sample.labels)}`).toBe(1);
    }
  });

  it('names each series once', () => {
    const keys = series.map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });
});
