// A worker of --workers: answers queries on the listeners it shares with the other workers, from
// copies of the primary's tables that the primary keeps current (see table-feed.ts). It holds no
// registry connection and serves no HTTP endpoint; it does what the primary says (start, reload,
// close, report metrics) and leaves when the primary is gone.
import type { Logger } from 'pino';
import { ClusterDns, type AnsweringPart } from '../app.js';
import type { Config } from '../config/config.js';
import { createLogger, exitAfterLogs } from '../ops/logger.js';
import { ServiceTable } from '../table/table.js';
import type { FromWorker, ToWorker } from './messages.js';

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

  receive(message: ToWorker): void {
    switch (message.kind) {
      case 'table': {
        // A new table for a server: whoever reads tables[server] from now on gets it.
        const table = new ServiceTable();
        for (const step of message.steps) table.take(step);
        this.tables[message.server] = table;
        return;
      }
      case 'steps':
        for (const [server, step] of message.steps) this.tables[server]?.take(step);
        return;
      case 'scrape':
        void this.scrape(message.id);
        return;
      case 'ping':
        send({ kind: 'pong', id: message.id });
        return;
      case 'start':
        this.enqueue(() => this.start(message));
        return;
      case 'reload':
        this.enqueue(() => this.reload(message.configs, message.force));
        return;
      case 'close':
        this.enqueue(() => this.close(0));
    }
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
