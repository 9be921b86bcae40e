// The backend's ServiceImport watch (KEP-1645) against the test API server: opened only with a
// multicluster zone, imports and their imported slices delivered apart from Services, and a
// cluster without the MCS CRD served all the same (404 said once, then looked at again).

import { afterEach, describe, expect, it } from 'vitest';
import { importedSlice, serviceImport } from '../../resolve/multicluster-fixture.js';
import {
  type Harness,
  FAST_BACKOFF,
  endpointIPs,
  eventually,
  findService,
  namespace,
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

const http = { name: 'http', port: 80 };

function objects(): Record<string, unknown>[] {
  return [
    namespace('shop'),
    service('shop', 'web', { clusterIP: '10.96.0.10' }),
    slice('shop', 'web', ['10.244.0.1']),
    serviceImport('shop', 'web', { type: 'ClusterSetIP', ips: ['10.0.0.10'], ports: [http] }),
    serviceImport('shop', 'db', { type: 'Headless', ports: [http] }),
    importedSlice('shop', 'db', 'east', [{ ip: '10.1.0.1', hostname: 'db-0' }], [http]),
    // Labelled for the Service too: it still feeds the import only.
    importedSlice('shop', 'web', 'east', [{ ip: '10.1.0.9' }], [http], {
      labels: { 'kubernetes.io/service-name': 'web' },
    }),
  ];
}

describe('ServiceImports from the Kubernetes API', () => {
  it('opens no ServiceImport nor imported-slice watch without a multicluster zone', async () => {
    h = await startHarness(objects());
    expect(await h.backend.whenSynced(2000)).toBe(true);
    const content = await h.recorder.waitFor(() => true);
    expect(serviceKeys(content)).toEqual(['shop/web']);
    expect(endpointIPs(content, 'shop/web')).toEqual(['10.244.0.1']);
    expect(h.fake.requests.filter((r) => r.resource === 'serviceimports')).toEqual([]);
    const selectors = h.fake.requests.map((r) => r.query.get('labelSelector') ?? '');
    expect(selectors.filter((s) => s.includes('multicluster'))).toEqual([]);
    expect(h.backend.status().kinds.serviceimports).toBeUndefined();
  });

  it('watches imports and the slices labelled multicluster.kubernetes.io/service-name', async () => {
    h = await startHarness(objects(), { backend: { multicluster: true } });
    expect(await h.backend.whenSynced(2000)).toBe(true);
    const content = await h.recorder.waitFor(() => true);
    expect(serviceKeys(content).sort()).toEqual(['+shop/db', '+shop/web', 'shop/web']);
    expect(endpointIPs(content, 'shop/web')).toEqual(['10.244.0.1']);
    expect(endpointIPs(content, '+shop/web')).toEqual(['10.1.0.9']);
    expect(findService(content, '+shop/web')?.clusterIPs).toEqual(['10.0.0.10']);
    expect(findService(content, '+shop/db')?.endpoints).toEqual([
      {
        ip: '10.1.0.1',
        hostname: 'db-0',
        ready: true,
        clusterId: 'east',
        ports: [{ ...http, protocol: 'TCP' }],
      },
    ]);
    const watched = h.fake.requests.find(
      (r) => r.resource === 'endpointslices' && r.query.has('labelSelector'),
    );
    expect(watched?.query.get('labelSelector')).toBe('multicluster.kubernetes.io/service-name');

    // Changes to an import arrive like any other.
    h.fake.apply(importedSlice('shop', 'db', 'west', [{ ip: '10.2.0.1', hostname: 'db-0' }], [http]));
    const after = await h.recorder.waitFor((c) => endpointIPs(c, '+shop/db').length === 2);
    expect(findService(after, '+shop/db')?.endpoints.map((e) => `${e.hostname}.${e.clusterId}`)).toEqual([
      'db-0.east',
      'db-0.west',
    ]);
    h.fake.delete('serviceimports', 'shop', 'web');
    const gone = await h.recorder.waitFor((c) => !serviceKeys(c).includes('+shop/web'));
    expect(serviceKeys(gone).sort()).toEqual(['+shop/db', 'shop/web']);
  });

  it('syncs without the CRD, says so once, and serves imports once it is installed', async () => {
    h = await startHarness(objects(), {
      backend: { multicluster: true, backoff: FAST_BACKOFF },
      seed: (fake) => (fake.serviceImportsInstalled = false),
    });
    expect(await h.backend.whenSynced(2000)).toBe(true);
    const content = await h.recorder.waitFor(() => true);
    expect(serviceKeys(content)).toEqual(['shop/web']);
    expect(h.backend.status()).toMatchObject({ synced: true, connected: true });
    expect(h.backend.status().kinds.serviceimports?.phase).toBe('absent');
    // Looked at again every FAST_BACKOFF.maxMs; the warning is not repeated.
    await new Promise((r) => setTimeout(r, 3 * FAST_BACKOFF.maxMs));
    expect(h.fake.countRequests('serviceimports', 'list', 404)).toBeGreaterThanOrEqual(2);
    const said = h.lines.filter((l) => String(l.msg).startsWith('ServiceImport is not installed'));
    expect(said.length).toBeGreaterThanOrEqual(2);
    const warnings = said.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      path: '/apis/multicluster.x-k8s.io/v1alpha1/serviceimports',
    });

    h.fake.serviceImportsInstalled = true;
    const installed = await h.recorder.waitFor((c) => serviceKeys(c).includes('+shop/db'));
    expect(serviceKeys(installed).sort()).toEqual(['+shop/db', '+shop/web', 'shop/web']);
    expect(endpointIPs(installed, '+shop/db')).toEqual(['10.1.0.1']);
    await eventually(() => h!.backend.status().kinds.serviceimports?.phase === 'watching');
  });

  it('rejects an imported slice without its source cluster by name, only where imports are read', async () => {
    const broken = importedSlice('shop', 'db', 'east', [{ ip: '10.1.0.2' }], [http], { suffix: 'broken' });
    delete (broken.metadata.labels as Record<string, string>)['multicluster.kubernetes.io/source-cluster'];
    const rejected = (lines: Harness['lines']) =>
      lines.filter((l) => l.level === 40 && String(l.object).includes('shop/db-broken'));

    h = await startHarness([...objects(), broken]);
    expect(await h.backend.whenSynced(2000)).toBe(true);
    expect(rejected(h.lines)).toEqual([]);
    await h.close();

    h = await startHarness([...objects(), broken], { backend: { multicluster: true } });
    expect(await h.backend.whenSynced(2000)).toBe(true);
    const content = await h.recorder.waitFor(() => true);
    expect(endpointIPs(content, '+shop/db')).toEqual(['10.1.0.1']);
    expect(rejected(h.lines)).toHaveLength(1);
    expect(rejected(h.lines)[0]!.problem).toMatch(/multicluster\.kubernetes\.io\/source-cluster/);
  });

  it('lists imports namespace by namespace with --namespaces', async () => {
    h = await startHarness(objects(), { backend: { multicluster: true, namespaces: ['shop'] } });
    expect(await h.backend.whenSynced(2000)).toBe(true);
    await h.recorder.waitFor((c) => serviceKeys(c).includes('+shop/db'));
    const paths = h.fake.requests.filter((r) => r.resource === 'serviceimports').map((r) => r.path);
    expect(new Set(paths)).toEqual(
      new Set(['/apis/multicluster.x-k8s.io/v1alpha1/namespaces/shop/serviceimports']),
    );
  });
});
