// Shared pieces of the Kubernetes backend tests: object builders shaped like the API's, a backend
// wired to a fake API server with fast retries, and a recorder of delivered content.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KubernetesBackend,
  type KubernetesBackendOptions,
} from '../../../src/registry/kubernetes/backend.js';
import type { KubernetesConnection } from '../../../src/registry/kubernetes/connection.js';
import { NO_CREDENTIALS } from '../../../src/registry/kubernetes/credentials.js';
import type { ViewChanges } from '../../../src/registry/backend.js';
import { keyOf } from '../../../src/table/service-index.js';
import type { Service, TableContent } from '../../../src/table/types.js';
import { type LogLine, capturingLogger } from '../helpers.js';
import { FakeApiServer, type FakeApiServerOptions } from './fake-apiserver.js';

type Labels = Record<string, string>;

export function namespace(name: string, labels: Labels = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
    spec: { finalizers: ['kubernetes'] },
  };
}

export function service(
  ns: string,
  name: string,
  opts: { clusterIP?: string; ports?: { name?: string; port: number }[]; labels?: Labels } = {},
) {
  const clusterIP = opts.clusterIP ?? '10.96.0.10';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, labels: opts.labels ?? {} },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      ports: (opts.ports ?? [{ name: 'http', port: 80 }]).map((p) => ({
        protocol: 'TCP',
        targetPort: p.port,
        ...p,
      })),
    },
    status: { loadBalancer: {} },
  };
}

export function slice(
  ns: string,
  serviceName: string,
  ips: string[],
  opts: { name?: string; labels?: Labels; ready?: boolean } = {},
) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: opts.name ?? `${serviceName}-abcde`,
      namespace: ns,
      labels: {
        'kubernetes.io/service-name': serviceName,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        ...opts.labels,
      },
    },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: opts.ready ?? true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

export function pod(ns: string, name: string, ip: string, nodeName = 'node-a') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { nodeName, containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

/** A plain-http connection to a fake server, without credentials. */
export function plainConnection(fake: FakeApiServer): KubernetesConnection {
  return {
    server: new URL(fake.url),
    tls: { insecureSkipTlsVerify: false },
    credentials: NO_CREDENTIALS,
    source: 'test',
  };
}

export const FAST_BACKOFF = { initialMs: 20, maxMs: 200 };

/** Records delivered content (a ServiceImport under its own key, `+ns/name`: see importKey); `waitFor` resolves with the first content (latest or future) that matches. */
export class Recorder {
  readonly contents: TableContent[] = [];
  private waiters: { test: (c: TableContent) => boolean; resolve: (c: TableContent) => void }[] = [];

  readonly onContent = (content: TableContent): void => {
    this.contents.push(content);
    for (const w of [...this.waiters]) {
      if (w.test(content)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(content);
      }
    }
  };

  /** Changes become the next content: the latest with the changed services, namespaces and pods replaced. */
  readonly onChanges = (changes: ViewChanges): void => {
    const services = new Map((this.latest?.services ?? []).map((s) => [keyOf(s), s]));
    for (const [key, service] of changes.services) {
      if (service) services.set(key, service);
      else services.delete(key);
    }
    this.onContent({
      namespaces: changes.namespaces ?? this.latest?.namespaces ?? [],
      services: [...services.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)),
      pods: changes.pods ?? this.latest?.pods ?? [],
    });
  };

  get latest(): TableContent | undefined {
    return this.contents[this.contents.length - 1];
  }

  waitFor(
    test: (c: TableContent) => boolean,
    timeoutMs = 2000,
    what = 'matching content',
  ): Promise<TableContent> {
    const latest = this.latest;
    if (latest && test(latest)) return Promise.resolve(latest);
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (c: TableContent) => {
          clearTimeout(timer);
          resolve(c);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(
          new Error(`no ${what} within ${timeoutMs} ms; latest: ${JSON.stringify(summary(this.latest))}`),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

export function findService(content: TableContent | undefined, key: string): Service | undefined {
  return content?.services.find((s) => keyOf(s) === key);
}

export function serviceKeys(content: TableContent | undefined): string[] {
  return (content?.services ?? []).map(keyOf);
}

export function endpointIPs(content: TableContent | undefined, key: string): string[] {
  return (findService(content, key)?.endpoints ?? []).map((e) => e.ip).sort();
}

function summary(content: TableContent | undefined) {
  if (!content) return 'nothing delivered';
  return {
    namespaces: content.namespaces,
    services: content.services.map(
      (s) => `${s.namespace}/${s.name} ${s.clusterIPs.join(',')} [${s.endpoints.map((e) => e.ip)}]`,
    ),
    pods: content.pods.map((p) => `${p.namespace}/${p.name}`),
  };
}

export interface Harness {
  fake: FakeApiServer;
  backend: KubernetesBackend;
  recorder: Recorder;
  lines: LogLine[];
  close(): Promise<void>;
}

/** A fake server seeded with `objects`, and a started backend with fast retries pointed at it. */
export async function startHarness(
  objects: Record<string, unknown>[],
  opts: {
    fake?: FakeApiServerOptions;
    backend?: Partial<KubernetesBackendOptions>;
    seed?: (fake: FakeApiServer) => void;
    /** The connection to use; default plain http without credentials. */
    connect?: (fake: FakeApiServer) => KubernetesConnection;
  } = {},
): Promise<Harness> {
  const fake = await FakeApiServer.start(opts.fake);
  for (const o of objects) fake.apply(o);
  opts.seed?.(fake);
  const { logger, lines } = capturingLogger();
  const backend = new KubernetesBackend({
    connection: opts.connect?.(fake) ?? plainConnection(fake),
    logger,
    watchPods: false,
    backoff: FAST_BACKOFF,
    ...opts.backend,
  });
  const recorder = new Recorder();
  await backend.start({ content: recorder.onContent, changes: recorder.onChanges, fresh: () => {} });
  return {
    fake,
    backend,
    recorder,
    lines,
    async close() {
      await backend.close();
      await fake.close();
    },
  };
}

export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Calls `get` every 50 ms until `done` holds of its result (`timeoutMs` at most); returns the last
 * result, for the test to assert on.
 */
export async function pollUntil<T>(
  get: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A basic cluster: namespaces default and shop, service shop/web with one slice. */
export function basicCluster() {
  return [
    namespace('default'),
    namespace('shop'),
    service('shop', 'web', { clusterIP: '10.96.45.10' }),
    slice('shop', 'web', ['10.244.1.5']),
  ];
}
