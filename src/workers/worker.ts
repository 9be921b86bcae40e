// A worker of --workers: answers queries on the listeners it shares with the other workers, from
// copies of the primary's tables that the primary keeps current (see table-feed.ts). It holds no
// registry connection and serves no HTTP endpoint; it does what the primary says (start, reload,
// close, report metrics) and leaves when the primary is gone.
import type { Logger } from 'pino';
import { ClusterDns } from '../app/lifecycle.js';
import type { AnsweringPart } from '../app/part.js';
import type { Config } from '../config/config.js';
import { createLogger, exitAfterLogs } from '../ops/logger.js';
import { isOperatorProblem } from '../ops/start-failure.js';
import { ServiceTable } from '../table/table.js';
import type { FromWorker, ToWorker } from './messages.js';

/** Longest a turn of the event loop spends taking table steps before answering again. */
const STEP_TURN_MS = 3;

export function runWorker(): void {
  // The primary decides when to reload and stop: a signal sent to the whole process group (a
  // terminal's Ctrl-C, a hangup) must not take a worker down under it. SIGUSR1 and SIGUSR2 are
  // ignored as the primary ignores them (see main.ts): no inspector opened, no silent exit.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const)
    process.on(signal, () => {});
  const worker = new AnsweringWorker();
  process.on('message', (message: ToWorker) => worker.receive(message));
  process.on('disconnect', () => worker.orphaned());
  // The IPC channel keeps the process alive from here on.
  send({ kind: 'hello' });
}

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

class AnsweringWorker {
  private readonly tables: ServiceTable[] = [];
  private servers: ClusterDns[] = [];
  private logger: Logger | undefined;
  private probeName = '';
  private checkLoop = false;
  /** start, reload and close run one after another, in the order the primary sent them. */
  private queue: Promise<void> = Promise.resolve();
  /** Table messages not yet taken, in order (see takeSteps()). */
  private readonly pending: (ToWorker & { kind: 'table' | 'steps' })[] = [];
  private drained: Promise<void> = Promise.resolve();
  private taking = false;

  receive(message: ToWorker): void {
    switch (message.kind) {
      case 'table':
      case 'steps':
        this.pending.push(message);
        if (!this.taking) void this.takeSteps();
        return;
      case 'scrape':
        void this.scrape(message.id);
        return;
      case 'ping':
        send({ kind: 'pong', id: message.id });
        return;
      case 'start':
        // After the tables sent before it: a server starts on the table as the primary had it.
        this.enqueue(async () => {
          await this.drained;
          await this.start(message);
        });
        return;
      case 'reload':
        this.enqueue(async () => {
          await this.drained;
          await this.reload(message.configs, message.force);
        });
        return;
      case 'close':
        this.enqueue(() => this.close(0));
    }
  }

  /**
   * Takes the table messages in order, a few milliseconds' worth of steps per turn of the event
   * loop: a registry's large change (a 10 000-service zone file) comes as many steps, which may
   * arrive at once, and taking them all in one go would hold the answers for 100 ms and more.
   */
  private takeSteps(): Promise<void> {
    this.taking = true;
    this.drained = (async () => {
      let turn = performance.now();
      while (this.pending.length > 0) {
        const message = this.pending[0]!;
        if (message.kind === 'table') {
          // A new table for a server: whoever reads tables[server] from now on gets it.
          const table = new ServiceTable();
          for (const step of message.steps) table.take(step);
          this.tables[message.server] = table;
          this.pending.shift();
          continue;
        }
        const entry = message.steps.shift();
        if (entry) this.tables[entry[0]]?.take(entry[1]);
        if (message.steps.length === 0) this.pending.shift();
        if (performance.now() - turn > STEP_TURN_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          turn = performance.now();
        }
      }
      this.taking = false;
    })();
    return this.drained;
  }

  /** The primary is gone: nothing will feed the tables or stop this worker. */
  orphaned(): void {
    this.logger?.error('the primary is gone: closing');
    this.enqueue(() => this.close(1));
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.logger?.error({ err: error }, 'worker task failed');
    });
  }

  private async start(message: ToWorker & { kind: 'start' }): Promise<void> {
    const first = message.configs[0]!;
    this.logger = createLogger(first.logLevel, undefined, first.logFormat).child({ worker: message.id });
    this.probeName = message.probeName;
    this.checkLoop = message.checkLoop;
    try {
      for (const [server, config] of message.configs.entries())
        this.servers.push(await this.startServer(server, config));
    } catch (error) {
      send({
        kind: 'failed',
        message: (error as Error).message,
        code: (error as NodeJS.ErrnoException).code,
        given: isOperatorProblem(error),
      });
      await this.close(1);
      return;
    }
    send({ kind: 'listening', bound: this.servers.map((server) => server.bound()) });
  }

  private async startServer(server: number, config: Config): Promise<ClusterDns> {
    const part: AnsweringPart = {
      kind: 'answering',
      table: () => this.tables[server] ?? new ServiceTable(),
      probeName: this.probeName,
      checkLoop: this.checkLoop,
      onLoopProbe: () => send({ kind: 'loop' }),
    };
    const app = new ClusterDns(config, this.logger!, part);
    await app.start();
    return app;
  }

  /** As the primary reloads its servers: each takes its new config; added ones start, removed close. */
  private async reload(configs: Config[], force: boolean): Promise<void> {
    const errors: string[] = [];
    this.logger!.level = configs[0]!.logLevel;
    for (const [server, config] of configs.entries()) {
      try {
        if (server < this.servers.length) await this.servers[server]!.reload(config, force);
        else this.servers.push(await this.startServer(server, config));
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    const removed = this.servers.splice(configs.length);
    this.tables.splice(configs.length);
    await Promise.all(removed.map((server) => server.close()));
    send({ kind: 'reloaded', errors });
  }

  private async scrape(id: number): Promise<void> {
    const servers = await Promise.all(
      this.servers.map((server) => server.metricsRegistry?.getMetricsAsJSON()),
    );
    send({ kind: 'metrics', id, servers });
  }

  private async close(code: number): Promise<void> {
    await Promise.all(this.servers.map((server) => server.close()));
    this.servers = [];
    exitAfterLogs(code);
  }
}
