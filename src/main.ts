#!/usr/bin/env -S MALLOC_ARENA_MAX=1 node --max-semi-space-size=1 --heap-growing-percent=30 --optimize-for-size --no-concurrent-sparkplug --no-maglev
// The clusterdns command: parse flags, environment and the config file or Corefile, start one
// server per configured server (usually one), reload on SIGHUP or when the file changes, and stop
// cleanly on a signal. `clusterdns register ...` keeps an instance registered in etcd instead
// (registry/etcd/). With --workers N above 1 this process is the primary (registries, table, ops
// endpoints) and forks N workers that answer (workers/); a worker runs workers/worker.ts only.
//
// The first line holds the node flags the server runs with (workers inherit them, the benchmark
// reads them from there); why these: docs/architecture.md#memory-and-v8-flags.
// First: `node dist/main.js` runs with this file's first-line flags, as `dist/main.js` does.
import './ops/launch-with-flags.js';
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { ClusterDns, SHUTDOWN_GRACE_MS } from './app/lifecycle.js';
import type { Part } from './app/part.js';
import { parseCommandLine, type LoadedServers } from './config/command.js';
import type { Config } from './config/config.js';
import { usage } from './config/table.js';
import { ConfigError } from './config/values.js';
import { FileWatcher } from './config/watch.js';
import { installCrashPolicy } from './ops/crash-policy.js';
import { failOwner } from './registry/supervisor.js';
import { holdOpen } from './ops/hold-open.js';
import { packageVersion } from './ops/build-info.js';
import { createLogger, exitAfterLogs } from './ops/logger.js';
import { reloadFailures } from './ops/reload-failures.js';
import { isOperatorProblem, refuse } from './ops/start-failure.js';
import { checkBindable } from './server/bind-check.js';
import { WorkerPool } from './workers/pool.js';
import { runWorker } from './workers/worker.js';

/** How often the config file or Corefile, and the hosts files it names, are checked for a change. */
const WATCH_INTERVAL_MS = 1000;

async function main(): Promise<void> {
  // A worker takes its configuration from the primary, not from the command line.
  if (cluster.isWorker) return runWorker();
  if (process.argv[2] === 'register') {
    // A separate command with its own flags: loaded only when asked for.
    const { runRegisterCommand } = await import('./registry/etcd/register-command.js');
    process.exit(await runRegisterCommand(process.argv.slice(3)));
  }
  let command;
  try {
    command = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    refuse(error.message);
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`clusterdns ${packageVersion()}\n`);
    return;
  }
  if (command.kind === 'print') {
    process.stdout.write(command.text);
    return;
  }
  const { loaded, load, watch } = command;
  const logger = createLogger(command.config.logLevel, undefined, command.config.logFormat);
  installCrashPolicy(logger, { failOwner });
  for (const notice of loaded.notices) logger.warn(notice);
  const servers: ClusterDns[] = [];
  // The number of workers is fixed for the life of the process: a reload that changes it waits
  // for the next start.
  const pool = command.config.workers > 1 ? new WorkerPool(command.config.workers, logger) : undefined;
  // Signals are taken from the start: one arriving while start-up still waits (on registries, on
  // the loop probe) stops the servers gracefully once they are up, instead of killing them
  // mid-answer.
  const started = (async () => {
    try {
      // A port in use or one that needs privilege is told now, not once the registries have
      // synced and the workers booted (server/bind-check.ts).
      await checkBindable(
        loaded.configs.flatMap((config) => config.listen),
        logger,
      );
      pool?.fork();
      for (const [i, config] of loaded.configs.entries())
        servers.push(await startServer(config, logger, pool?.partFor(i)));
      await pool?.start(loaded.configs);
      return true;
    } catch (error) {
      // Nothing has been served: the workers are ended, not drained, so the exit comes at once
      // rather than after their close timeout.
      await pool?.abort();
      await Promise.all(servers.map((server) => server.close()));
      // Something to fix in what was given or where it runs (a zone file that does not parse, an
      // address in use, a forwarding loop): one line that says what, status 2, as for a bad flag.
      if (isOperatorProblem(error)) refuse(`cannot start: ${(error as Error).message}`);
      else {
        logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
        exitAfterLogs(1);
      }
      return false;
    }
  })();
  // Start-up may wait on a registry it cannot reach with the endpoints off and no file watched:
  // nothing else would hold the event loop.
  void started.finally(holdOpen());
  const stats = () => servers.map((server) => server.stats());
  // Counters of every part at debug level every minute, for when /metrics is off or not scraped.
  const statsTimer = setInterval(() => logger.debug({ counters: stats() }, 'counters'), 60_000);
  statsTimer.unref();

  // Reloads run one at a time, in the order asked, once start-up is done. SIGHUP and a changed
  // hosts file rebuild the resolvers even when the configuration reads the same: the files it
  // names may have changed.
  let reloading: Promise<unknown> = started;
  // A hosts file's change is no change of the configuration: only a forced reload reads it again.
  // A Corefile's imports are part of it: their change reloads the blocks it changes.
  let hostsFiles = new Set<string>();
  const watcher = new FileWatcher(WATCH_INTERVAL_MS, (path) =>
    reload(`${path} changed`, hostsFiles.has(path)),
  );
  const watchFiles = ({ configs, imported }: LoadedServers) => {
    hostsFiles = new Set(
      configs.flatMap((config) => [config, ...config.blocks]).flatMap((config) => config.hosts.file ?? []),
    );
    watcher.set([...(watch !== undefined ? [watch] : []), ...imported, ...hostsFiles]);
  };
  const reload = (reason: string, force: boolean) => {
    reloading = reloading.then(async (up) => {
      if (up === false || stopping) return;
      const next = await reloadServers(servers, load, { reason, force }, logger, pool);
      if (next) watchFiles(next);
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP', true));
  watchFiles(loaded);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'second signal: ending lameduck now');
      for (const server of servers) server.skipLameduck();
      return;
    }
    stopping = true;
    clearInterval(statsTimer);
    watcher.close();
    const lameduckMs = Math.max(0, ...servers.map((server) => server.lameduckMs), command.config.lameduckMs);
    // Whatever hangs, the process is gone within this bound: an orchestrator's kill is harsher.
    const boundMs = lameduckMs + SHUTDOWN_GRACE_MS + 5000;
    setTimeout(() => {
      logger.error({ boundMs }, 'shutdown did not finish in time; exiting');
      exitAfterLogs(1);
    }, boundMs).unref();
    logger.info(
      { signal, lameduckMs },
      'shutting down: /ready now reports 503; still answering for the lameduck period',
    );
    void started
      .then(async (up) => {
        // A failed start has closed everything already and exits on its own.
        if (!up) return;
        await Promise.all(servers.map((server) => server.lameduck(server.lameduckMs)));
        logger.info('lameduck over: closing listeners');
        await pool?.close();
        await Promise.all(servers.map((server) => server.close()));
        logger.info({ counters: stats() }, 'stopped');
        exitAfterLogs(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitAfterLogs(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Node's defaults: SIGUSR1 opens its inspector on 127.0.0.1:9229, which runs any code it is
  // sent (reachable from every container of a pod), and SIGUSR2 ends the process without a word.
  // Neither may a stray signal do to a cluster DNS server: both are logged and ignored.
  for (const signal of ['SIGUSR1', 'SIGUSR2'] as const)
    process.on(signal, () => logger.warn({ signal }, `${signal} ignored: SIGHUP reloads, SIGTERM stops`));
  await started;
}

async function startServer(config: Config, logger: Logger, part?: Part): Promise<ClusterDns> {
  const server = new ClusterDns(config, logger, part);
  await server.start();
  return server;
}

/**
 * Read and check the configuration again, then swap it into every server. A configuration that
 * does not pass the checks, or a part that cannot be built, is logged and the running one stays.
 */
async function reloadServers(
  servers: ClusterDns[],
  load: () => LoadedServers,
  { reason, force }: { reason: string; force: boolean },
  logger: Logger,
  pool: WorkerPool | undefined,
): Promise<LoadedServers | undefined> {
  let next: LoadedServers;
  try {
    next = load();
  } catch (error) {
    logger.error(
      { reason, err: error },
      `configuration rejected, the running one stays: ${(error as Error).message}`,
    );
    reloadFailures.count++;
    return undefined;
  }
  for (const notice of next.notices) logger.warn(notice);
  logger.level = next.configs[0]!.logLevel;
  let failed = false;
  for (const [i, config] of next.configs.entries()) {
    try {
      if (i < servers.length) await servers[i]!.reload(config, force);
      else servers.push(await startServer(config, logger, pool?.partFor(i)));
    } catch (error) {
      logger.error(
        { reason, err: error },
        `reload failed, the running configuration stays: ${(error as Error).message}`,
      );
      failed = true;
    }
  }
  // One attempt, however many of its servers failed.
  if (failed) reloadFailures.count++;
  const removed = servers.splice(next.configs.length);
  await Promise.all(removed.map((server) => server.close()));
  await pool?.reload(next.configs, force);
  return next;
}

await main();
