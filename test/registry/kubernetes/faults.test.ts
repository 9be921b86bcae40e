// The backend against the faults a real API server and network produce: dropped connections,
// lost history, stalled streams, restarts, rotated tokens, error statuses and bad objects. The
// rule in every case: the last good content keeps serving, and the backend finds its own way back.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenFile } from '../../../src/registry/kubernetes/credentials.js';
import {
  type Harness,
  basicCluster,
  endpointIPs,
  eventually,
  findService,
  plainConnection,
  service,
  serviceKeys,
  slice,
  startHarness,
} from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function synced(
  objects: Record<string, unknown>[] = basicCluster(),
  opts: Parameters<typeof startHarness>[1] = {},
) {
  h = await startHarness(objects, opts);
  expect(await h.backend.whenSynced(2000)).toBe(true);
  await h.recorder.waitFor(() => true);
  return h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('disconnects', () => {
  it('resumes the watch from the last resourceVersion after a dropped connection, without relisting', async () => {
    const { fake, recorder } = await synced();
    const lists = fake.countRequests('services', 'list');
    const lastSeen = fake.resourceVersion;

    fake.dropConnections();
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    const content = await recorder.waitFor((c) => !!findService(c, 'shop/api'));

    expect(serviceKeys(content).sort()).toEqual(['shop/api', 'shop/web']);
    expect(fake.countRequests('services', 'list')).toBe(lists);
    const resumed = fake.requests.filter((r) => r.resource === 'services' && r.verb === 'watch').at(-1);
    expect(resumed?.query.get('resourceVersion')).toBe(lastSeen);
  });

  it('re-watches when the server ends a stream normally (timeoutSeconds ran out)', async () => {
    const { fake, recorder } = await synced();
    const watches = fake.countRequests('endpointslices', 'watch');
    fake.endWatches();
    await eventually(() => fake.countRequests('endpointslices', 'watch') > watches, 2000, 're-watch');
    fake.apply(slice('shop', 'web', ['10.244.1.9'], { name: 'web-second' }));
    await recorder.waitFor((c) => endpointIPs(c, 'shop/web').includes('10.244.1.9'));
    expect(fake.countRequests('endpointslices', 'list')).toBe(1);
  });

  it('keeps the last good content while the API server is down, and catches up when it returns', async () => {
    const { fake, recorder, backend } = await synced();
    const before = recorder.contents.length;
    await fake.stop();
    await eventually(() => !backend.status().connected, 3000, 'connection loss noticed');
    await sleep(300);
    // Retries failed for a while: nothing was delivered, so the table still holds the last content.
    expect(recorder.contents.length).toBe(before);
    expect(endpointIPs(recorder.latest, 'shop/web')).toEqual(['10.244.1.5']);

    // Changes made while we could not see them, including a deletion, arrive after the restart.
    fake.apply(slice('shop', 'web', ['10.244.1.6']));
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    await fake.restart();
    const content = await recorder.waitFor(
      (c) => endpointIPs(c, 'shop/web').join() === '10.244.1.6' && !!findService(c, 'shop/api'),
      5000,
    );
    expect(serviceKeys(content).sort()).toEqual(['shop/api', 'shop/web']);
    await eventually(() => backend.status().connected, 3000, 'reconnected');
  });
});

describe('lost history (410 Gone)', () => {
  it.each(['status', 'event'] as const)(
    'relists and drops objects deleted meanwhile when the watch answers 410 as an %s',
    async (goneMode) => {
      const objects = [
        ...basicCluster(),
        service('shop', 'old', { clusterIP: '10.96.0.60' }),
        slice('shop', 'old', ['10.244.3.1']),
      ];
      const { fake, recorder } = await synced(objects);
      fake.goneMode = goneMode;
      // The client falls behind: its connection drops, the service is deleted, history is compacted.
      await fake.stop();
      fake.delete('services', 'shop', 'old');
      fake.delete('endpointslices', 'shop', 'old-abcde');
      fake.apply(service('shop', 'new', { clusterIP: '10.96.0.61' }));
      fake.compact();
      await fake.restart();

      const content = await recorder.waitFor(
        (c) => !findService(c, 'shop/old') && !!findService(c, 'shop/new'),
        5000,
      );
      expect(serviceKeys(content).sort()).toEqual(['shop/new', 'shop/web']);
      expect(fake.countRequests('services', 'watch', goneMode === 'status' ? 410 : 200)).toBeGreaterThan(0);
      expect(fake.countRequests('services', 'list')).toBe(2);
      expect(h!.lines.some((l) => String(l.msg).includes('relisting'))).toBe(true);
    },
  );

  it.each(['status', 'event'] as const)(
    'paces a server that answers every watch with 410 as an %s: a handful of relists, the table current',
    async (goneMode) => {
      // The production pacing (200 ms doubling to 30 s), not the harness's fast one.
      const { fake, recorder } = await synced(basicCluster(), { backend: { backoff: {} } });
      fake.goneMode = goneMode;
      fake.expireEveryWatch = true;
      const from = fake.requests.length;
      const broke = performance.now();
      fake.dropConnections();
      await sleep(1000);
      fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
      await sleep(3000);

      const lists = fake.requests.slice(from).filter((r) => r.resource === 'services' && r.verb === 'list');
      // The first 410 is cured by a relist at once; the repetition waits 0.1-0.2 s, then doubles.
      expect(lists[0]!.at - broke).toBeLessThan(500);
      expect(lists.length).toBeGreaterThanOrEqual(3);
      expect(lists.length).toBeLessThanOrEqual(7);
      const gaps = lists.slice(1).map((r, i) => r.at - lists[i]!.at);
      expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]!);
      // Every relist succeeds, so what changed meanwhile is served, and the rest keeps serving.
      const content = await recorder.waitFor((c) => !!findService(c, 'shop/api'), 3000);
      expect(endpointIPs(content, 'shop/web')).toEqual(['10.244.1.5']);
    },
  );

  it('restarts a paged list whose continue token expired', async () => {
    const objects: Record<string, unknown>[] = [...basicCluster()];
    for (let i = 0; i < 9; i++) objects.push(service('shop', `s${i}`, { clusterIP: `10.96.2.${i + 1}` }));
    h = await startHarness(objects, {
      backend: { pageSize: 4 },
      seed: (fake) => fake.expireNextContinue(1),
    });
    const content = await h.recorder.waitFor(() => true);
    expect(content.services).toHaveLength(10);
    expect(h.fake.countRequests('services', 'list', 410)).toBe(1);
  });
});

describe('silent and broken streams', () => {
  it('re-opens a watch that stalls, after the inactivity timeout', async () => {
    const { fake, recorder } = await synced(basicCluster(), { backend: { inactivityTimeoutMs: 300 } });
    const watches = fake.countRequests('services', 'watch');
    fake.stall(true);
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    await sleep(150);
    expect(findService(recorder.latest, 'shop/api')).toBeUndefined();
    expect(endpointIPs(recorder.latest, 'shop/web')).toEqual(['10.244.1.5']);
    fake.stall(false);
    await recorder.waitFor((c) => !!findService(c, 'shop/api'), 3000);
    expect(fake.countRequests('services', 'watch')).toBeGreaterThan(watches);
    expect(h!.lines.some((l) => String(l.problem ?? '').includes('no data on the watch'))).toBe(true);
  });

  it('survives a malformed line in the stream: logs it and resumes', async () => {
    const { fake, recorder } = await synced();
    fake.sendMalformedLine();
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    await recorder.waitFor((c) => !!findService(c, 'shop/api'), 3000);
    expect(h!.lines.some((l) => String(l.problem ?? '').includes('malformed watch event'))).toBe(true);
    expect(endpointIPs(recorder.latest, 'shop/web')).toEqual(['10.244.1.5']);
  });

  it('retries with backoff after 500 and honours Retry-After on 429', async () => {
    h = await startHarness(basicCluster(), {
      seed: (fake) => {
        fake.failNext(2, 500, { resource: 'services' });
        fake.failNext(1, 429, { resource: 'namespaces', retryAfterSeconds: 1 });
      },
    });
    const started = performance.now();
    expect(await h.backend.whenSynced(5000)).toBe(true);
    // The namespace list waited for the server's Retry-After before trying again.
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(h.fake.countRequests('services', 'list', 500)).toBe(2);
    expect(h.fake.countRequests('namespaces', 'list', 429)).toBe(1);
  });
});

describe('bad objects', () => {
  it('skips an object that does not validate, names it in a log line, and serves the rest', async () => {
    const { fake, recorder } = await synced();
    fake.apply(service('shop', 'broken', { clusterIP: 'not-an-ip' }));
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    const content = await recorder.waitFor((c) => !!findService(c, 'shop/api'));
    expect(serviceKeys(content).sort()).toEqual(['shop/api', 'shop/web']);
    const line = h!.lines.find((l) => l.msg === 'Kubernetes object rejected; it is not served until fixed');
    expect(line?.object).toContain('shop/broken');
    expect(String(line?.problem)).toContain('not-an-ip');
  });

  it('keeps serving the last good version of an object whose update is invalid', async () => {
    const { fake, recorder } = await synced();
    fake.apply(service('shop', 'web', { clusterIP: '10.96.45.999' }));
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    const content = await recorder.waitFor((c) => !!findService(c, 'shop/api'));
    expect(findService(content, 'shop/web')?.clusterIPs).toEqual(['10.96.45.10']);
    expect(
      h!.lines.some((l) => l.msg === 'Kubernetes object rejected; its last good version keeps serving'),
    ).toBe(true);
  });
});

describe('objects of the wrong shape', () => {
  const wrong: [string, Record<string, unknown>, string, string][] = [
    [
      'spec.ports a string',
      { ...service('shop', 'bad'), spec: { clusterIP: '10.96.0.9', ports: '80' } },
      'Service shop/bad',
      'spec.ports: expected a list, got "80"',
    ],
    [
      'metadata.name a number',
      { ...service('shop', 'x'), metadata: { name: 42, namespace: 'shop' } },
      'Service shop/42',
      'metadata.name: expected a non-empty string, got 42',
    ],
    [
      'endpoints not a list',
      { ...slice('shop', 'web', [], { name: 'web-bad' }), endpoints: { addresses: ['10.244.1.7'] } },
      'EndpointSlice shop/web-bad',
      'endpoints: expected a list, got a mapping',
    ],
    [
      'a port number a string',
      { ...service('shop', 'bad'), spec: { clusterIP: '10.96.0.9', ports: [{ port: '80' }] } },
      'Service shop/bad',
      'spec.ports[0].port: expected an integer 1-65535, got "80"',
    ],
  ];
  const rejected = (lines: Harness['lines'], object: string, problem: string) =>
    lines.some(
      (l) =>
        l.msg === 'Kubernetes object rejected; it is not served until fixed' &&
        l.object === object &&
        l.problem === problem,
    );
  const listCount = (fake: Harness['fake']) => fake.requests.filter((r) => r.verb === 'list').length;

  it.each(wrong)(
    'skips an object with %s in a list page, naming it, without a relist',
    async (_, bad, object, problem) => {
      const { fake, recorder, lines } = await synced([...basicCluster(), bad]);
      await sleep(300);
      expect(rejected(lines, object, problem)).toBe(true);
      expect(listCount(fake)).toBe(3);
      expect(serviceKeys(recorder.latest)).toEqual(['shop/web']);
      expect(endpointIPs(recorder.latest, 'shop/web')).toEqual(['10.244.1.5']);
    },
  );

  it.each(wrong)(
    'skips an object with %s in ADDED, MODIFIED and DELETED events, without a relist',
    async (_, bad, object, problem) => {
      const { fake, recorder, lines } = await synced();
      await eventually(() => fake.openWatches() === 3, 2000, 'a watch per kind');
      const watches = fake.requests.filter((r) => r.verb === 'watch').length;
      fake.apply(bad); // ADDED
      fake.apply({ ...bad, status: { changed: true } }); // MODIFIED
      const badKind = bad.kind === 'Service' ? 'services' : 'endpointslices';
      const name = (bad.metadata as { name: unknown }).name;
      fake.delete(badKind, 'shop', String(name)); // DELETED
      fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
      const content = await recorder.waitFor((c) => !!findService(c, 'shop/api'));

      expect(rejected(lines, object, problem)).toBe(true);
      expect(serviceKeys(content)).toEqual(['shop/api', 'shop/web']);
      expect(endpointIPs(content, 'shop/web')).toEqual(['10.244.1.5']);
      expect(listCount(fake)).toBe(3);
      expect(fake.requests.filter((r) => r.verb === 'watch').length).toBe(watches);
    },
  );

  it('drops a served object whose DELETED event carries a version that does not validate', async () => {
    const { fake, recorder } = await synced();
    fake.apply({ ...service('shop', 'web'), spec: { ports: 'eighty' } }); // last good version kept
    fake.delete('services', 'shop', 'web');
    const content = await recorder.waitFor((c) => !findService(c, 'shop/web'));
    expect(serviceKeys(content)).toEqual([]);
    expect(fake.countRequests('services', 'list')).toBe(1);
  });

  it('skips a watch event whose object is not a mapping, naming it, without re-watching', async () => {
    const { fake, recorder, lines } = await synced();
    await eventually(() => fake.openWatches('services') === 1, 2000, 'the services watch');
    const watches = fake.countRequests('services', 'watch');
    fake.sendEvent('services', { type: 'ADDED', object: 'shop/web' });
    fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
    await recorder.waitFor((c) => !!findService(c, 'shop/api'));
    const line = lines.find((l) => l.msg === 'Kubernetes watch event skipped');
    expect(line).toMatchObject({ kind: 'Service', problem: 'object: expected a mapping, got "shop/web"' });
    expect(fake.countRequests('services', 'watch')).toBe(watches);
    expect(fake.countRequests('services', 'list')).toBe(1);
  });
});

describe('size caps', () => {
  it('drops a watch line over the cap with its connection, counts it, and paces the retries', async () => {
    const { fake, recorder, backend, lines } = await synced(basicCluster(), {
      backend: { maxLineBytes: 4096, backoff: {} },
    });
    const watches = fake.countRequests('services', 'watch');
    // One real object, too large for the cap; the server replays it on every re-watch.
    const big = service('shop', 'big', { clusterIP: '10.96.0.70' });
    fake.apply({ ...big, metadata: { ...big.metadata, annotations: { note: 'x'.repeat(8000) } } });
    await sleep(2000);

    expect(backend.status().oversizedReads).toBeGreaterThanOrEqual(2);
    const line = lines.find((l) => String(l.msg).startsWith('Kubernetes watch event line over its size cap'));
    expect(line).toMatchObject({ limitBytes: 4096 });
    expect(String(line?.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/services\?.*watch=1/);
    // Retried with growing waits (0.1-0.2 s, then doubling), not in a loop.
    expect(fake.countRequests('services', 'watch') - watches).toBeLessThanOrEqual(6);
    expect(serviceKeys(recorder.latest)).toEqual(['shop/web']);
    expect(endpointIPs(recorder.latest, 'shop/web')).toEqual(['10.244.1.5']);
  });

  it('drops a list page over the cap, counts it, and keeps the last good objects', async () => {
    const { fake, recorder, backend, lines } = await synced(basicCluster(), {
      backend: { maxPageBytes: 16 * 1024, backoff: {} },
    });
    for (let i = 0; i < 60; i++) fake.apply(service('shop', `s${i}`, { clusterIP: `10.96.3.${i + 1}` }));
    await recorder.waitFor((c) => c.services.length === 61);
    // History lost while the connection was down: the relist returns a page larger than the cap.
    await fake.stop();
    fake.apply(service('shop', 'late', { clusterIP: '10.96.4.1' }));
    fake.compact();
    await fake.restart();
    await sleep(1500);

    expect(backend.status().oversizedReads).toBeGreaterThanOrEqual(1);
    const line = lines.find((l) => String(l.msg).startsWith('Kubernetes list page over its size cap'));
    expect(line).toMatchObject({ limitBytes: 16 * 1024 });
    expect(String(line?.url)).toContain('/api/v1/services?limit=500');
    expect(fake.countRequests('services', 'list')).toBeLessThanOrEqual(6);
    expect(recorder.latest?.services).toHaveLength(61);
  });
});

describe('credentials', () => {
  it('re-reads a rotated token file after a 401 and carries on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clusterdns-token-'));
    try {
      const tokenPath = join(dir, 'token');
      await writeFile(tokenPath, 'first-token\n');
      h = await startHarness(basicCluster(), {
        fake: { token: 'first-token' },
        backend: {},
        connect: (fake) => ({ ...plainConnection(fake), credentials: new TokenFile(tokenPath) }),
      });
      expect(await h.backend.whenSynced(2000)).toBe(true);

      // The kubelet rotates the token: the server stops accepting the old one.
      await writeFile(tokenPath, 'second-token\n');
      h.fake.token = 'second-token';
      h.fake.dropConnections();
      h.fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' }));
      await h.recorder.waitFor((c) => !!findService(c, 'shop/api'), 3000);
      expect(h.fake.requests.some((r) => r.status === 401)).toBe(true);
      expect(h.fake.requests.at(-1)?.status).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('never syncs with a wrong token, and says so', async () => {
    h = await startHarness(basicCluster(), { fake: { token: 'right' } });
    expect(await h.backend.whenSynced(500)).toBe(false);
    expect(h.recorder.contents).toHaveLength(0);
    const line = h.lines.find((l) => l.msg === 'Kubernetes list failed; not ready until it succeeds');
    expect(String(line?.hint)).toContain('credentials');
  });
});

describe('shutdown', () => {
  it('closes every connection and leaves no timer behind', async () => {
    const timersBefore = activeTimers();
    const { fake, backend } = await synced(basicCluster(), { backend: { watchPods: true } });
    await eventually(() => fake.openWatches() === 4, 2000, 'a watch per kind');
    await backend.close();
    await eventually(() => fake.openConnections() === 0, 2000, 'connections closed');
    expect(fake.openWatches()).toBe(0);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });
});

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
