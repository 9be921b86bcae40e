// The backend against the fake API server on the happy path: initial sync with paging, and every
// kind's additions, changes and deletions reaching onContent quickly.

import { afterEach, describe, expect, it } from 'vitest';
import {
  type Harness,
  basicCluster,
  endpointIPs,
  findService,
  namespace,
  pod,
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

describe('initial sync', () => {
  it('lists every kind across pages, then delivers the joined content once', async () => {
    const objects: Record<string, unknown>[] = [namespace('shop')];
    for (let i = 0; i < 12; i++) {
      objects.push(service('shop', `svc-${i}`, { clusterIP: `10.96.0.${i + 1}` }));
      objects.push(slice('shop', `svc-${i}`, [`10.244.0.${i + 1}`]));
    }
    h = await startHarness(objects, { backend: { pageSize: 5 } });
    expect(h.backend.status().synced).toBe(false);
    expect(await h.backend.whenSynced(2000)).toBe(true);
    const content = await h.recorder.waitFor(() => true);

    expect(content.namespaces).toEqual(['shop']);
    expect(content.services).toHaveLength(12);
    expect(endpointIPs(content, 'shop/svc-7')).toEqual(['10.244.0.8']);
    // 12 objects in pages of 5: three list requests each for services and slices.
    expect(h.fake.countRequests('services', 'list')).toBe(3);
    expect(h.fake.countRequests('endpointslices', 'list')).toBe(3);
    expect(h.fake.requests.find((r) => r.verb === 'list')?.query.get('limit')).toBe('5');

    // The watch starts from the list's resourceVersion, with bookmarks and a 5-10 minute timeout.
    await h.backend.whenSynced(100);
    const watch = h.fake.requests.find((r) => r.resource === 'services' && r.verb === 'watch');
    expect(watch?.query.get('resourceVersion')).toBe(h.fake.resourceVersion);
    expect(watch?.query.get('allowWatchBookmarks')).toBe('true');
    const timeout = Number(watch?.query.get('timeoutSeconds'));
    expect(timeout).toBeGreaterThanOrEqual(300);
    expect(timeout).toBeLessThanOrEqual(600);

    await new Promise((r) => setTimeout(r, 50));
    expect(h.recorder.contents).toHaveLength(1);
    const status = h.backend.status();
    expect(status.synced).toBe(true);
    expect(status.lastSyncAt).toBeGreaterThan(Date.now() - 5000);
    expect(status.kinds.services).toMatchObject({ listed: true, objects: 12 });
    expect(status.kinds.pods).toBeUndefined();
    expect(typeof h.backend.lastProgrammingLatencyMs).toBe('number');
  });

  it('does not deliver until every kind has listed', async () => {
    h = await startHarness(basicCluster(), {
      seed: (fake) => fake.failNext(3, 500, { resource: 'endpointslices' }),
    });
    expect(await h.backend.whenSynced(2000)).toBe(true);
    // Services listed long before slices; no content went out without them.
    expect(h.recorder.contents).toHaveLength(1);
    expect(endpointIPs(h.recorder.latest, 'shop/web')).toEqual(['10.244.1.5']);
  });

  it('answers a service whose slices have not arrived with its cluster IP', async () => {
    h = await startHarness([namespace('shop'), service('shop', 'web', { clusterIP: '10.96.45.10' })]);
    const content = await h.recorder.waitFor(() => true);
    expect(findService(content, 'shop/web')).toMatchObject({ clusterIPs: ['10.96.45.10'], endpoints: [] });
  });

  it('watches pods only when asked', async () => {
    const objects = [...basicCluster(), pod('shop', 'web-1', '10.244.1.5')];
    h = await startHarness(objects);
    expect((await h.recorder.waitFor(() => true)).pods).toEqual([]);
    expect(h.fake.countRequests('pods', 'list')).toBe(0);
    await h.close();

    h = await startHarness(objects, { backend: { watchPods: true } });
    const content = await h.recorder.waitFor(() => true);
    expect(content.pods).toEqual([
      { namespace: 'shop', name: 'web-1', ips: ['10.244.1.5'], nodeName: 'node-a' },
    ]);
  });

  it('reports a never-synced backend through whenSynced(timeout)', async () => {
    h = await startHarness(basicCluster(), {
      seed: (fake) => fake.failNext(1000, 403, { resource: 'services' }),
    });
    expect(await h.backend.whenSynced(300)).toBe(false);
    const status = h.backend.status();
    expect(status.synced).toBe(false);
    expect(status.kinds.services?.lastError).toMatch(/403/);
    expect(h.lines.some((l) => typeof l.hint === 'string' && l.hint.includes('clusterrole'))).toBe(true);
    expect(h.recorder.contents).toHaveLength(0);
  });
});

describe('changes', () => {
  /** Applies a change and returns how long the content took to show it. */
  async function timed(change: () => void, test: Parameters<NonNullable<Harness>['recorder']['waitFor']>[0]) {
    const started = performance.now();
    change();
    await h!.recorder.waitFor(test, 1000);
    return performance.now() - started;
  }

  it('reflects add, modify and delete of every kind within 100 ms', async () => {
    h = await startHarness(basicCluster(), { backend: { watchPods: true } });
    await h.backend.whenSynced(2000);
    const { fake, recorder } = h;
    const latencies: number[] = [];

    // Namespaces
    latencies.push(
      await timed(
        () => fake.apply(namespace('blog')),
        (c) => c.namespaces.includes('blog'),
      ),
    );
    latencies.push(
      await timed(
        () => fake.apply(namespace('blog', { team: 'x' })),
        () => true,
      ),
    );
    latencies.push(
      await timed(
        () => fake.delete('namespaces', undefined, 'blog'),
        (c) => !c.namespaces.includes('blog'),
      ),
    );

    // Services
    latencies.push(
      await timed(
        () => fake.apply(service('shop', 'api', { clusterIP: '10.96.0.50' })),
        (c) => !!findService(c, 'shop/api'),
      ),
    );
    latencies.push(
      await timed(
        () => fake.apply(service('shop', 'api', { clusterIP: '10.96.0.51' })),
        (c) => findService(c, 'shop/api')?.clusterIPs[0] === '10.96.0.51',
      ),
    );
    latencies.push(
      await timed(
        () => fake.delete('services', 'shop', 'api'),
        (c) => !findService(c, 'shop/api'),
      ),
    );

    // EndpointSlices
    latencies.push(
      await timed(
        () => fake.apply(slice('shop', 'web', ['10.244.2.7'], { name: 'web-fghij' })),
        (c) => endpointIPs(c, 'shop/web').length === 2,
      ),
    );
    latencies.push(
      await timed(
        () => fake.apply(slice('shop', 'web', ['10.244.2.8'], { name: 'web-fghij' })),
        (c) => endpointIPs(c, 'shop/web').includes('10.244.2.8'),
      ),
    );
    latencies.push(
      await timed(
        () => fake.delete('endpointslices', 'shop', 'web-fghij'),
        (c) => endpointIPs(c, 'shop/web').join() === '10.244.1.5',
      ),
    );

    // Pods
    latencies.push(
      await timed(
        () => fake.apply(pod('shop', 'web-1', '10.244.1.5')),
        (c) => c.pods.length === 1,
      ),
    );
    latencies.push(
      await timed(
        () => fake.apply(pod('shop', 'web-1', '10.244.1.6')),
        (c) => c.pods[0]?.ips[0] === '10.244.1.6',
      ),
    );
    latencies.push(
      await timed(
        () => fake.delete('pods', 'shop', 'web-1'),
        (c) => c.pods.length === 0,
      ),
    );

    expect(Math.max(...latencies)).toBeLessThan(100);
    expect(h.backend.lastProgrammingLatencyMs).toBeLessThan(100);
    expect(recorder.contents.length).toBeGreaterThanOrEqual(12);
  });

  it('coalesces a burst of changes into one delivery', async () => {
    h = await startHarness(basicCluster(), { backend: { coalesceMs: 10 } });
    await h.backend.whenSynced(2000);
    await h.recorder.waitFor(() => true);
    const before = h.recorder.contents.length;
    for (let i = 0; i < 20; i++)
      h.fake.apply(service('shop', `burst-${i}`, { clusterIP: `10.96.1.${i + 1}` }));
    await h.recorder.waitFor((c) => c.services.length === 21);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.recorder.contents.length - before).toBe(1);
  });

  it('skips a change DNS cannot see', async () => {
    h = await startHarness([...basicCluster(), pod('shop', 'web-1', '10.244.1.5')], {
      backend: { watchPods: true },
    });
    await h.backend.whenSynced(2000);
    await h.recorder.waitFor(() => true);
    const before = h.recorder.contents.length;
    const changed = pod('shop', 'web-1', '10.244.1.5');
    (changed.status as Record<string, unknown>).conditions = [{ type: 'Ready', status: 'True' }];
    h.fake.apply(changed);
    h.fake.apply(service('shop', 'web', { clusterIP: '10.96.45.10', labels: { unrelated: 'label' } }));
    await new Promise((r) => setTimeout(r, 100));
    expect(h.recorder.contents.length).toBe(before);
  });
});

describe('label selectors', () => {
  it('applies labelSelector to services and slices, namespaceLabelSelector to namespaces', async () => {
    h = await startHarness(
      [
        namespace('shop', { dns: 'on' }),
        namespace('hidden'),
        service('shop', 'web', { clusterIP: '10.96.0.1', labels: { expose: 'yes' } }),
        slice('shop', 'web', ['10.244.0.1'], { labels: { expose: 'yes' } }),
        service('shop', 'internal', { clusterIP: '10.96.0.2', labels: { expose: 'no' } }),
        service('shop', 'bare', { clusterIP: '10.96.0.3' }),
        service('hidden', 'web', { clusterIP: '10.96.0.4', labels: { expose: 'yes' } }),
      ],
      { backend: { labelSelector: 'expose,expose!=no', namespaceLabelSelector: 'dns=on' } },
    );
    const content = await h.recorder.waitFor(() => true);
    expect(content.namespaces).toEqual(['shop']);
    expect(serviceKeys(content)).toEqual(['shop/web']);
    expect(endpointIPs(content, 'shop/web')).toEqual(['10.244.0.1']);
    const listed = (resource: 'namespaces' | 'services' | 'endpointslices') =>
      h!.fake.requests.find((r) => r.resource === resource && r.verb === 'list')?.query.get('labelSelector');
    expect(listed('namespaces')).toBe('dns=on');
    expect(listed('services')).toBe('expose,expose!=no');
    expect(listed('endpointslices')).toBe('expose,expose!=no');

    // A service relabelled out of the selection disappears (the watch reports it as DELETED).
    h.fake.apply(service('shop', 'web', { clusterIP: '10.96.0.1', labels: { expose: 'no' } }));
    await h.recorder.waitFor((c) => c.services.length === 0);
    // A namespace labelled into the selection brings its services with it.
    h.fake.apply(namespace('hidden', { dns: 'on' }));
    const later = await h.recorder.waitFor((c) => c.namespaces.includes('hidden'));
    expect(serviceKeys(later)).toEqual(['hidden/web']);
  });
});
