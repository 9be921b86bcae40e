// One dnsperf run and what it reports. dnsperf 2.x prints the mean latency, its min, max and
// standard deviation, but no percentiles and no histogram; with -v it prints every response's
// latency, so the percentiles are computed from those lines. Its output goes to a file, not a pipe,
// so that reading it costs nothing during the run.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface DnsperfOptions {
  port: number;
  queryFile: string;
  seconds: number;
  clients: number;
  outstanding: number;
  /** Queries per second; undefined = as fast as the server answers. */
  rate?: number;
  pin: string[];
  outputFile: string;
}

export interface DnsperfResult {
  sent: number;
  completed: number;
  lost: number;
  qps: number;
  meanMs: number;
  maxMs: number;
  stddevMs: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  rcodes: string;
}

/**
 * `taskset` prefixes that put the server alone on CPU 0 and dnsperf on CPU 1, or undefined when the
 * machine cannot (one CPU, or no taskset).
 */
export function pinning(): { server: string[]; client: string[] } | undefined {
  if (availableParallelism() < 2 || spawnSync('taskset', ['-V']).status !== 0) return undefined;
  return { server: ['taskset', '-c', '0'], client: ['taskset', '-c', '1'] };
}

/** Exits with how to install dnsperf when it is not on the PATH. */
export function requireDnsperf(): void {
  const probe = spawnSync('dnsperf', ['-h'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    console.error('dnsperf is not installed: `sudo apt-get install dnsperf` (Debian/Ubuntu), then re-run.');
    process.exit(1);
  }
}

export async function dnsperf(options: DnsperfOptions): Promise<DnsperfResult> {
  const args = [
    ...['-s', '127.0.0.1', '-p', String(options.port), '-d', options.queryFile],
    ...['-l', String(options.seconds), '-c', String(options.clients), '-q', String(options.outstanding)],
    ...(options.rate ? ['-Q', String(options.rate)] : []),
    '-v',
  ];
  const [command, ...rest] = [...options.pin, 'dnsperf', ...args];
  const out = openSync(options.outputFile, 'w');
  let stderr = '';
  try {
    const child = spawn(command!, rest, { stdio: ['ignore', out, 'pipe'] });
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    // -l bounds the sending; the last queries wait out dnsperf's 5 s timeout at most.
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 20) * 1000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`dnsperf ${args.join(' ')} exited ${code}:\n${stderr}`);
  } finally {
    closeSync(out);
  }
  const text = readFileSync(options.outputFile, 'utf8');
  rmSync(options.outputFile);
  return parse(text);
}

function parse(text: string): DnsperfResult {
  const stat = (label: string) => {
    const match = new RegExp(`^\\s*${label}:\\s+([\\d.]+)`, 'm').exec(text);
    if (!match) throw new Error(`dnsperf printed no "${label}":\n${text.slice(-2000)}`);
    return Number(match[1]);
  };
  const latencies: number[] = [];
  // "> NOERROR svc-1.ns-1.svc.cluster.local A 0.000123"; a timeout is "> T ...", without latency.
  for (const line of text.split('\n')) {
    if (!line.startsWith('> ') || line.startsWith('> T ')) continue;
    latencies.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.ceil(q * sorted.length) - 1]! * 1000 : NaN);
  return {
    sent: stat('Queries sent'),
    completed: stat('Queries completed'),
    lost: stat('Queries lost'),
    qps: stat('Queries per second'),
    meanMs: stat('Average Latency \\(s\\)') * 1000,
    maxMs: Number(/\(min [\d.]+, max ([\d.]+)\)/.exec(text)?.[1]) * 1000,
    stddevMs: stat('Latency StdDev \\(s\\)') * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    rcodes: /Response codes:\s+(.*)/.exec(text)?.[1] ?? '',
  };
}
