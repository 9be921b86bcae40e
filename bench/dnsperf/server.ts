// The built clusterdns as the benchmark runs it: pinned to one CPU, serving a zone directory on a
// loopback port, timed from spawn to first answer, its memory read from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import { launchOfFile } from '../../src/ops/node-flags.js';

const BIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
/** Clock ticks per second, the unit of /proc/PID/stat's CPU times (100 wherever getconf is missing). */
function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
  } catch {
    return 100;
  }
}
const CLOCK_TICKS = clockTicks();

export interface ServerOptions {
  zones: string;
  port: number;
  metrics: boolean;
  /** `taskset -c CPU` prefix, or none when the machine cannot pin. */
  pin: string[];
  probeName: string;
  startDeadlineMs: number;
  /** --workers: 1 answers in the one process; more fork that many workers. */
  workers: number;
  /** Another build's main.js (default: this checkout's dist/main.js), and options for node. */
  main?: string;
  nodeOptions?: string[];
  /** More clusterdns flags (a case's own options, e.g. --template). */
  args?: string[];
  /**
   * How it is started: `flags` (the default) runs node with the flags and environment of the
   * build's first line; `exec` runs the file itself, as its first line says; `node` runs
   * `node FILE`; `npx` runs `npx clusterdns` in the build's package.
   */
  launch?: 'flags' | 'exec' | 'node' | 'npx';
  /** The node binary (default: the one running the benchmark). */
  node?: string;
}

export interface StartTimes {
  /** ms from spawn to the log line: files read and parsed, table applied, listeners bound. */
  zonesLoaded?: number;
  tableUpdated?: number;
  listening?: number;
  firstAnswer: number;
}

const running = new Set<ChildProcess>();
// However the benchmark ends (an error, ^C), no server outlives it.
process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

export class Server {
  private output = '';
  private constructor(
    readonly child: ChildProcess,
    private readonly spawnedAt: number,
  ) {
    child.stdout!.on('data', (chunk) => (this.output += chunk));
    child.stderr!.on('data', (chunk) => (this.output += chunk));
  }

  static async start(options: ServerOptions): Promise<{ server: Server; times: StartTimes }> {
    const main = options.main ?? BIN;
    const launch = options.launch ?? 'flags';
    const node = options.node ?? process.execPath;
    const serverArgs = [
      ...['--zones', options.zones, '--listen', `127.0.0.1:${options.port}`, '--resolv-conf', '/dev/null'],
      ...['--health', '127.0.0.1:0', '--ready', '127.0.0.1:0', '--lameduck', '0'],
      ...['--metrics', options.metrics ? '127.0.0.1:0' : ''],
      ...['--workers', String(options.workers)],
      ...(options.args ?? []),
    ];
    const firstLine = launch === 'flags' ? launchOfFile(main) : { env: {}, flags: [] };
    const start = {
      flags: [node, ...firstLine.flags, ...(options.nodeOptions ?? []), main],
      node: [node, ...(options.nodeOptions ?? []), main],
      exec: [main],
      npx: ['npx', '--no-install', 'clusterdns'],
    }[launch];
    const [command, ...rest] = [...options.pin, ...start, ...serverArgs];
    const spawnedAt = Date.now();
    const child = spawn(command!, rest, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // exec and npx find node on PATH, as a shell would.
      env: { ...process.env, ...firstLine.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}` },
      cwd: dirname(dirname(main)),
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const server = new Server(child, spawnedAt);
    const firstAnswer = await server.waitForAnswer(options);
    await server.waitForLog('"msg":"listening"', 2000);
    return { server, times: { ...server.logTimes(), firstAnswer } };
  }

  /** What the server has printed so far (its JSON log lines). */
  get log(): string {
    return this.output;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The server's own first process: the one spawned, or under npx the node that npm exec started. */
  get serverPid(): number {
    return this.pids()[0]!;
  }

  /** Polls the probe name over UDP until it is answered (the file backend listens only once loaded). */
  private async waitForAnswer(options: ServerOptions): Promise<number> {
    const socket = createSocket('udp4');
    const query = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ name: options.probeName, type: 'A', class: 'IN' }],
    });
    let answered = 0;
    socket.on('message', (bytes) => {
      // NXDOMAIN too: an empty table has no such name, and is loaded all the same.
      const { rcode } = dnsPacket.decode(bytes) as { rcode?: string };
      if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') answered ||= Date.now();
    });
    try {
      while (!answered) {
        if (this.child.exitCode !== null) throw new Error(`clusterdns exited:\n${this.output}`);
        if (Date.now() - this.spawnedAt > options.startDeadlineMs) {
          throw new Error(`clusterdns did not answer within ${options.startDeadlineMs} ms:\n${this.output}`);
        }
        socket.send(query, options.port, '127.0.0.1');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      socket.close();
    }
    return answered - this.spawnedAt;
  }

  /**
   * The server logs asynchronously: a first answer can come before its start-up lines are out.
   * Waits (up to `ms`) for `text` in its output, so that the milestones below are all there.
   */
  private async waitForLog(text: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.output.includes(text) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The start-up milestones, from the `time` of the server's own JSON log lines. */
  private logTimes(): Omit<StartTimes, 'firstAnswer'> {
    const times: Omit<StartTimes, 'firstAnswer'> = {};
    const keys = { 'zone files loaded': 'zonesLoaded', 'service table updated': 'tableUpdated' } as const;
    for (const line of this.output.split('\n')) {
      if (!line.startsWith('{')) continue;
      const { msg, time } = JSON.parse(line) as { msg: string; time: number };
      const key = msg === 'listening' ? 'listening' : keys[msg as keyof typeof keys];
      if (key && times[key] === undefined) times[key] = time - this.spawnedAt;
    }
    return times;
  }

  /**
   * The server's processes: the one spawned and, under --workers, its workers; a launcher between
   * them (npx and its shell) is not the server's and is left out.
   */
  private pids(): number[] {
    const tree: number[] = [];
    const walk = (pid: number) => {
      tree.push(pid);
      try {
        const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
        text.split(' ').filter(Boolean).map(Number).forEach(walk);
      } catch {
        // Gone, or a kernel without /proc/.../children: what was found so far.
      }
    };
    walk(this.pid);
    const isServer = (pid: number) => {
      try {
        // npm exec names itself `npm exec ...`; its shell is `sh -c`.
        const program = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0', 1)[0]!;
        return !['npm', 'sh'].includes(program.split(' ', 1)[0]!);
      } catch {
        return false;
      }
    };
    return tree.filter(isServer);
  }

  /** VmRSS (now) and VmHWM (the peak so far) in MB, from /proc/PID/status, summed over processes. */
  memory(): { rssMb: number; peakMb: number } {
    let rssMb = 0;
    let peakMb = 0;
    for (const pid of this.pids()) {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      rssMb += kb('VmRSS') / 1024;
      peakMb += kb('VmHWM') / 1024;
    }
    return { rssMb, peakMb };
  }

  /**
   * utime + stime in seconds over the server's processes, to charge its own CPU per query. A
   * worker that exits and is replaced mid-run would take its time with it; none does in a bench.
   */
  cpuSeconds(): number {
    const { user, kernel } = this.cpuSplit();
    return user + kernel;
  }

  /** cpuSeconds() as user time (utime) and kernel time (stime). */
  cpuSplit(): { user: number; kernel: number } {
    let user = 0;
    let kernel = 0;
    for (const pid of this.pids()) {
      // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]) / CLOCK_TICKS;
      kernel += Number(fields[12]) / CLOCK_TICKS;
    }
    return { user, kernel };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
