// The built binary with --namespaces as a sidecar runs it: its identity holds a namespaced Role
// only (the API double answers 403 to anything else), so it must list and watch its namespace's
// own paths, never the cluster's, and take the namespace as existing without listing Namespaces.

import { afterEach, describe, expect, it } from 'vitest';
import { RunningServers } from '../../helpers/cli.js';
import { udpQuery } from '../../helpers/dns-client.js';
import { endpointSlice, namespace, service } from '../../helpers/manifests.js';
import { FakeApiServer } from './fake-apiserver.js';
import { pollUntil } from './helpers.js';

const servers = new RunningServers();
const serve = (args: string[]) => servers.serve(args);
/** A namespaced watch may take a while to settle on a loaded machine: 10 s. */
const settled = <T>(get: () => Promise<T>, done: (value: T) => boolean) => pollUntil(get, done, 10_000);
let fake: FakeApiServer | undefined;
afterEach(async () => {
  await servers.stopAll();
  await fake?.close();
  fake = undefined;
});

const http = { name: 'http', port: 80 };

function cluster(): Record<string, unknown>[] {
  return [
    namespace('default'),
    namespace('shop'),
    namespace('data'),
    service('default', 'kubernetes', { clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443 }] }),
    service('shop', 'web', { clusterIPs: ['10.96.45.10'], ports: [http] }),
    endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [http]),
    service('shop', 'cart', { headless: true, ports: [http] }),
    endpointSlice('shop', 'cart', [{ ip: '10.244.1.7' }], [http]),
    service('data', 'db', { clusterIPs: ['10.96.7.7'], ports: [{ name: 'postgres', port: 5432 }] }),
    // The same name in another namespace: only shop's may answer.
    service('data', 'web', { clusterIPs: ['10.96.7.8'], ports: [http] }),
  ];
}

describe('clusterdns --kubernetes --namespaces (a sidecar with a namespaced Role)', () => {
  it("lists and watches only shop's paths, answers shop, NXDOMAINs the rest, follows changes, relists on 410", async () => {
    fake = await FakeApiServer.start();
    for (const o of cluster()) fake.apply(o);
    fake.roleNamespaces = ['shop'];
    const port = await serve(['--kubernetes', fake.url, '--namespaces', 'shop', '--startup-timeout', '5s']);
    const ask = async (name: string, type = 'A') => (await udpQuery(port, name, type)).packet;
    const data = (packet: Awaited<ReturnType<typeof ask>>) => packet.answers.map((a) => a.data);

    const web = await settled(
      () => ask('web.shop.svc.cluster.local'),
      (p) => p.rcode === 'NOERROR',
    );
    expect(data(web)).toEqual(['10.96.45.10']);
    expect(data(await ask('cart.shop.svc.cluster.local'))).toEqual(['10.244.1.7']);
    // shop exists without its Namespace object having been read: NODATA, as for any namespace.
    const apex = await ask('shop.svc.cluster.local');
    expect([apex.rcode, apex.answers.length]).toEqual(['NOERROR', 0]);
    const rows: [string, string][] = [
      ['db.data.svc.cluster.local', 'NXDOMAIN'],
      ['web.data.svc.cluster.local', 'NXDOMAIN'],
      ['kubernetes.default.svc.cluster.local', 'NXDOMAIN'],
      ['data.svc.cluster.local', 'NXDOMAIN'],
      ['missing.shop.svc.cluster.local', 'NXDOMAIN'],
    ];
    for (const [name, rcode] of rows)
      expect({ name, rcode: (await ask(name)).rcode }).toEqual({ name, rcode });

    // A change in shop arrives through the watch; one in another namespace is never seen.
    fake.apply(service('shop', 'web', { clusterIPs: ['10.96.45.11'], ports: [http] }));
    fake.apply(service('shop', 'orders', { clusterIPs: ['10.96.45.20'], ports: [http] }));
    fake.apply(service('data', 'cache', { clusterIPs: ['10.96.7.9'], ports: [http] }));
    expect(
      data(
        await settled(
          () => ask('web.shop.svc.cluster.local'),
          (p) => data(p)[0] === '10.96.45.11',
        ),
      ),
    ).toEqual(['10.96.45.11']);
    expect(
      data(
        await settled(
          () => ask('orders.shop.svc.cluster.local'),
          (p) => p.rcode === 'NOERROR',
        ),
      ),
    ).toEqual(['10.96.45.20']);
    expect((await ask('cache.data.svc.cluster.local')).rcode).toBe('NXDOMAIN');

    // A change made while the API was away, whose history is then compacted: re-watching gets 410
    // Gone, and only a relist of shop's services can bring it.
    const before = fake.requests.length;
    await fake.stop();
    fake.apply(service('shop', 'web', { clusterIPs: ['10.96.45.12'], ports: [http] }));
    fake.compact();
    await fake.restart();
    expect(
      data(
        await settled(
          () => ask('web.shop.svc.cluster.local'),
          (p) => data(p)[0] === '10.96.45.12',
        ),
      ),
    ).toEqual(['10.96.45.12']);
    const after = fake.requests.slice(before);
    const gone = after.findIndex(
      (r) => r.path === '/api/v1/namespaces/shop/services' && r.verb === 'watch' && r.status === 410,
    );
    expect(gone).toBeGreaterThanOrEqual(0);
    expect(
      after
        .slice(gone)
        .some((r) => r.path === '/api/v1/namespaces/shop/services' && r.verb === 'list' && r.status === 200),
    ).toBe(true);

    // Never a cluster-wide list or watch, nor another namespace's: nothing was refused by the Role.
    const api = fake.requests.filter((r) => r.resource !== undefined);
    expect(new Set(api.map((r) => `${r.verb} ${r.path}`))).toEqual(
      new Set([
        'list /api/v1/namespaces/shop/services',
        'watch /api/v1/namespaces/shop/services',
        'list /apis/discovery.k8s.io/v1/namespaces/shop/endpointslices',
        'watch /apis/discovery.k8s.io/v1/namespaces/shop/endpointslices',
      ]),
    );
    expect(api.filter((r) => r.status === 403)).toEqual([]);
  });

  it('watches each listed namespace through its own paths, pods included with --pods verified', async () => {
    fake = await FakeApiServer.start();
    for (const o of cluster()) fake.apply(o);
    fake.roleNamespaces = ['shop', 'data'];
    const port = await serve(['--kubernetes', fake.url, '--namespaces', 'shop,data', '--pods', 'verified']);
    const ask = async (name: string) => (await udpQuery(port, name, 'A')).packet;
    const db = await settled(
      () => ask('db.data.svc.cluster.local'),
      (p) => p.rcode === 'NOERROR',
    );
    expect(db.answers.map((a) => a.data)).toEqual(['10.96.7.7']);
    expect((await ask('web.shop.svc.cluster.local')).answers.map((a) => a.data)).toEqual(['10.96.45.10']);
    expect((await ask('web.data.svc.cluster.local')).answers.map((a) => a.data)).toEqual(['10.96.7.8']);
    expect((await ask('kubernetes.default.svc.cluster.local')).rcode).toBe('NXDOMAIN');
    const lists = fake.requests.filter((r) => r.verb === 'list').map((r) => r.path);
    expect(new Set(lists)).toEqual(
      new Set(
        ['shop', 'data'].flatMap((ns) => [
          `/api/v1/namespaces/${ns}/services`,
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
          `/api/v1/namespaces/${ns}/pods`,
        ]),
      ),
    );
  });
});
