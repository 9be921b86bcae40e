// A small cluster for the resolver tests, written out by hand so the expectations can be checked
// against it line by line.
import { ClusterZoneResolver } from '../../src/resolve/cluster/resolver.js';
import { DEFAULT_ZONES, ZoneSet } from '../../src/dns/zones.js';
import { ServiceTable } from '../../src/table/table.js';
import type { Endpoint, PortSpec, TableContent } from '../../src/table/types.js';

const http: PortSpec = { name: 'http', protocol: 'TCP', port: 80 };
const https: PortSpec = { name: 'https', protocol: 'TCP', port: 443 };

function ready(ip: string, ports: PortSpec[], hostname?: string): Endpoint {
  return { ip, ready: true, ports, ...(hostname ? { hostname } : {}) };
}

export const fixture: TableContent = {
  namespaces: ['default', 'shop', 'empty-ns', 'hidden'],
  services: [
    {
      namespace: 'default',
      name: 'kubernetes',
      type: 'ClusterIP',
      clusterIPs: ['10.96.0.1'],
      ports: [https],
      endpoints: [ready('172.18.0.2', [{ name: 'https', protocol: 'TCP', port: 6443 }])],
    },
    {
      namespace: 'shop',
      name: 'web',
      type: 'ClusterIP',
      clusterIPs: ['10.96.10.10'],
      ports: [http, https, { name: '', protocol: 'TCP', port: 8080 }],
      endpoints: [
        ready('10.244.1.5', [http]),
        ready('10.244.2.6', [http]),
        { ip: '10.244.3.7', ready: false, ports: [http] },
      ],
    },
    {
      namespace: 'shop',
      name: 'dual',
      type: 'ClusterIP',
      clusterIPs: ['10.96.10.20', 'fd00:10:96::20'],
      ports: [http],
      endpoints: [],
    },
    {
      namespace: 'shop',
      name: 'db',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      endpoints: [
        ready(
          '10.244.1.10',
          [
            { name: 'postgres', protocol: 'TCP', port: 5432 },
            { name: 'metrics', protocol: 'TCP', port: 9187 },
          ],
          'db-0',
        ),
        ready(
          '10.244.2.11',
          [
            { name: 'postgres', protocol: 'TCP', port: 5432 },
            { name: 'metrics', protocol: 'TCP', port: 9187 },
          ],
          'db-1',
        ),
        {
          ip: '10.244.3.12',
          hostname: 'db-2',
          ready: false,
          ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
        },
      ],
    },
    {
      namespace: 'shop',
      name: 'cache',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      endpoints: [ready('fd00:10:244:1::10', [{ name: 'redis', protocol: 'TCP', port: 6379 }])],
    },
    {
      namespace: 'shop',
      name: 'empty',
      type: 'ClusterIP',
      clusterIPs: ['10.96.10.30'],
      ports: [http],
      endpoints: [],
    },
    {
      namespace: 'shop',
      name: 'gone',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      endpoints: [{ ip: '10.244.3.13', ready: false, ports: [http] }],
    },
    {
      namespace: 'shop',
      name: 'search',
      type: 'ExternalName',
      clusterIPs: [],
      externalName: 'www.example.com',
      ports: [],
      endpoints: [],
    },
    {
      namespace: 'shop',
      name: 'alias',
      type: 'ExternalName',
      clusterIPs: [],
      externalName: 'web.shop.svc.cluster.local',
      ports: [],
      endpoints: [],
    },
    {
      namespace: 'shop',
      name: 'dangling',
      type: 'ExternalName',
      clusterIPs: [],
      externalName: 'nope.shop.svc.cluster.local',
      ports: [],
      endpoints: [],
    },
    {
      namespace: 'shop',
      name: 'dns',
      type: 'ClusterIP',
      clusterIPs: ['10.96.10.53'],
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53 },
      ],
      endpoints: [],
    },
    {
      // Selects the same pod as web: its address has a PTR under both services.
      namespace: 'shop',
      name: 'web-canary',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      endpoints: [ready('10.244.1.5', [http])],
    },
    {
      namespace: 'hidden',
      name: 'secret',
      type: 'ClusterIP',
      clusterIPs: ['10.96.99.1'],
      ports: [http],
      endpoints: [],
    },
  ],
  pods: [
    { namespace: 'shop', name: 'web-0', ips: ['10.244.1.5'] },
    { namespace: 'shop', name: 'cache-0', ips: ['fd00:10:244:1::10'] },
  ],
};

/** The cluster zone over the resolver tests' fixture, as those tests configure it. */
export function clusterOverFixture(clock?: () => number) {
  const table = new ServiceTable(clock);
  table.setContent('test', fixture);
  const cluster = new ClusterZoneResolver(table, {
    zones: ZoneSet.parse(DEFAULT_ZONES),
    ttl: 5,
    pods: 'disabled',
    ignoreEmptyService: false,
    nsAddresses: ['127.0.0.1'],
  });
  return { table, cluster };
}
