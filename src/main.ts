#!/usr/bin/env node
// The clusterdns command: parse flags and environment, start serving, stop cleanly on a signal.
// `clusterdns register ...` keeps an instance registered in etcd instead (registry/etcd/).
import { readFileSync } from 'node:fs';
import { ClusterDns, SHUTDOWN_GRACE_MS } from './app.js';
import { ConfigError, parseCommandLine, usage } from './config/config.js';
import { createLogger } from './ops/logger.js';

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

async function main(): Promise<void> {
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
    process.stderr.write(`clusterdns: ${error.message}\n`);
    process.exit(2);
  }
  if (command.kind === 'help') {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (command.kind === 'version') {
    process.stdout.write(`clusterdns ${version()}\n`);
    return;
  }
  const { config } = command;
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  const server = new ClusterDns(config, logger);
  // Signals are taken from the start: one arriving while start-up still waits (on registries, on
  // the loop probe) stops the server gracefully once it is up, instead of killing it mid-answer.
  const started = server.start().then(
    () => true,
    (error: unknown) => {
      logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
      logger.flush(() => process.exit(1));
      return false;
    },
  );
  // Counters of every part at debug level every minute, for when /metrics is off or not scraped.
  const statsTimer = setInterval(() => logger.debug({ counters: server.stats() }, 'counters'), 60_000);
  statsTimer.unref();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.info({ signal }, 'second signal: ending lameduck now');
      server.skipLameduck();
      return;
    }
    stopping = true;
    clearInterval(statsTimer);
    // Whatever hangs, the process is gone within this bound: an orchestrator's kill is harsher.
    const boundMs = config.lameduckMs + SHUTDOWN_GRACE_MS + 5000;
    setTimeout(() => {
      logger.error({ boundMs }, 'shutdown did not finish in time; exiting');
      logger.flush();
      process.exit(1);
    }, boundMs).unref();
    logger.info(
      { signal, lameduckMs: config.lameduckMs },
      'shutting down: /ready now reports 503; still answering for the lameduck period',
    );
    void started
      .then(async (up) => {
        // A failed start has closed everything already and exits on its own.
        if (!up) return;
        await server.lameduck(config.lameduckMs);
        logger.info('lameduck over: closing listeners');
        await server.close();
        logger.info({ counters: server.stats() }, 'stopped');
        logger.flush(() => process.exit(0));
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush(() => process.exit(1));
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await started;
}

await main();
