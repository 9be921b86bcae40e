// Wiring the registry backends to the service table and to their status: each backend's content
// and changes go into the table, and what it delivered into the status /ready and the metrics read.
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { BackendStatus } from '../ops/backend-status.js';
import type { ServerMetrics } from '../ops/metrics/metrics.js';
import type { RegistryBackend } from '../registry/backend.js';
import { createBackends } from '../registry/create.js';
import type { ServiceTable } from '../table/table.js';

/**
 * Starts every backend and waits, at most --startup-timeout, for all to sync. Serving starts
 * either way: names of a backend that has not synced answer SERVFAIL, never a false NXDOMAIN.
 */
export async function startBackends(
  config: Config,
  table: ServiceTable,
  status: BackendStatus,
  logger: Logger,
  metrics: ServerMetrics | undefined,
): Promise<RegistryBackend[]> {
  const backends = await createBackends(config, logger, {
    ...(metrics ? { onProgrammingLatency: metrics.observeProgrammingLatency } : {}),
    onRestart: (name) => status.restarted(name),
    onOversizedRead: (name) => status.oversizedRead(name),
  });
  try {
    for (const backend of backends) {
      table.reserve(backend.name);
      status.add(backend.name);
    }
    table.onConflict((conflict) =>
      logger.warn(
        conflict,
        `service defined by two registries: ${conflict.served}'s definition is served, ${conflict.ignored}'s ignored`,
      ),
    );
    for (const backend of backends) {
      // A zone directory is read whole before start() resolves; live registries sync later.
      if (backend.name !== 'file') table.expectBackend(backend.name, config.maxStaleMs);
      await backend.start({
        content: (content) => {
          const snapshot = table.setContent(backend.name, content);
          status.delivered(backend.name);
          logger.info(
            { backend: backend.name, version: snapshot.version, ...snapshot.counts },
            'service table updated',
          );
        },
        changes: (changes) => {
          const index = table.applyChanges(backend.name, changes);
          status.delivered(backend.name);
          logger.debug(
            { backend: backend.name, version: index.version, services: changes.services.size },
            'service table changed',
          );
        },
        fresh: () => {
          table.markSynced(backend.name);
          status.fresh(backend.name);
        },
      });
    }
  } catch (error) {
    await Promise.all(backends.map((backend) => backend.close()));
    throw error;
  }
  const synced = await Promise.all(backends.map((backend) => backend.whenSynced(config.startupTimeoutMs)));
  const waiting = backends.filter((_, i) => !synced[i]).map((backend) => backend.name);
  if (waiting.length > 0) {
    logger.warn(
      { backends: waiting, waitedMs: config.startupTimeoutMs },
      'serving before every registry synced: their zone names answer SERVFAIL until they do',
    );
  }
  return backends;
}
