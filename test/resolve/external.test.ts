// k8s_external as a chain link: the cases of CoreDNS's plugin/k8s_external/external_test.go and
// apex_test.go (their services, the zone example.com, headless on), then what the options change.
import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type ResourceRecord } from '../../src/dns/types.js';
import { ExternalZoneResolver, type ExternalZoneOptions } from '../../src/resolve/external/external.js';
import { ServiceTable } from '../../src/table/table.js';
import type { PortSpec, TableContent } from '../../src/table/types.js';

const http: PortSpec = { name: 'http', protocol: 'TCP', port: 80 };

const cluster: TableContent = {
  namespaces: ['testns', 'hidden'],
  services: [
    {
      namespace: 'testns',
      name: 'svc1',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.1'],
      externalIPs: ['1.2.3.4'],
      ports: [http],
      endpoints: [],
    },
    {
      namespace: 'testns',
      name: 'svc6',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.3'],
      externalIPs: ['1:2::5'],
      ports: [http],
      endpoints: [],
    },
    // A LoadBalancer: its ingress IP comes after its externalIPs (none here).
    {
      namespace: 'testns',
      name: 'svc11',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.3'],
      externalIPs: ['2.3.4.5'],
      ports: [http],
      endpoints: [],
    },
    {
      namespace: 'testns',
      name: 'svc-headless',
      type: 'Headless',
      clusterIPs: [],
      ports: [http],
      endpoints: [
        { ip: '1.2.3.4', hostname: 'endpoint-svc-0', ready: true, ports: [http] },
        { ip: '1.2.3.5', hostname: 'endpoint-svc-1', ready: true, ports: [http] },
        { ip: '1.2.3.6', hostname: 'endpoint-svc-2', ready: false, ports: [http] },
      ],
    },
    // Beyond CoreDNS's table: dual-stack with a repeated address, no ports, no external address.
    {
      namespace: 'testns',
      name: 'dual',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.4'],
      externalIPs: ['192.0.2.1', '2001:db8::1', '192.0.2.1'],
      ports: [http, { name: 'dns', protocol: 'UDP', port: 53 }],
      endpoints: [],
    },
    {
      namespace: 'testns',
      name: 'noports',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.5'],
      externalIPs: ['192.0.2.2'],
      ports: [],
      endpoints: [],
    },
    {
      namespace: 'testns',
      name: 'internal',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.6'],
      ports: [http],
      endpoints: [{ ip: '10.244.0.6', ready: true, ports: [http] }],
    },
    {
      namespace: 'hidden',
      name: 'svc1',
      type: 'ClusterIP',
      clusterIPs: ['10.0.0.7'],
      externalIPs: ['192.0.2.7'],
      ports: [http],
      endpoints: [],
    },
  ],
  pods: [],
};

function setup(options: Partial<ExternalZoneOptions> = {}) {
  const table = new ServiceTable(() => 1_700_000_000_000);
  table.setContent('test', cluster);
  const resolver = new ExternalZoneResolver(table, {
    zones: ['example.com'],
    apex: 'dns',
    ttl: 5,
    headless: true,
    namespaces: new Set(['testns']),
    nsAddresses: ['127.0.0.1'],
    ...options,
  });
  return { table, resolver };
}

function show(record: ResourceRecord): string {
  const data = record.data;
  const rdata =
    data.type === 'A' || data.type === 'AAAA'
      ? data.address
      : data.type === 'NS'
        ? data.target
        : data.type === 'SRV'
          ? `${data.priority} ${data.weight} ${data.port} ${data.target}`
          : data.type === 'SOA'
            ? `${data.mname} ${data.rname} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`
            : JSON.stringify(data);
  return `${record.name} ${record.ttl} ${data.type} ${rdata}`;
}

/** rcode, then answer, authority and additional records, as dig would list them. */
function summary(answer: Answer | undefined): string[] {
  if (answer === undefined) return ['next'];
  expect(answer.authoritative).toBe(answer.rcode !== Rcode.REFUSED);
  const rcode = Object.entries(Rcode).find(([, code]) => code === answer.rcode)![0];
  return [
    rcode,
    ...answer.answers.map(show),
    ...answer.authority.map((r) => `auth ${show(r)}`),
    ...answer.additional.map((r) => `extra ${show(r)}`),
  ];
}

const SOA = 'auth example.com 5 SOA ns1.dns.example.com hostmaster.dns.example.com 7200 1800 86400 5';

type Row = [name: string, type: keyof typeof RRType, expected: string[]];

const cases: Record<string, Row[]> = {
  'external IPs (external_test.go)': [
    ['svc1.testns.example.com', 'A', ['NOERROR', 'svc1.testns.example.com 5 A 1.2.3.4']],
    [
      'svc1.testns.example.com',
      'SRV',
      [
        'NOERROR',
        'svc1.testns.example.com 5 SRV 0 100 80 svc1.testns.example.com',
        'extra svc1.testns.example.com 5 A 1.2.3.4',
      ],
    ],
    ['*._not-udp-or-tcp.svc1.testns.example.com', 'SRV', ['NXDOMAIN', SOA]],
    [
      '_http._tcp.svc1.testns.example.com',
      'SRV',
      [
        'NOERROR',
        '_http._tcp.svc1.testns.example.com 5 SRV 0 100 80 svc1.testns.example.com',
        'extra svc1.testns.example.com 5 A 1.2.3.4',
      ],
    ],
    ['svc1.testns.example.com', 'AAAA', ['NOERROR', SOA]],
    ['svc0.testns.example.com', 'AAAA', ['NXDOMAIN', SOA]],
    ['svc0.testns.example.com', 'A', ['NXDOMAIN', SOA]],
    ['svc0.svc-nons.example.com', 'A', ['NXDOMAIN', SOA]],
    ['svc6.testns.example.com', 'AAAA', ['NOERROR', 'svc6.testns.example.com 5 AAAA 1:2::5']],
    [
      '_http._tcp.svc6.testns.example.com',
      'SRV',
      [
        'NOERROR',
        '_http._tcp.svc6.testns.example.com 5 SRV 0 100 80 svc6.testns.example.com',
        'extra svc6.testns.example.com 5 AAAA 1:2::5',
      ],
    ],
    ['testns.example.com', 'A', ['NOERROR', SOA]],
    ['testns.example.com', 'SOA', ['NOERROR', SOA]],
    ['svc11.testns.example.com', 'A', ['NOERROR', 'svc11.testns.example.com 5 A 2.3.4.5']],
    [
      'svc11.testns.example.com',
      'SRV',
      [
        'NOERROR',
        'svc11.testns.example.com 5 SRV 0 100 80 svc11.testns.example.com',
        'extra svc11.testns.example.com 5 A 2.3.4.5',
      ],
    ],
  ],
  'headless (external_test.go)': [
    [
      'svc-headless.testns.example.com',
      'A',
      [
        'NOERROR',
        'svc-headless.testns.example.com 5 A 1.2.3.4',
        'svc-headless.testns.example.com 5 A 1.2.3.5',
      ],
    ],
    [
      'svc-headless.testns.example.com',
      'SRV',
      [
        'NOERROR',
        'svc-headless.testns.example.com 5 SRV 0 50 80 endpoint-svc-0.svc-headless.testns.example.com',
        'svc-headless.testns.example.com 5 SRV 0 50 80 endpoint-svc-1.svc-headless.testns.example.com',
        'extra endpoint-svc-0.svc-headless.testns.example.com 5 A 1.2.3.4',
        'extra endpoint-svc-1.svc-headless.testns.example.com 5 A 1.2.3.5',
      ],
    ],
    [
      '_http._tcp.svc-headless.testns.example.com',
      'SRV',
      [
        'NOERROR',
        '_http._tcp.svc-headless.testns.example.com 5 SRV 0 50 80 endpoint-svc-0.svc-headless.testns.example.com',
        '_http._tcp.svc-headless.testns.example.com 5 SRV 0 50 80 endpoint-svc-1.svc-headless.testns.example.com',
        'extra endpoint-svc-0.svc-headless.testns.example.com 5 A 1.2.3.4',
        'extra endpoint-svc-1.svc-headless.testns.example.com 5 A 1.2.3.5',
      ],
    ],
    [
      'endpoint-svc-0.svc-headless.testns.example.com',
      'SRV',
      [
        'NOERROR',
        'endpoint-svc-0.svc-headless.testns.example.com 5 SRV 0 100 80 endpoint-svc-0.svc-headless.testns.example.com',
        'extra endpoint-svc-0.svc-headless.testns.example.com 5 A 1.2.3.4',
      ],
    ],
    [
      'endpoint-svc-1.svc-headless.testns.example.com',
      'A',
      ['NOERROR', 'endpoint-svc-1.svc-headless.testns.example.com 5 A 1.2.3.5'],
    ],
    // Not ready: not served (CoreDNS reads only an Endpoints' ready addresses).
    ['endpoint-svc-2.svc-headless.testns.example.com', 'A', ['NXDOMAIN', SOA]],
  ],
  'apex (apex_test.go)': [
    [
      'example.com',
      'SOA',
      ['NOERROR', 'example.com 5 SOA ns1.dns.example.com hostmaster.dns.example.com 7200 1800 86400 5'],
    ],
    [
      'example.com',
      'NS',
      ['NOERROR', 'example.com 5 NS ns1.dns.example.com', 'extra ns1.dns.example.com 5 A 127.0.0.1'],
    ],
    ['example.com', 'SRV', ['NOERROR', SOA]],
    ['dns.example.com', 'SRV', ['NOERROR', SOA]],
    ['dns.example.com', 'NS', ['NOERROR', SOA]],
    ['ns1.dns.example.com', 'SRV', ['NOERROR', SOA]],
    ['ns1.dns.example.com', 'NS', ['NOERROR', SOA]],
    ['ns1.dns.example.com', 'AAAA', ['NOERROR', SOA]],
    ['ns1.dns.example.com', 'A', ['NOERROR', 'ns1.dns.example.com 5 A 127.0.0.1']],
    ['ns2.dns.example.com', 'A', ['NXDOMAIN', SOA]],
    ['a.ns1.dns.example.com', 'A', ['NXDOMAIN', SOA]],
  ],
  'beyond the Go tables': [
    // Each address once per answer; the SRV weight splits 100 over address × port candidates.
    ['dual.testns.example.com', 'A', ['NOERROR', 'dual.testns.example.com 5 A 192.0.2.1']],
    ['Dual.TestNS.Example.COM', 'AAAA', ['NOERROR', 'Dual.TestNS.Example.COM 5 AAAA 2001:db8::1']],
    [
      '_dns._udp.dual.testns.example.com',
      'SRV',
      [
        'NOERROR',
        '_dns._udp.dual.testns.example.com 5 SRV 0 33 53 dual.testns.example.com',
        'extra dual.testns.example.com 5 A 192.0.2.1',
        'extra dual.testns.example.com 5 AAAA 2001:db8::1',
      ],
    ],
    ['_dns._tcp.dual.testns.example.com', 'SRV', ['NXDOMAIN', SOA]],
    ['dual.testns.example.com', 'TXT', ['NOERROR', SOA]],
    // No ports: the addresses stand, there is no SRV record.
    ['noports.testns.example.com', 'A', ['NOERROR', 'noports.testns.example.com 5 A 192.0.2.2']],
    ['noports.testns.example.com', 'SRV', ['NOERROR', SOA]],
    ['_http._tcp.noports.testns.example.com', 'SRV', ['NXDOMAIN', SOA]],
    // A service without an external address is not reachable from outside: no name here.
    ['internal.testns.example.com', 'A', ['NXDOMAIN', SOA]],
    // No endpoint names below a service that is served by its external addresses.
    ['x.svc1.testns.example.com', 'A', ['NXDOMAIN', SOA]],
    ['a.b.c.svc1.testns.example.com', 'A', ['NXDOMAIN', SOA]],
    // A namespace left out by `kubernetes namespaces` does not exist here either.
    ['svc1.hidden.example.com', 'A', ['NXDOMAIN', SOA]],
    // The SOA's owner keeps the question's case.
    [
      'svc0.testns.EXAMPLE.com',
      'A',
      ['NXDOMAIN', 'auth EXAMPLE.com 5 SOA ns1.dns.EXAMPLE.com hostmaster.dns.EXAMPLE.com 7200 1800 86400 5'],
    ],
    ['svc1.testns.cluster.local', 'A', ['next']],
    ['example.org', 'A', ['next']],
  ],
};

describe('k8s_external', () => {
  const { resolver } = setup();
  for (const [group, rows] of Object.entries(cases)) {
    describe(group, () => {
      it.each(rows)('%s %s', (name, type, expected) => {
        expect(summary(resolver.resolve({ name, type: RRType[type], class: RRClass.IN }))).toEqual(expected);
      });
    });
  }

  it('writes the table version as the SOA serial', () => {
    const { resolver: own, table } = setup();
    const answer = own.resolve({ name: 'example.com', type: RRType.SOA, class: RRClass.IN });
    expect(answer?.answers[0]?.data).toMatchObject({ type: 'SOA', serial: table.current.version });
  });

  it.each<[string, Partial<ExternalZoneOptions>, string, keyof typeof RRType, string[]]>([
    // Without headless a headless service has no external name.
    ['headless off', { headless: false }, 'svc-headless.testns.example.com', 'A', ['NXDOMAIN', SOA]],
    [
      'ttl 300',
      { ttl: 300 },
      'svc1.testns.example.com',
      'A',
      ['NOERROR', 'svc1.testns.example.com 300 A 1.2.3.4'],
    ],
    [
      'apex ext',
      { apex: 'ext' },
      'example.com',
      'NS',
      ['NOERROR', 'example.com 5 NS ns1.ext.example.com', 'extra ns1.ext.example.com 5 A 127.0.0.1'],
    ],
    [
      'apex ext: dns is a namespace now',
      { apex: 'ext' },
      'ns1.dns.example.com',
      'A',
      ['NXDOMAIN', 'auth example.com 5 SOA ns1.ext.example.com hostmaster.ext.example.com 7200 1800 86400 5'],
    ],
    [
      'every namespace',
      { namespaces: undefined },
      'svc1.hidden.example.com',
      'A',
      ['NOERROR', 'svc1.hidden.example.com 5 A 192.0.2.7'],
    ],
    [
      'two zones: the longest holds the name',
      { zones: ['example.com', 'ext.example.com'] },
      'svc1.testns.ext.example.com',
      'A',
      ['NOERROR', 'svc1.testns.ext.example.com 5 A 1.2.3.4'],
    ],
  ])('%s', (_title, options, name, type, expected) => {
    const { resolver: own } = setup(options);
    expect(summary(own.resolve({ name, type: RRType[type], class: RRClass.IN }))).toEqual(expected);
  });

  it('answers SERVFAIL, not NXDOMAIN, for a missing name before the registries have synced', () => {
    const table = new ServiceTable();
    table.expectBackend('kubernetes');
    const resolver = new ExternalZoneResolver(table, {
      zones: ['example.com'],
      apex: 'dns',
      ttl: 5,
      headless: false,
      nsAddresses: [],
    });
    expect(
      summary(resolver.resolve({ name: 'svc1.testns.example.com', type: RRType.A, class: RRClass.IN })),
    ).toEqual(['SERVFAIL', SOA]);
  });

  it('refuses a class other than IN', () => {
    expect(
      summary(resolver.resolve({ name: 'svc1.testns.example.com', type: RRType.A, class: RRClass.CH })),
    ).toEqual(['REFUSED']);
  });
});
