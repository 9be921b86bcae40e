// The benchmark's results as Markdown: for the terminal and for bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release } from 'node:os';
import type { DnsperfResult } from './run.js';

export interface Machine {
  cpus: number;
  cpuModel: string;
  kernel: string;
  node: string;
  dnsperf: string;
  pinned: boolean;
  loadBefore: string;
  loadAfter?: string;
}

export const loadAverage = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

export function machine(pinned: boolean): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const version = execFileSync('dnsperf', ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    cpus: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    kernel: release(),
    node: process.version,
    dnsperf: /Version ([\d.]+)/.exec(version)?.[1] ?? 'unknown',
    pinned,
    loadBefore: loadAverage(),
  };
}

export interface CaseRun extends DnsperfResult {
  rssMb: number;
  peakMb: number;
  cpuUsPerQuery: number;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const ms = (value: number) => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(3)} ms`);
const mb = (value: number) => `${value.toFixed(1)} MB`;
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** One line per case: medians of the runs, total lost, the last RSS and the peak. */
export function summaryTable(cases: Map<string, CaseRun[]>): string {
  const lines = [
    row([
      'case',
      'QPS (median)',
      'mean latency',
      'p99 latency',
      'lost',
      'server CPU/query',
      'RSS after',
      'peak RSS',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const [name, runs] of cases) {
    const sent = runs.reduce((sum, r) => sum + r.sent, 0);
    const lost = runs.reduce((sum, r) => sum + r.lost, 0);
    lines.push(
      row([
        name,
        int(median(runs.map((r) => r.qps))),
        ms(median(runs.map((r) => r.meanMs))),
        ms(median(runs.map((r) => r.p99Ms))),
        `${int(lost)} of ${int(sent)}`,
        `${median(runs.map((r) => r.cpuUsPerQuery)).toFixed(1)} µs`,
        mb(runs.at(-1)!.rssMb),
        mb(Math.max(...runs.map((r) => r.peakMb))),
      ]),
    );
  }
  return lines.join('\n');
}

/** Every run, so the spread behind each median is visible. */
export function runsTable(cases: Map<string, CaseRun[]>): string {
  const lines = [
    row(['case', 'run', 'QPS', 'mean', 'p50', 'p99', 'p99.9', 'max', 'lost', 'CPU/query', 'RSS', 'rcodes']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']),
  ];
  for (const [name, runs] of cases) {
    runs.forEach((r, i) =>
      lines.push(
        row([
          name,
          i + 1,
          int(r.qps),
          ms(r.meanMs),
          ms(r.p50Ms),
          ms(r.p99Ms),
          ms(r.p999Ms),
          ms(r.maxMs),
          int(r.lost),
          `${r.cpuUsPerQuery.toFixed(1)} µs`,
          mb(r.rssMb),
          r.rcodes,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export interface TableSize {
  label: string;
  services: number;
  endpoints: number;
  zoneBytes: number;
  zonesLoadedMs?: number;
  tableUpdatedMs?: number;
  firstAnswerMs: number;
  idleRssMb: number;
  /** After the server sat idle a while (see --settle in dnsperf.ts); absent when not measured. */
  settledRssMb?: number;
  loadedRssMb: number;
  peakMb: number;
  qps?: number;
}

export function sizesTable(sizes: TableSize[]): string {
  const opt = (value: number | undefined, unit: string) =>
    value === undefined ? 'n/a' : `${int(value)}${unit}`;
  const lines = [
    row([
      'table',
      'services',
      'endpoints',
      'zone files',
      'files parsed',
      'table applied',
      'first answer',
      'RSS at first answer',
      'RSS settled',
      'RSS after load',
      'peak RSS',
      'QPS',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const s of sizes) {
    lines.push(
      row([
        s.label,
        int(s.services),
        int(s.endpoints),
        mb(s.zoneBytes / 1e6),
        opt(s.zonesLoadedMs, ' ms'),
        opt(s.tableUpdatedMs, ' ms'),
        `${int(s.firstAnswerMs)} ms`,
        mb(s.idleRssMb),
        s.settledRssMb === undefined ? 'n/a' : mb(s.settledRssMb),
        mb(s.loadedRssMb),
        mb(s.peakMb),
        opt(s.qps, ''),
      ]),
    );
  }
  return lines.join('\n');
}

export function machineLines(m: Machine): string {
  return [
    `- CPUs: ${m.cpus} (\`nproc\`), ${m.cpuModel}; kernel ${m.kernel}`,
    `- Node ${m.node}, dnsperf ${m.dnsperf}`,
    `- Pinned: ${m.pinned ? 'server on CPU 0, dnsperf on CPU 1 (`taskset`)' : 'no (needs `taskset` and 2 CPUs)'}`,
    `- Load average (1, 5, 15 min): ${m.loadBefore} at the start, ${m.loadAfter ?? '?'} at the end. ` +
      'The machine is shared with other work; a load above 0 takes CPU from the pinned processes.',
  ].join('\n');
}
