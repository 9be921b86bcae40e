// A small cluster for the resolver tests, written out by hand so the expectations can be checked
// against it line by line.
import { ClusterZoneResolver, type ClusterZoneResolverOptions } from '../../src/resolve/cluster/resolver.js';
import { DEFAULT_ZONES, ZoneSet } from '../../src/dns/zones.js';
import { ServiceTable } from '../../src/table/table.js';
import type { Endpoint, PortSpec, TableContent } from '../../src/table/types.js';

const http: PortSpec = { name: 'http', protocol: 'TCP', port: 80 };
const https: PortSpec = { name: 'https', protocol: 'TCP', port: 443 };

function ready(ip: string, ports: PortSpec[], hostname?: string): Endpoint {
  return { ip, ready: true, ports, ...(hostname ? { hostname } : {}) };
}

const grpc: PortSpec = { name: 'grpc', protocol: 'TCP', port: 9000 };

/** A ready endpoint placed on a node, in a topology zone (as an EndpointSlice places it). */
function placed(ip: string, hostname: string, nodeName: string, zone?: string): Endpoint {
  return { ...ready(ip, [grpc], hostname), nodeName, ...(zone ? { zone } : {}) };
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
      // Spread over zones, for zone-scoped names: two in us-east-1b, one in a zone with dots, one
      // with no zone, and a not-ready one alone in us-east-1c.
      namespace: 'shop',
      name: 'ledger',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      endpoints: [
        placed('10.244.5.1', 'ledger-0', 'node-a', 'us-east-1a'),
        placed('10.244.5.2', 'ledger-1', 'node-b', 'us-east-1b'),
        placed('10.244.5.3', 'ledger-2', 'node-c', 'us-east-1b'),
        placed('10.244.5.4', 'ledger-3', 'node-d', 'corp.example.com'),
        { ...placed('10.244.5.5', 'ledger-4', 'node-e', 'us-east-1c'), ready: false },
        placed('10.244.5.6', 'ledger-5', 'node-f'),
      ],
    },
    {
      // trafficDistribution PreferSameZone: clients in a zone with endpoints get those.
      namespace: 'shop',
      name: 'near',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      trafficDistribution: 'PreferSameZone',
      endpoints: [
        placed('10.244.6.1', 'near-0', 'node-a', 'us-east-1a'),
        placed('10.244.6.2', 'near-1', 'node-b', 'us-east-1b'),
        placed('10.244.6.3', 'near-2', 'node-c', 'us-east-1b'),
      ],
    },
    {
      // trafficDistribution PreferSameNode: the client's node, else its zone, else all.
      namespace: 'shop',
      name: 'local',
      type: 'Headless',
      clusterIPs: [],
      ports: [],
      trafficDistribution: 'PreferSameNode',
      endpoints: [
        placed('10.244.7.1', 'local-0', 'node-a', 'us-east-1a'),
        placed('10.244.7.2', 'local-1', 'node-b', 'us-east-1b'),
        placed('10.244.7.3', 'local-2', 'node-c', 'us-east-1b'),
      ],
    },
    {
      // A ClusterIP service's trafficDistribution is kube-proxy's business: DNS answers its VIP.
      namespace: 'shop',
      name: 'vip',
      type: 'ClusterIP',
      clusterIPs: ['10.96.10.70'],
      ports: [grpc],
      trafficDistribution: 'PreferSameZone',
      endpoints: [placed('10.244.8.1', 'vip-0', 'node-a', 'us-east-1a')],
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
    // Clients of topology-aware answers, placed as the backends place pods (their node's zone).
    { namespace: 'shop', name: 'client-a', ips: ['10.244.1.50'], nodeName: 'node-a', zone: 'us-east-1a' },
    { namespace: 'shop', name: 'client-c', ips: ['10.244.3.50'], nodeName: 'node-c', zone: 'us-east-1b' },
    { namespace: 'shop', name: 'client-d', ips: ['10.244.4.50'], nodeName: 'node-d', zone: 'us-east-1b' },
    { namespace: 'shop', name: 'client-x', ips: ['10.244.9.50'], nodeName: 'node-x', zone: 'us-east-1c' },
    { namespace: 'shop', name: 'client-unplaced', ips: ['10.244.9.60'] },
  ],
};

/**
 * The cluster zone over the resolver tests' fixture (or other `content`), as those tests configure
 * it, `options` apart.
 */
export function clusterOverFixture(
  clock?: () => number,
  options: Partial<ClusterZoneResolverOptions> = {},
  content: TableContent = fixture,
) {
  const table = new ServiceTable(clock);
  table.setContent('test', content);
  const cluster = new ClusterZoneResolver(table, {
    zones: ZoneSet.parse(DEFAULT_ZONES),
    ttl: 5,
    pods: 'disabled',
    ignoreEmptyService: false,
    nsAddresses: ['127.0.0.1'],
    ...options,
  });
  return { table, cluster };
}
