// What an answer of the cluster zone depends on, as the answer store asks it (answers/types.ts,
// DependencySource): the naming rule `<svc>.<ns>.svc.<zone>` belongs to the cluster zone alone.
import { describe, expect, it } from 'vitest';
import { clusterOverFixture } from './fixture.js';

const { table, cluster } = clusterOverFixture();
const web = table.current.service('shop', 'web');

describe('ClusterZoneResolver.dependsOn', () => {
  it.each([
    ['the service itself', 'web.shop.svc.cluster.local', web, 'cluster.local'],
    ['an SRV name below it, in any case', '_HTTP._tcp.Web.SHOP.svc.cluster.local', web, 'cluster.local'],
    ['an endpoint name below it', 'web-0.web.shop.svc.cluster.local', web, 'cluster.local'],
    [
      'a service that does not exist: the set of services',
      'nope.shop.svc.cluster.local',
      'membership',
      'cluster.local',
    ],
    ['a namespace name', 'shop.svc.cluster.local', 'table', 'cluster.local'],
    ['the apex', 'cluster.local', 'table', 'cluster.local'],
    ['a pod name', '10-0-0-1.shop.pod.cluster.local', 'table', 'cluster.local'],
    ['a reverse name', '1.0.0.10.in-addr.arpa', 'table', 'in-addr.arpa'],
    ['a name outside every zone', 'example.com', 'table', undefined],
  ])('%s', (_title, name, on, zone) => {
    expect(web).toBeDefined();
    const found = cluster.dependsOn(name, table.current);
    // The very index entry: the store's answer stays valid while the index has not retired it.
    expect(found.on).toBe(on);
    expect(found.zone).toBe(zone);
  });
});
