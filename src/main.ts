#!/usr/bin/env node
// The clusterdns command: parse flags and environment, start serving, stop cleanly on a signal.
// `clusterdns register ...` keeps an instance registered in etcd instead (registry/etcd/).
import { readFileSync } from 'node:fs';
import { ClusterDns } from './app.js';
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
  const logger = createLogger(config.logLevel);
  const server = new ClusterDns(config, logger);
  try {
    await server.start();
  } catch (error) {
    logger.fatal({ err: error }, `cannot start: ${(error as Error).message}`);
    logger.flush();
    process.exitCode = 1;
    return;
  }
  // Counters of every part (upstreams, cache, autopath, malformed input) until /metrics exists:
  // every minute at debug level, and once at shutdown.
  const statsTimer = setInterval(() => logger.debug({ counters: server.stats() }, 'counters'), 60_000);
  statsTimer.unref();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    clearInterval(statsTimer);
    logger.info({ signal, counters: server.stats() }, 'shutting down');
    server
      .close()
      .then(() => logger.flush())
      .finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
