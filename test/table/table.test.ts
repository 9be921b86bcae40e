// The service table merging several backends' views: priority decides a service both define, the
// conflict is reported once while it lasts, and the merge copes with a very large view.

import { describe, expect, it } from 'vitest';
import { type Conflict, ServiceTable } from '../../src/table/table.js';
import type { Service, TableContent } from '../../src/table/types.js';

function clusterIp(namespace: string, name: string, ip: string): Service {
  return { namespace, name, type: 'ClusterIP', clusterIPs: [ip], ports: [], endpoints: [] };
}

function view(...services: Service[]): TableContent {
  return { namespaces: [...new Set(services.map((s) => s.namespace))], services, pods: [] };
}

describe('ServiceTable with several backends', () => {
  it('serves the first backend in priority order, whichever delivered first', () => {
    const table = new ServiceTable();
    table.reserve('kubernetes');
    table.reserve('etcd');
    table.setContent('etcd', view(clusterIp('shop', 'web', '10.0.0.2')));
    expect(table.current.service('shop', 'web')?.service.clusterIPs).toEqual(['10.0.0.2']);
    table.setContent('kubernetes', view(clusterIp('shop', 'web', '10.0.0.1')));
    expect(table.current.service('shop', 'web')?.service.clusterIPs).toEqual(['10.0.0.1']);
  });

  it('keeps the services only one backend defines from every backend', () => {
    const table = new ServiceTable();
    table.setContent('kubernetes', view(clusterIp('shop', 'web', '10.0.0.1')));
    table.setContent('nacos', view(clusterIp('spring', 'orders', '10.0.1.1')));
    expect(table.current.service('shop', 'web')).toBeDefined();
    expect(table.current.service('spring', 'orders')).toBeDefined();
    expect([...table.current.namespaces].sort()).toEqual(['shop', 'spring']);
  });

  it('reports a conflict once while it lasts, and again if it comes back', () => {
    const table = new ServiceTable();
    const conflicts: Conflict[] = [];
    table.onConflict((c) => conflicts.push(c));
    table.setContent('kubernetes', view(clusterIp('shop', 'web', '10.0.0.1')));
    table.setContent('etcd', view(clusterIp('shop', 'web', '10.0.0.2')));
    table.setContent('etcd', view(clusterIp('shop', 'web', '10.0.0.3')));
    expect(conflicts).toEqual([{ service: 'shop/web', served: 'kubernetes', ignored: 'etcd' }]);
    table.setContent('etcd', view());
    table.setContent('etcd', view(clusterIp('shop', 'web', '10.0.0.2')));
    expect(conflicts).toHaveLength(2);
  });

  it('merges a view of 150 000 services', () => {
    const table = new ServiceTable();
    const services = Array.from({ length: 150_000 }, (_, i) =>
      clusterIp('big', `s${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`),
    );
    table.setContent('kubernetes', view(...services.slice(0, 1)));
    table.setContent('etcd', { namespaces: ['big'], services, pods: [] });
    expect(table.current.counts.services).toBe(150_000);
  });
});
