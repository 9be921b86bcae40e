// An etcd backend started against a test etcd, with everything it delivered and logged kept for
// assertions.
import { EtcdBackend } from '../../../src/registry/etcd/backend.js';
import type { EtcdConnectionConfig } from '../../../src/config/options/etcd.js';
import { connectEtcd } from '../../../src/registry/etcd/connection.js';
import type { TableContent } from '../../../src/table/types.js';
import { capturingLogger } from '../helpers.js';

export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startBackend(
  prefix: string,
  connection: EtcdConnectionConfig,
  { freshIntervalMs }: { freshIntervalMs?: number } = {},
) {
  const { logger, lines } = capturingLogger();
  const contents: TableContent[] = [];
  let fresh = 0;
  let oversized = 0;
  const backend = new EtcdBackend({
    client: await connectEtcd(connection),
    prefix,
    zones: ['cluster.local'],
    logger,
    ...(freshIntervalMs !== undefined ? { freshIntervalMs } : {}),
    onOversizedRead: () => void oversized++,
  });
  await backend.start({
    content: (c) => contents.push(c),
    changes: () => {
      throw new Error('the etcd backend delivers whole views');
    },
    fresh: () => void fresh++,
  });
  return {
    backend,
    lines,
    contents,
    fresh: () => fresh,
    /** Reads refused for being over the response size limit, as the metric counts them. */
    oversized: () => oversized,
    last: () => contents.at(-1),
    /** `ns/svc ip,ip` per service with endpoints, or `ns/svc -> target` for aliases. */
    summary: () =>
      (contents.at(-1)?.services ?? []).map((s) =>
        s.type === 'ExternalName'
          ? `${s.namespace}/${s.name} -> ${s.externalName}`
          : `${s.namespace}/${s.name} ${s.endpoints.map((e) => e.ip).join(',')}`,
      ),
  };
}
