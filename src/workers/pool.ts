// The primary's side of --workers: forks N workers that share the listeners (node:cluster hands
// each the same UDP and TCP sockets, and the kernel spreads datagrams and connections among
// them), feeds them the tables, restarts one that dies (with backoff, counted in
// clusterdns_worker_restarts_total), tells them to reload or close, and sums their metrics.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { BoundListener } from '../app/listeners.js';
import type { RegistryPart } from '../app/part.js';
import { formatHostPort } from '../config/address.js';
import { ConfigError, type Config } from '../config/config.js';
import { ForwardingLoopError, forwardingLoopMessage, newProbeName } from '../resolve/loop-detect.js';
import type { FromWorker, MetricsJson, ToWorker } from './messages.js';
import { TableFeed } from './table-feed.js';

/** A worker that dies sooner than this after its fork counts toward backoff and crash-looping. */
const QUICK_DEATH_MS = 10_000;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;
/** Quick deaths in a row that make the restarts an error worth an alert, not a warning. */
const CRASH_LOOP = 3;
/** How long a scrape waits for the workers' metrics; a worker later than that is left out. */
const SCRAPE_TIMEOUT_MS = 2000;
/** A worker that has not closed this long after being told is killed. */
const CLOSE_TIMEOUT_MS = 10_000;

interface Slot {
  id: number;
  worker: Worker | undefined;
  state: 'forked' | 'hello' | 'starting' | 'listening' | 'down';
  forkedAt: number;
  quickDeaths: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Settles the first start (pool.start()) for this slot. */
  onStarted?: (error?: Error) => void;
  onReloaded?: (errors: string[]) => void;
}

interface Asking {
  waiting: Set<number>;
  replies: Map<number, FromWorker>;
  done: () => void;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly feed = new TableFeed();
  private readonly probeName = newProbeName();
  private configs: Config[] | undefined;
  /** Per server, the port each port-0 listen address got: restarted workers join the same. */
  private readonly ports: Map<string, number>[] = [];
  private restarts = 0;
  private closing = false;
  private loopSeen = false;
  private nextId = 0;
  private readonly asking = new Map<number, Asking>();

  constructor(
    count: number,
    private readonly logger: Logger,
  ) {
    this.slots = Array.from({ length: count }, (_, i) => ({
      id: i + 1,
      worker: undefined,
      state: 'down',
      forkedAt: 0,
      quickDeaths: 0,
      restartTimer: undefined,
    }));
  }

  /** Forks every worker; they load while the primary's registries sync. */
  fork(): void {
    // Workers accept TCP connections themselves: with round robin the primary would take every
    // connection first and hand it over, a hop through the process busy with the registries.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    // Structured clone: the table's Maps and a maxStaleMs of Infinity travel as they are.
    cluster.setupPrimary({ serialization: 'advanced' });
    for (const slot of this.slots) this.spawn(slot);
  }

  /** The hooks server `server` of the primary calls (see app/part.ts). */
  partFor(server: number): RegistryPart {
    return {
      kind: 'registries',
      tableInUse: (table) => this.feed.track(server, table),
      notReady: () => this.notReady(),
      metrics: (own) => this.metrics(server, own),
    };
  }

  /**
   * Starts every worker on `configs` (the primary's servers have started: their tables are
   * tracked) and resolves once all listen. A worker that cannot start fails the whole start, as a
   * listener that cannot bind fails a single process.
   */
  async start(configs: Config[]): Promise<void> {
    this.configs = configs;
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve, reject) => {
            slot.onStarted = (error) => (error ? reject(error) : resolve());
            if (slot.state === 'hello') this.startWorker(slot, true);
          }),
      ),
    );
    // A probe that came back to another worker was told before that worker's pong.
    await this.ask({ kind: 'ping' }, SCRAPE_TIMEOUT_MS);
    if (this.loopSeen) {
      const upstreams = configs.map((config) =>
        config.upstreams.length
          ? config.upstreams.map(formatHostPort).join(', ')
          : `the nameservers of ${config.resolvConf}`,
      );
      throw new ForwardingLoopError(forwardingLoopMessage(upstreams.join('; ')));
    }
    this.logger.info({ workers: this.slots.length }, 'every worker is listening');
  }

  /** Hands a reload's configs to every worker and waits for each to take them. */
  async reload(configs: Config[], force: boolean): Promise<void> {
    this.feed.truncate(configs.length);
    this.configs = configs;
    const listening = this.slots.filter((slot) => slot.state === 'listening');
    await Promise.all(
      listening.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.onReloaded = (errors) => {
              for (const message of errors)
                this.logger.error(
                  { worker: slot.id },
                  `worker reload failed, it keeps its configuration: ${message}`,
                );
              resolve();
            };
            this.send(slot, { kind: 'reload', configs: this.pinned(configs), force });
          }),
      ),
    );
  }

  /** Workers that are not answering now, by name, for /ready. */
  notReady(): string[] {
    return this.slots.filter((slot) => slot.state !== 'listening').map((slot) => `worker ${slot.id}`);
  }

  /** Tells every worker to close (answers in flight get their grace) and waits for them to exit. */
  async close(): Promise<void> {
    this.closing = true;
    const alive = this.slots.filter((slot) => slot.worker && slot.state !== 'down');
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    await Promise.all(
      alive.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const worker = slot.worker!;
            const timer = setTimeout(() => {
              this.logger.error({ worker: slot.id }, 'worker did not close in time; killing it');
              worker.process.kill('SIGKILL');
            }, CLOSE_TIMEOUT_MS);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (worker.isConnected()) this.send(slot, { kind: 'close' });
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
    this.feed.close();
  }

  /**
   * Ends every worker at once: start-up failed, so none has anything in flight worth its grace
   * (and one still booting would be waited for until CLOSE_TIMEOUT_MS).
   */
  async abort(): Promise<void> {
    this.closing = true;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    const alive = this.slots.filter((slot) => slot.worker && slot.state !== 'down');
    await Promise.all(
      alive.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.worker!.once('exit', () => resolve());
            slot.worker!.process.kill('SIGKILL');
          }),
      ),
    );
    this.feed.close();
  }

  /** This process's metrics and every answering worker's, summed under the same names. */
  private async metrics(server: number, own: Registry): Promise<string> {
    const mine = (await own.getMetricsAsJSON()) as MetricsJson;
    const replies = await this.ask({ kind: 'scrape' }, SCRAPE_TIMEOUT_MS);
    const theirs = replies.flatMap((reply) =>
      reply.kind === 'metrics' && reply.servers[server] ? [reply.servers[server]] : [],
    );
    const restarts = {
      name: 'clusterdns_worker_restarts_total',
      help: 'Workers restarted after they died.',
      type: 'counter',
      aggregator: 'sum',
      values: [{ labels: {}, value: this.restarts }],
    };
    // The primary's own first: a metric's `aggregator` is read from the first that has it.
    const merged = AggregatorRegistry.aggregate([mine, ...theirs, [restarts]] as Parameters<
      typeof AggregatorRegistry.aggregate
    >[0]);
    return merged.metrics();
  }

  /** Sends `message` (with a fresh id) to every answering worker; their replies, until `timeoutMs`. */
  private ask(message: { kind: 'scrape' | 'ping' }, timeoutMs: number): Promise<FromWorker[]> {
    const id = this.nextId++;
    const listening = this.slots.filter((slot) => slot.state === 'listening' && slot.worker?.isConnected());
    if (listening.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const asking: Asking = {
        waiting: new Set(listening.map((slot) => slot.id)),
        replies: new Map(),
        done: () => {
          clearTimeout(timer);
          this.asking.delete(id);
          resolve([...asking.replies.values()]);
        },
      };
      const timer = setTimeout(asking.done, timeoutMs);
      this.asking.set(id, asking);
      for (const slot of listening) this.send(slot, { ...message, id });
    });
  }

  private answered(slot: Slot, id: number, reply: FromWorker): void {
    const asking = this.asking.get(id);
    if (!asking || !asking.waiting.delete(slot.id)) return;
    asking.replies.set(slot.id, reply);
    if (asking.waiting.size === 0) asking.done();
  }

  private spawn(slot: Slot): void {
    slot.restartTimer = undefined;
    const worker = cluster.fork({ CLUSTERDNS_WORKER_ID: String(slot.id) });
    slot.worker = worker;
    slot.state = 'forked';
    slot.forkedAt = Date.now();
    worker.on('message', (message: FromWorker) => this.receive(slot, worker, message));
    worker.on('exit', (code, signal) => this.exited(slot, worker, code, signal));
    // An IPC error (the worker gone mid-send) surfaces as its exit; nothing more to do here.
    worker.on('error', (error) => this.logger.debug({ err: error, worker: slot.id }, 'worker channel error'));
  }

  private receive(slot: Slot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker) return;
    switch (message.kind) {
      case 'hello':
        slot.state = 'hello';
        // A close sent before the worker listened for messages was lost: it is told again now,
        // else it would wait out CLOSE_TIMEOUT_MS and be killed (a failed start took 10 s to exit).
        if (this.closing) return this.send(slot, { kind: 'close' });
        // Still in pool.start() (onStarted waits): this is a first start, not a restart.
        if (this.configs && !this.closing) this.startWorker(slot, slot.onStarted !== undefined);
        return;
      case 'listening':
        slot.state = 'listening';
        this.learnPorts(message.bound);
        slot.onStarted?.();
        slot.onStarted = undefined;
        return;
      case 'failed':
        this.logger.error({ worker: slot.id }, `worker could not start: ${message.message}`);
        // The primary tells the operator as the worker would have: a problem of what was given
        // is a ConfigError here too.
        slot.onStarted?.(
          message.given
            ? new ConfigError(message.message)
            : Object.assign(new Error(message.message), { code: message.code }),
        );
        slot.onStarted = undefined;
        return;
      case 'loop':
        this.loopSeen = true;
        return;
      case 'reloaded':
        slot.onReloaded?.(message.errors);
        slot.onReloaded = undefined;
        return;
      case 'metrics':
      case 'pong':
        this.answered(slot, message.id, message);
    }
  }

  private startWorker(slot: Slot, first: boolean): void {
    slot.state = 'starting';
    this.feed.join(this.target(slot));
    this.send(slot, {
      kind: 'start',
      id: slot.id,
      configs: this.pinned(this.configs!),
      probeName: this.probeName,
      // One worker probes for a forwarding loop, once, as a single process does at start.
      checkLoop: first && slot.id === 1,
    });
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    this.feed.leave(this.target(slot));
    slot.state = 'down';
    slot.worker = undefined;
    for (const [id, asking] of this.asking) {
      if (asking.waiting.delete(slot.id) && asking.waiting.size === 0) this.asking.get(id)?.done();
    }
    slot.onReloaded?.([]);
    slot.onReloaded = undefined;
    if (this.closing) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (slot.onStarted) {
      slot.onStarted(new Error(`worker ${slot.id} exited (${how}) while starting`));
      slot.onStarted = undefined;
      return;
    }
    const quick = Date.now() - slot.forkedAt < QUICK_DEATH_MS;
    slot.quickDeaths = quick ? slot.quickDeaths + 1 : 0;
    const delayMs =
      slot.quickDeaths === 0 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** slot.quickDeaths);
    this.restarts++;
    const details = { worker: slot.id, exit: how, restartInMs: delayMs, restarts: this.restarts };
    if (slot.quickDeaths >= CRASH_LOOP) {
      this.logger.error(
        { ...details, quickDeaths: slot.quickDeaths },
        `worker ${slot.id} is crash-looping: it died ${slot.quickDeaths} times in a row within ${QUICK_DEATH_MS / 1000} s of starting`,
      );
    } else {
      this.logger.error(details, `worker ${slot.id} died; restarting it`);
    }
    slot.restartTimer = setTimeout(() => this.spawn(slot), delayMs);
  }

  private send(slot: Slot, message: ToWorker): void {
    this.feed.flush();
    this.target(slot).send(message);
  }

  private readonly targets = new Map<Slot, { send(message: ToWorker): void }>();

  /** The slot as the feed sees it: one object per slot, so joining and leaving match. */
  private target(slot: Slot) {
    let target = this.targets.get(slot);
    if (!target) {
      target = {
        send: (message: ToWorker) => {
          const worker = slot.worker;
          if (worker?.isConnected()) worker.send(message);
        },
      };
      this.targets.set(slot, target);
    }
    return target;
  }

  /** Port 0 asked for any free port: remember which each address got (UDP first, then TCP). */
  private learnPorts(bound: BoundListener[][]): void {
    for (const [server, listeners] of bound.entries()) {
      const config = this.configs?.[server];
      if (!config) continue;
      const ports = (this.ports[server] ??= new Map());
      const keys = [...new Set(config.listen.map(formatHostPort))];
      for (const [i, key] of keys.entries()) {
        const port = listeners[i * 2]?.address.port;
        if (key.endsWith(':0') && port !== undefined && !ports.has(key)) ports.set(key, port);
      }
    }
  }

  /** `configs` with every port-0 address that a worker bound set to the port it got. */
  private pinned(configs: Config[]): Config[] {
    return configs.map((config, server) => {
      const ports = this.ports[server];
      if (!ports) return config;
      const listen = config.listen.map((address) => {
        const port = ports.get(formatHostPort(address));
        return port === undefined ? address : { ...address, port };
      });
      return { ...config, listen };
    });
  }
}
