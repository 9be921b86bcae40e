// Runs the Nacos backend against the Nacos double on loopback and records what it hands the table.

import { NacosBackend } from '../../../src/registry/nacos/backend.js';
import type { NacosBackendOptions } from '../../../src/registry/nacos/options.js';
import type { Endpoint, TableContent } from '../../../src/table/types.js';
import { capturingLogger, type LogLine } from '../helpers.js';
import { FakeNacos, type FakeNacosOptions } from './fake-nacos.js';
import { FakeNacosGrpc, type FakeNacosGrpcOptions } from './fake-nacos-grpc.js';

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
  return harness(fake, backendOptions, async () => await fake.stop());
}

export interface NacosGrpcHarness extends NacosHarness {
  /** The cluster's gRPC servers, over the one registry `fake`. */
  servers: FakeNacosGrpc[];
}

/**
 * The backend speaking gRPC to `count` servers of one Nacos cluster (one registry, `fake`, whose
 * HTTP port takes the logins), each on 127.0.0.1 at a port of its own.
 */
export async function startNacosGrpc(
  fakeOptions: FakeNacosOptions & FakeNacosGrpcOptions & { count?: number } = {},
  backendOptions: Partial<NacosBackendOptions> = {},
  setup?: (fake: FakeNacos) => Promise<void> | void,
): Promise<NacosGrpcHarness> {
  const fake = new FakeNacos(fakeOptions);
  await fake.start();
  await setup?.(fake);
  const servers: FakeNacosGrpc[] = [];
  for (let i = 0; i < (fakeOptions.count ?? 1); i++) {
    const server = new FakeNacosGrpc(fake, fakeOptions);
    await server.start();
    servers.push(server);
  }
  const h = await harness(
    fake,
    {
      api: 'grpc',
      servers: servers.map((s) => ({ url: fake.url, grpcPort: s.port })),
      healthCheckMs: 200,
      requestTimeoutMs: 1000,
      ...backendOptions,
    },
    async () => {
      for (const server of servers) server.stop();
      await fake.stop();
    },
  );
  return { ...h, servers };
}

async function harness(
  fake: FakeNacos,
  backendOptions: Partial<NacosBackendOptions>,
  stop: () => Promise<void>,
): Promise<NacosHarness> {
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
      await stop();
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

/** A Nacos double whose HTTP port P has P + 1000 free for its gRPC side (started or not). */
export async function nacosPair(startGrpc = true): Promise<{ fake: FakeNacos; grpc: FakeNacosGrpc }> {
  for (let attempt = 0; ; attempt++) {
    const fake = new FakeNacos();
    await fake.start();
    const grpc = new FakeNacosGrpc(fake);
    try {
      if (fake.port + 1000 > 65_535) throw new Error('no room above');
      await grpc.start(fake.port + 1000);
      if (!startGrpc) grpc.stop();
      return { fake, grpc };
    } catch (error) {
      await fake.stop();
      if (attempt === 20) throw error;
    }
  }
}

/** Resolves once `check` holds, polling every 10 ms; fails after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await sleepMs(10);
  }
}
