// Runs the Nacos backend against the Nacos double on loopback and records what it hands the table.

import { NacosBackend, type NacosBackendOptions } from '../../src/registry/nacos/backend.js';
import type { Endpoint, TableContent } from '../../src/table/types.js';
import { capturingLogger, type LogLine } from '../registry/helpers.js';
import { FakeNacos, type FakeNacosOptions } from './fake-nacos.js';

export interface NacosHarness {
  fake: FakeNacos;
  backend: NacosBackend;
  contents: TableContent[];
  freshCount: () => number;
  lines: LogLine[];
  latest: () => TableContent | undefined;
  /** Resolves with the latest content once `check` holds for it; fails after `timeoutMs`. */
  waitFor: (check: (content: TableContent) => boolean, timeoutMs?: number) => Promise<TableContent>;
  close: () => Promise<void>;
}

export async function startNacos(
  fakeOptions: FakeNacosOptions = {},
  backendOptions: Partial<NacosBackendOptions> = {},
  setup?: (fake: FakeNacos) => Promise<void> | void,
): Promise<NacosHarness> {
  const fake = new FakeNacos({ cacheMillis: 50, ...fakeOptions });
  await fake.start();
  await setup?.(fake);
  const { logger, lines } = capturingLogger();
  const backend = new NacosBackend({
    url: fake.url,
    namespaces: [{ dns: 'default', nacos: 'public' }],
    logger,
    minPollMs: 20,
    maxPollMs: 200,
    relistMs: 100,
    ...backendOptions,
  });
  const contents: TableContent[] = [];
  let fresh = 0;
  await backend.start({
    content: (c) => void contents.push(c),
    changes: () => {
      throw new Error('the Nacos backend delivers whole views');
    },
    fresh: () => void (fresh += 1),
  });
  const latest = () => contents.at(-1);
  return {
    fake,
    backend,
    contents,
    freshCount: () => fresh,
    lines,
    latest,
    waitFor: async (check, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const content = latest();
        if (content && check(content)) return content;
        if (Date.now() > deadline) {
          throw new Error(`content never matched; latest: ${JSON.stringify(content)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      await backend.close();
      await fake.stop();
    },
  };
}

export function endpointsOf(content: TableContent, ns: string, name: string): Endpoint[] | undefined {
  return content.services.find((s) => s.namespace === ns && s.name === name)?.endpoints;
}

/** The IPs DNS answers with for a service: its ready endpoints, sorted. */
export function readyIps(content: TableContent, ns: string, name: string): string[] | undefined {
  return endpointsOf(content, ns, name)
    ?.filter((e) => e.ready)
    .map((e) => e.ip)
    .sort();
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
