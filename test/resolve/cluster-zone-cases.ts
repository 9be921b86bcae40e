// The cluster zone's question-and-answer table: every case the resolver tests check, shared with
// the test that answers each one through both the precompiled and the general path.
import type { RRType, Rcode } from '../../src/dns/types.js';

export interface Expected {
  rcode: keyof typeof Rcode;
  answer?: string[];
  /** The owner of the SOA expected alone in the authority section. */
  soa?: string;
  additional?: string[];
}

export type Case = [name: string, type: keyof typeof RRType, expected: Expected];

const Z = 'cluster.local';
export const negative = (rcode: 'NXDOMAIN' | 'NOERROR' | 'SERVFAIL', soa = Z): Expected => ({ rcode, soa });
/** An answer of A records at `name`, in order. */
const addresses = (name: string, ...ips: string[]): Expected => ({
  rcode: 'NOERROR',
  answer: ips.map((ip) => `${name} 5 A ${ip}`),
});
const LEDGER = 'ledger.shop.svc.cluster.local';
const pin = (zone: string, service = LEDGER) => `${zone}.pin._zone.${service}`;
const prefer = (zone: string, service = LEDGER) => `${zone}.prefer._zone.${service}`;
const NEAR = 'near.shop.svc.cluster.local';
const LOCAL = 'local.shop.svc.cluster.local';

export const cases: Record<string, Case[]> = {
  'ClusterIP services': [
    [
      'web.shop.svc.cluster.local',
      'A',
      { rcode: 'NOERROR', answer: ['web.shop.svc.cluster.local 5 A 10.96.10.10'] },
    ],
    ['web.shop.svc.cluster.local', 'AAAA', negative('NOERROR')],
    ['web.shop.svc.cluster.local', 'TXT', negative('NOERROR')],
    ['web.shop.svc.cluster.local', 'MX', negative('NOERROR')],
    ['web.shop.svc.cluster.local', 'SOA', negative('NOERROR')],
    [
      'dual.shop.svc.cluster.local',
      'A',
      { rcode: 'NOERROR', answer: ['dual.shop.svc.cluster.local 5 A 10.96.10.20'] },
    ],
    [
      'dual.shop.svc.cluster.local',
      'AAAA',
      { rcode: 'NOERROR', answer: ['dual.shop.svc.cluster.local 5 AAAA fd00:10:96::20'] },
    ],
    // Answered with no endpoints at all, unless --ignore-empty-service.
    [
      'empty.shop.svc.cluster.local',
      'A',
      { rcode: 'NOERROR', answer: ['empty.shop.svc.cluster.local 5 A 10.96.10.30'] },
    ],
    ['nope.shop.svc.cluster.local', 'A', negative('NXDOMAIN')],
    ['web.nope.svc.cluster.local', 'A', negative('NXDOMAIN')],
  ],
  'headless services and endpoint names': [
    [
      'db.shop.svc.cluster.local',
      'A',
      {
        rcode: 'NOERROR',
        answer: ['db.shop.svc.cluster.local 5 A 10.244.1.10', 'db.shop.svc.cluster.local 5 A 10.244.2.11'],
      },
    ],
    ['db.shop.svc.cluster.local', 'AAAA', negative('NOERROR')],
    [
      'cache.shop.svc.cluster.local',
      'AAAA',
      { rcode: 'NOERROR', answer: ['cache.shop.svc.cluster.local 5 AAAA fd00:10:244:1::10'] },
    ],
    ['gone.shop.svc.cluster.local', 'A', negative('NXDOMAIN')], // spec §2.4.1: no ready endpoints
    ['gone.shop.svc.cluster.local', 'SRV', negative('NXDOMAIN')],
    [
      'db-0.db.shop.svc.cluster.local',
      'A',
      { rcode: 'NOERROR', answer: ['db-0.db.shop.svc.cluster.local 5 A 10.244.1.10'] },
    ],
    ['db-0.db.shop.svc.cluster.local', 'AAAA', negative('NOERROR')],
    ['db-2.db.shop.svc.cluster.local', 'A', negative('NXDOMAIN')], // not ready
    ['db-9.db.shop.svc.cluster.local', 'A', negative('NXDOMAIN')],
    // Without a hostname an endpoint is its dashed IP; IPv6 `::` becomes `--`.
    [
      'fd00-10-244-1--10.cache.shop.svc.cluster.local',
      'AAAA',
      {
        rcode: 'NOERROR',
        answer: ['fd00-10-244-1--10.cache.shop.svc.cluster.local 5 AAAA fd00:10:244:1::10'],
      },
    ],
    // Endpoint names exist below ClusterIP services too, as CoreDNS answers them.
    [
      '10-244-1-5.web.shop.svc.cluster.local',
      'A',
      { rcode: 'NOERROR', answer: ['10-244-1-5.web.shop.svc.cluster.local 5 A 10.244.1.5'] },
    ],
    ['10-244-3-7.web.shop.svc.cluster.local', 'A', negative('NXDOMAIN')],
  ],
  'SRV records': [
    [
      '_http._tcp.web.shop.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: ['_http._tcp.web.shop.svc.cluster.local 5 SRV 0 100 80 web.shop.svc.cluster.local'],
        additional: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
      },
    ],
    // A bare SRV query returns every port, the unnamed one included; N = 3 candidates → weight 33.
    [
      'web.shop.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: [
          'web.shop.svc.cluster.local 5 SRV 0 33 80 web.shop.svc.cluster.local',
          'web.shop.svc.cluster.local 5 SRV 0 33 443 web.shop.svc.cluster.local',
          'web.shop.svc.cluster.local 5 SRV 0 33 8080 web.shop.svc.cluster.local',
        ],
        additional: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
      },
    ],
    // Dual-stack: two addresses make N = 2, so weight 50, and the duplicate target is removed.
    [
      '_http._tcp.dual.shop.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: ['_http._tcp.dual.shop.svc.cluster.local 5 SRV 0 50 80 dual.shop.svc.cluster.local'],
        additional: [
          'dual.shop.svc.cluster.local 5 A 10.96.10.20',
          'dual.shop.svc.cluster.local 5 AAAA fd00:10:96::20',
        ],
      },
    ],
    [
      '_postgres._tcp.db.shop.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: [
          '_postgres._tcp.db.shop.svc.cluster.local 5 SRV 0 50 5432 db-0.db.shop.svc.cluster.local',
          '_postgres._tcp.db.shop.svc.cluster.local 5 SRV 0 50 5432 db-1.db.shop.svc.cluster.local',
        ],
        additional: [
          'db-0.db.shop.svc.cluster.local 5 A 10.244.1.10',
          'db-1.db.shop.svc.cluster.local 5 A 10.244.2.11',
        ],
      },
    ],
    [
      'db.shop.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: [
          'db.shop.svc.cluster.local 5 SRV 0 25 5432 db-0.db.shop.svc.cluster.local',
          'db.shop.svc.cluster.local 5 SRV 0 25 9187 db-0.db.shop.svc.cluster.local',
          'db.shop.svc.cluster.local 5 SRV 0 25 5432 db-1.db.shop.svc.cluster.local',
          'db.shop.svc.cluster.local 5 SRV 0 25 9187 db-1.db.shop.svc.cluster.local',
        ],
        additional: [
          'db-0.db.shop.svc.cluster.local 5 A 10.244.1.10',
          'db-1.db.shop.svc.cluster.local 5 A 10.244.2.11',
        ],
      },
    ],
    [
      '_dns._udp.dns.shop.svc.cluster.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: ['_dns._udp.dns.shop.svc.cluster.local 5 SRV 0 100 53 dns.shop.svc.cluster.local'],
        additional: ['dns.shop.svc.cluster.local 5 A 10.96.10.53'],
      },
    ],
    ['_http._udp.web.shop.svc.cluster.local', 'SRV', negative('NXDOMAIN')],
    ['_nope._tcp.web.shop.svc.cluster.local', 'SRV', negative('NXDOMAIN')],
    ['_http._tcp.web.shop.svc.cluster.local', 'A', negative('NOERROR')],
    // `_tcp.<svc>` is an empty non-terminal above `_http._tcp.<svc>`: NODATA, not NXDOMAIN (RFC 8020).
    ['_tcp.web.shop.svc.cluster.local', 'SRV', negative('NOERROR')],
    ['_udp.web.shop.svc.cluster.local', 'SRV', negative('NXDOMAIN')],
    ['a.b.c.web.shop.svc.cluster.local', 'A', negative('NXDOMAIN')],
  ],
  'PTR records': [
    [
      '10.10.96.10.in-addr.arpa',
      'PTR',
      { rcode: 'NOERROR', answer: ['10.10.96.10.in-addr.arpa 5 PTR web.shop.svc.cluster.local'] },
    ],
    // An endpoint address gives one PTR per service that has it.
    [
      '5.1.244.10.in-addr.arpa',
      'PTR',
      {
        rcode: 'NOERROR',
        answer: [
          '5.1.244.10.in-addr.arpa 5 PTR 10-244-1-5.web.shop.svc.cluster.local',
          '5.1.244.10.in-addr.arpa 5 PTR 10-244-1-5.web-canary.shop.svc.cluster.local',
        ],
      },
    ],
    [
      '10.1.244.10.in-addr.arpa',
      'PTR',
      { rcode: 'NOERROR', answer: ['10.1.244.10.in-addr.arpa 5 PTR db-0.db.shop.svc.cluster.local'] },
    ],
    [
      '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa',
      'PTR',
      {
        rcode: 'NOERROR',
        answer: [
          '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa 5 PTR dual.shop.svc.cluster.local',
        ],
      },
    ],
    ['12.3.244.10.in-addr.arpa', 'PTR', negative('NXDOMAIN', 'in-addr.arpa')], // not ready
    ['9.9.9.9.in-addr.arpa', 'PTR', negative('NXDOMAIN', 'in-addr.arpa')],
    ['10.10.96.10.in-addr.arpa', 'A', negative('NOERROR', 'in-addr.arpa')],
    ['96.10.in-addr.arpa', 'PTR', negative('NOERROR', 'in-addr.arpa')], // empty non-terminal
    ['77.10.in-addr.arpa', 'PTR', negative('NXDOMAIN', 'in-addr.arpa')],
    ['1.10.10.96.10.in-addr.arpa', 'PTR', negative('NXDOMAIN', 'in-addr.arpa')],
    ['300.10.96.10.in-addr.arpa', 'PTR', negative('NXDOMAIN', 'in-addr.arpa')],
    ['d.f.ip6.arpa', 'PTR', negative('NOERROR', 'ip6.arpa')],
    ['e.f.ip6.arpa', 'PTR', negative('NXDOMAIN', 'ip6.arpa')],
  ],
  ExternalName: [
    [
      'search.shop.svc.cluster.local',
      'A',
      { rcode: 'NOERROR', answer: ['search.shop.svc.cluster.local 5 CNAME www.example.com'] },
    ],
    [
      'search.shop.svc.cluster.local',
      'CNAME',
      { rcode: 'NOERROR', answer: ['search.shop.svc.cluster.local 5 CNAME www.example.com'] },
    ],
    ['search.shop.svc.cluster.local', 'SRV', negative('NOERROR')],
    ['www.search.shop.svc.cluster.local', 'A', negative('NXDOMAIN')],
    ['_http._tcp.search.shop.svc.cluster.local', 'SRV', negative('NXDOMAIN')],
    // A target inside the zone is chased.
    [
      'alias.shop.svc.cluster.local',
      'A',
      {
        rcode: 'NOERROR',
        answer: [
          'alias.shop.svc.cluster.local 5 CNAME web.shop.svc.cluster.local',
          'web.shop.svc.cluster.local 5 A 10.96.10.10',
        ],
      },
    ],
    // ... and when it does not exist, the final rcode is its NXDOMAIN (RFC 6604).
    [
      'dangling.shop.svc.cluster.local',
      'A',
      {
        rcode: 'NXDOMAIN',
        answer: ['dangling.shop.svc.cluster.local 5 CNAME nope.shop.svc.cluster.local'],
        soa: Z,
      },
    ],
  ],
  'apex, schema version and structure': [
    [
      'dns-version.cluster.local',
      'TXT',
      { rcode: 'NOERROR', answer: ['dns-version.cluster.local 28800 TXT "1.1.0"'] },
    ],
    ['dns-version.cluster.local', 'A', negative('NOERROR')],
    [
      'cluster.local',
      'SOA',
      {
        rcode: 'NOERROR',
        answer: [
          'cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local SERIAL 7200 1800 86400 5',
        ],
      },
    ],
    [
      'cluster.local',
      'NS',
      {
        rcode: 'NOERROR',
        answer: ['cluster.local 5 NS ns.dns.cluster.local'],
        additional: ['ns.dns.cluster.local 5 A 127.0.0.1'],
      },
    ],
    ['ns.dns.cluster.local', 'A', { rcode: 'NOERROR', answer: ['ns.dns.cluster.local 5 A 127.0.0.1'] }],
    ['ns.dns.cluster.local', 'AAAA', negative('NOERROR')],
    ['cluster.local', 'A', negative('NOERROR')],
    ['svc.cluster.local', 'A', negative('NOERROR')],
    ['pod.cluster.local', 'A', negative('NOERROR')],
    ['shop.svc.cluster.local', 'A', negative('NOERROR')],
    ['empty-ns.svc.cluster.local', 'A', negative('NOERROR')],
    ['nope.svc.cluster.local', 'A', negative('NXDOMAIN')],
    ['foo.cluster.local', 'A', negative('NXDOMAIN')],
    ['web.shop.foo.cluster.local', 'A', negative('NXDOMAIN')],
    ['web.shop.svc.cluster.local', 'NS', negative('NOERROR')],
    [
      'in-addr.arpa',
      'SOA',
      {
        rcode: 'NOERROR',
        answer: ['in-addr.arpa 5 SOA ns.dns.in-addr.arpa hostmaster.in-addr.arpa SERIAL 7200 1800 86400 5'],
      },
    ],
  ],
  // Without zonal the shape is a name four labels too long, as it always was (CoreDNS README).
  'zone-scoped names without zonal': [
    [pin('us-east-1a'), 'A', negative('NXDOMAIN')],
    [prefer('us-east-1a'), 'A', negative('NXDOMAIN')],
  ],
  // Without topology awareness every client gets every ready endpoint (this table asks with no client).
  'trafficDistribution without topology awareness': [
    [NEAR, 'A', addresses(NEAR, '10.244.6.1', '10.244.6.2', '10.244.6.3')],
    ['vip.shop.svc.cluster.local', 'A', addresses('vip.shop.svc.cluster.local', '10.96.10.70')],
  ],
  'pods disabled (the default)': [
    ['10-244-1-5.shop.pod.cluster.local', 'A', negative('NXDOMAIN')],
    ['shop.pod.cluster.local', 'A', negative('NXDOMAIN')],
  ],
  'case is matched insensitively and kept': [
    [
      'WEB.Shop.SVC.Cluster.Local',
      'A',
      { rcode: 'NOERROR', answer: ['WEB.Shop.SVC.Cluster.Local 5 A 10.96.10.10'] },
    ],
    [
      '_HTTP._Tcp.Web.shop.svc.CLUSTER.local',
      'SRV',
      {
        rcode: 'NOERROR',
        answer: ['_HTTP._Tcp.Web.shop.svc.CLUSTER.local 5 SRV 0 100 80 web.shop.svc.CLUSTER.local'],
        additional: ['web.shop.svc.CLUSTER.local 5 A 10.96.10.10'],
      },
    ],
    ['Nope.Shop.Svc.Cluster.LOCAL', 'A', negative('NXDOMAIN', 'Cluster.LOCAL')],
  ],
};

/**
 * With zonal on: `<zone>.pin|prefer._zone.<svc>.<ns>.svc`, row for row as CoreDNS's
 * plugin/kubernetes/zonal_test.go and README "Zonal Names" have them.
 */
export const zonalCases: Record<string, Case[]> = {
  'pin: the ready endpoints of that topology zone': [
    [pin('us-east-1a'), 'A', addresses(pin('us-east-1a'), '10.244.5.1')],
    [pin('us-east-1b'), 'A', addresses(pin('us-east-1b'), '10.244.5.2', '10.244.5.3')],
    // A zone value with dots: every label left of the directive.
    [pin('corp.example.com'), 'A', addresses(pin('corp.example.com'), '10.244.5.4')],
    // Matched case-insensitively, answered in the case asked.
    [
      'US-East-1A.PIN._Zone.Ledger.shop.svc.cluster.local',
      'A',
      addresses('US-East-1A.PIN._Zone.Ledger.shop.svc.cluster.local', '10.244.5.1'),
    ],
    [
      pin('us-east-1b'),
      'SRV',
      {
        rcode: 'NOERROR',
        answer: [
          `${pin('us-east-1b')} 5 SRV 0 50 9000 ledger-1.${LEDGER}`,
          `${pin('us-east-1b')} 5 SRV 0 50 9000 ledger-2.${LEDGER}`,
        ],
        additional: [`ledger-1.${LEDGER} 5 A 10.244.5.2`, `ledger-2.${LEDGER} 5 A 10.244.5.3`],
      },
    ],
  ],
  'pin: an empty zone is NODATA, never NXDOMAIN': [
    [pin('us-east-1c'), 'A', negative('NOERROR')], // its one endpoint is not ready
    [pin('us-west-2a'), 'A', negative('NOERROR')], // drained or mistyped alike
    [pin('us-west-2a'), 'TXT', negative('NOERROR')],
    [pin('us-east-1a'), 'AAAA', negative('NOERROR')],
    [pin('us-east-1a'), 'TXT', negative('NOERROR')],
    [pin('us-east-1a'), 'MX', negative('NOERROR')],
    // A headless service with no ready endpoint at all: its zonal names still exist.
    [pin('us-east-1a', 'gone.shop.svc.cluster.local'), 'A', negative('NOERROR')],
    [prefer('us-east-1a', 'gone.shop.svc.cluster.local'), 'A', negative('NOERROR')],
  ],
  'prefer: the zone, else every ready endpoint': [
    [prefer('us-east-1a'), 'A', addresses(prefer('us-east-1a'), '10.244.5.1')],
    [
      prefer('us-east-1c'),
      'A',
      addresses(prefer('us-east-1c'), '10.244.5.1', '10.244.5.2', '10.244.5.3', '10.244.5.4', '10.244.5.6'),
    ],
    [prefer('us-east-1c'), 'TXT', negative('NOERROR')],
  ],
  'names that are not zonal names': [
    ['us-east-1a.florp._zone.ledger.shop.svc.cluster.local', 'A', negative('NXDOMAIN')], // unknown directive
    ['us-east-1a.pin.zone.ledger.shop.svc.cluster.local', 'A', negative('NXDOMAIN')], // no anchor
    ['pin._zone.ledger.shop.svc.cluster.local', 'A', negative('NXDOMAIN')], // no zone: read as _port._proto
    [pin('us-east-1a', 'web.shop.svc.cluster.local'), 'A', negative('NXDOMAIN')], // ClusterIP
    [pin('us-east-1a', 'search.shop.svc.cluster.local'), 'A', negative('NXDOMAIN')], // ExternalName
    [pin('us-east-1a', 'nope.shop.svc.cluster.local'), 'A', negative('NXDOMAIN')],
    [pin('us-east-1a', 'ledger.nope.svc.cluster.local'), 'A', negative('NXDOMAIN')],
    [pin('us-east-1a', 'ledger.shop.pod.cluster.local'), 'A', negative('NXDOMAIN')],
  ],
  'other names are answered as without zonal': [
    [LEDGER, 'A', addresses(LEDGER, '10.244.5.1', '10.244.5.2', '10.244.5.3', '10.244.5.4', '10.244.5.6')],
    [`ledger-0.${LEDGER}`, 'A', addresses(`ledger-0.${LEDGER}`, '10.244.5.1')],
  ],
};

/** A question asked by the client at an address (a pod of the fixture, or no pod). */
export type ClientCase = [client: string, ...Case];

/** With topology awareness: the asking pod's node and zone pick a headless service's endpoints. */
export const topologyCases: Record<string, ClientCase[]> = {
  "PreferSameZone: the endpoints in the client's zone, else all": [
    ['10.244.1.50', NEAR, 'A', addresses(NEAR, '10.244.6.1')], // us-east-1a
    ['10.244.3.50', NEAR, 'A', addresses(NEAR, '10.244.6.2', '10.244.6.3')], // us-east-1b
    ['10.244.9.50', NEAR, 'A', addresses(NEAR, '10.244.6.1', '10.244.6.2', '10.244.6.3')], // none in us-east-1c
    ['10.244.9.60', NEAR, 'A', addresses(NEAR, '10.244.6.1', '10.244.6.2', '10.244.6.3')], // no node
    ['192.0.2.1', NEAR, 'A', addresses(NEAR, '10.244.6.1', '10.244.6.2', '10.244.6.3')], // not a pod
    [
      '10.244.1.50',
      `_grpc._tcp.${NEAR}`,
      'SRV',
      {
        rcode: 'NOERROR',
        answer: [`_grpc._tcp.${NEAR} 5 SRV 0 100 9000 near-0.${NEAR}`],
        additional: [`near-0.${NEAR} 5 A 10.244.6.1`],
      },
    ],
    // Endpoint names are one address each: not narrowed.
    ['10.244.1.50', `near-1.${NEAR}`, 'A', addresses(`near-1.${NEAR}`, '10.244.6.2')],
  ],
  "PreferSameNode: the client's node, else its zone, else all": [
    ['10.244.1.50', LOCAL, 'A', addresses(LOCAL, '10.244.7.1')], // node-a
    ['10.244.3.50', LOCAL, 'A', addresses(LOCAL, '10.244.7.3')], // node-c
    ['10.244.4.50', LOCAL, 'A', addresses(LOCAL, '10.244.7.2', '10.244.7.3')], // node-d: none there, us-east-1b
    ['10.244.9.50', LOCAL, 'A', addresses(LOCAL, '10.244.7.1', '10.244.7.2', '10.244.7.3')],
  ],
  'services that prefer nothing, or are not headless, answer alike': [
    [
      '10.244.1.50',
      LEDGER,
      'A',
      addresses(LEDGER, '10.244.5.1', '10.244.5.2', '10.244.5.3', '10.244.5.4', '10.244.5.6'),
    ],
    [
      '10.244.1.50',
      'vip.shop.svc.cluster.local',
      'A',
      addresses('vip.shop.svc.cluster.local', '10.96.10.70'),
    ],
  ],
};

const ok = (answer: string[], additional?: string[]): Expected => ({
  rcode: 'NOERROR',
  answer,
  ...(additional ? { additional } : {}),
});
const S = 'testns.svc.cluster.local';
const H = `cluster1.hdls1.${S}`;

/**
 * CoreDNS's TestMultiClusterServeDNS (plugin/kubernetes/handler_test.go), its 43 cases in order:
 * commonDnsTestCases then multiclusterDnsTestCases, against multicluster-fixture.ts with
 * cluster.local itself as the multicluster zone (`--multicluster cluster.local`). Where the MCS DNS
 * specification and CoreDNS differ, the row follows the specification and says so.
 */
export const multiclusterCases: Case[] = [
  ['svc1.testns.svc.cluster.local', 'A', ok([`svc1.${S} 5 A 10.0.0.1`])],
  ['svcempty.testns.svc.cluster.local', 'A', ok([`svcempty.${S} 5 A 10.0.0.1`])],
  [
    'svc1.testns.svc.cluster.local',
    'SRV',
    ok([`svc1.${S} 5 SRV 0 100 80 svc1.${S}`], [`svc1.${S} 5 A 10.0.0.1`]),
  ],
  [
    'svcempty.testns.svc.cluster.local',
    'SRV',
    ok([`svcempty.${S} 5 SRV 0 100 80 svcempty.${S}`], [`svcempty.${S} 5 A 10.0.0.1`]),
  ],
  [
    'svc6.testns.svc.cluster.local',
    'SRV',
    ok([`svc6.${S} 5 SRV 0 100 80 svc6.${S}`], [`svc6.${S} 5 AAAA 1234:abcd::1`]),
  ],
  [
    '_http._tcp.svc1.testns.svc.cluster.local',
    'SRV',
    ok([`_http._tcp.svc1.${S} 5 SRV 0 100 80 svc1.${S}`], [`svc1.${S} 5 A 10.0.0.1`]),
  ],
  [
    '_http._tcp.svcempty.testns.svc.cluster.local',
    'SRV',
    ok([`_http._tcp.svcempty.${S} 5 SRV 0 100 80 svcempty.${S}`], [`svcempty.${S} 5 A 10.0.0.1`]),
  ],
  [
    'hdls1.testns.svc.cluster.local',
    'A',
    ok(['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map((ip) => `hdls1.${S} 5 A ${ip}`)),
  ],
  ['hdlsprtls.testns.svc.cluster.local', 'A', ok([`hdlsprtls.${S} 5 A 172.0.0.20`])],
  ['svc1.testns.svc.cluster.local', 'AAAA', negative('NOERROR')],
  ['svc0.testns.svc.cluster.local', 'AAAA', negative('NXDOMAIN')],
  ['svc0.testns.svc.cluster.local', 'A', negative('NXDOMAIN')],
  ['svc0.svc-nons.svc.cluster.local', 'A', negative('NXDOMAIN')],
  // CoreDNS answers its cluster-local "1.1.0"; the MCS DNS specification §2.2 says "1.0.0".
  ['dns-version.cluster.local', 'TXT', ok(['dns-version.cluster.local 28800 TXT "1.0.0"'])],
  ['svc1.testns.svc.cluster.local', 'TXT', negative('NOERROR')],
  ['svc0.svc-nons.svc.cluster.local', 'TXT', negative('NXDOMAIN')],
  ['bogusendpoint.hdls1.testns.svc.cluster.local', 'A', negative('NXDOMAIN')],
  ['bogusendpoint.svc0.testns.svc.cluster.local', 'A', negative('NXDOMAIN')],
  ['svc6.testns.svc.cluster.local', 'AAAA', ok([`svc6.${S} 5 AAAA 1234:abcd::1`])],
  [
    '_http._tcp.svc6.testns.svc.cluster.local',
    'SRV',
    ok([`_http._tcp.svc6.${S} 5 SRV 0 100 80 svc6.${S}`], [`svc6.${S} 5 AAAA 1234:abcd::1`]),
  ],
  [
    'hdls1.testns.svc.cluster.local',
    'AAAA',
    ok([`hdls1.${S} 5 AAAA 5678:abcd::1`, `hdls1.${S} 5 AAAA 5678:abcd::2`]),
  ],
  ['svc.cluster.local', 'A', negative('NOERROR')],
  ['pod.cluster.local', 'A', negative('NOERROR')],
  ['testns.svc.cluster.local', 'A', negative('NOERROR')],
  ['svc.cluster.local', 'NS', negative('NOERROR')],
  ['testns.svc.cluster.local', 'NS', negative('NOERROR')],
  ['foo.cluster.local', 'NS', negative('NXDOMAIN')],
  ['foo.svc.cluster.local', 'NS', negative('NXDOMAIN')],
  ['svc-dual-stack.testns.svc.cluster.local', 'A', ok([`svc-dual-stack.${S} 5 A 10.0.0.3`])],
  ['svc-dual-stack.testns.svc.cluster.local', 'AAAA', ok([`svc-dual-stack.${S} 5 AAAA 10::3`])],
  [
    'svc-dual-stack.testns.svc.cluster.local',
    'SRV',
    ok(
      [`svc-dual-stack.${S} 5 SRV 0 50 80 svc-dual-stack.${S}`],
      [`svc-dual-stack.${S} 5 A 10.0.0.3`, `svc-dual-stack.${S} 5 AAAA 10::3`],
    ),
  ],
  ['svc1.testns.svc.cluster.local', 'SOA', negative('NOERROR')],
  ['endpoint.external.testns.svc.cluster.local', 'CNAME', negative('NXDOMAIN')],
  ['subdomain.subdomain.external.testns.svc.cluster.local', 'CNAME', negative('NXDOMAIN')],
  // multiclusterDnsTestCases
  [
    '_http._tcp.hdls1.testns.svc.cluster.local',
    'SRV',
    ok(
      ['172-0-0-2', '172-0-0-3', 'dup-name', '5678-abcd--1', '5678-abcd--2'].map(
        (name) => `_http._tcp.hdls1.${S} 5 SRV 0 16 80 ${name}.${H}`,
      ),
      [
        `172-0-0-2.${H} 5 A 172.0.0.2`,
        `172-0-0-3.${H} 5 A 172.0.0.3`,
        `dup-name.${H} 5 A 172.0.0.4`,
        `dup-name.${H} 5 A 172.0.0.5`,
        `5678-abcd--1.${H} 5 AAAA 5678:abcd::1`,
        `5678-abcd--2.${H} 5 AAAA 5678:abcd::2`,
      ],
    ),
  ],
  [
    'hdls1.testns.svc.cluster.local',
    'A',
    ok(['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map((ip) => `hdls1.${S} 5 A ${ip}`)),
  ],
  [`5678-abcd--2.${H}`, 'AAAA', ok([`5678-abcd--2.${H} 5 AAAA 5678:abcd::2`])],
  [`5678-abcd--1.${H}`, 'AAAA', ok([`5678-abcd--1.${H} 5 AAAA 5678:abcd::1`])],
  [
    '172-0-0-20.cluster1.hdlsprtls.testns.svc.cluster.local',
    'A',
    ok([`172-0-0-20.cluster1.hdlsprtls.${S} 5 A 172.0.0.20`]),
  ],
  // Without the cluster id an endpoint has no name (MCS DNS specification §2.4.1).
  ['5678-abcd--1.hdls1.testns.svc.cluster.local', 'AAAA', negative('NXDOMAIN')],
  [`172-0-0-2.${H}`, 'A', ok([`172-0-0-2.${H} 5 A 172.0.0.2`])],
  [`172-0-0-3.${H}`, 'A', ok([`172-0-0-3.${H} 5 A 172.0.0.3`])],
  [`dup-name.${H}`, 'A', ok([`dup-name.${H} 5 A 172.0.0.4`, `dup-name.${H} 5 A 172.0.0.5`])],
];

const CS = 'clusterset.local';
const T = `testns.svc.${CS}`;

/**
 * A multicluster zone beside the cluster's own (`--zone cluster.local --multicluster clusterset.local`
 * with clusterset.local served too), same objects: each zone serves only its own kind of service.
 */
export const clustersetCases: Record<string, Case[]> = {
  'the cluster zone serves Services only': [
    ['svc1.testns.svc.cluster.local', 'A', ok(['svc1.testns.svc.cluster.local 5 A 10.96.0.1'])],
    ['svc6.testns.svc.cluster.local', 'AAAA', negative('NXDOMAIN')],
    ['spread.testns.svc.cluster.local', 'A', negative('NXDOMAIN')],
    // An imported slice labelled for the Service too is still not one of its endpoints.
    ['hdls1.testns.svc.cluster.local', 'A', ok(['hdls1.testns.svc.cluster.local 5 A 10.244.0.9'])],
    ['172-0-0-2.hdls1.testns.svc.cluster.local', 'A', negative('NXDOMAIN')],
    ['dns-version.cluster.local', 'TXT', ok(['dns-version.cluster.local 28800 TXT "1.1.0"'])],
  ],
  'the multicluster zone serves ServiceImports only': [
    ['svc1.testns.svc.clusterset.local', 'A', ok([`svc1.${T} 5 A 10.0.0.1`])],
    ['local-only.testns.svc.clusterset.local', 'A', negative('NXDOMAIN', CS)],
    [
      'hdls1.testns.svc.clusterset.local',
      'A',
      ok(['172.0.0.2', '172.0.0.3', '172.0.0.4', '172.0.0.5'].map((ip) => `hdls1.${T} 5 A ${ip}`)),
    ],
    ['dns-version.clusterset.local', 'TXT', ok(['dns-version.clusterset.local 28800 TXT "1.0.0"'])],
    ['clusterset.local', 'SOA', ok([`${CS} 5 SOA ns.dns.${CS} hostmaster.${CS} SERIAL 7200 1800 86400 5`])],
    ['10-1-0-1.testns.pod.clusterset.local', 'A', negative('NXDOMAIN', CS)],
  ],
  'a headless import is the union of every cluster': [
    ['spread.testns.svc.clusterset.local', 'A', ok([`spread.${T} 5 A 10.1.0.1`, `spread.${T} 5 A 10.2.0.1`])],
    [
      '_http._tcp.spread.testns.svc.clusterset.local',
      'SRV',
      ok(
        [
          `_http._tcp.spread.${T} 5 SRV 0 50 80 web-0.cluster1.spread.${T}`,
          `_http._tcp.spread.${T} 5 SRV 0 50 80 web-0.cluster2.spread.${T}`,
        ],
        [`web-0.cluster1.spread.${T} 5 A 10.1.0.1`, `web-0.cluster2.spread.${T} 5 A 10.2.0.1`],
      ),
    ],
    [
      'web-0.cluster2.spread.testns.svc.clusterset.local',
      'A',
      ok([`web-0.cluster2.spread.${T} 5 A 10.2.0.1`]),
    ],
    ['web-1.cluster2.spread.testns.svc.clusterset.local', 'A', negative('NXDOMAIN', CS)], // not ready
    ['web-0.cluster3.spread.testns.svc.clusterset.local', 'A', negative('NXDOMAIN', CS)],
    ['web-0.spread.testns.svc.clusterset.local', 'A', negative('NXDOMAIN', CS)],
    // `<clusterid>.<svc>` holds endpoint names: an empty non-terminal.
    ['cluster2.spread.testns.svc.clusterset.local', 'A', negative('NOERROR', CS)],
    ['_tcp.spread.testns.svc.clusterset.local', 'SRV', negative('NOERROR', CS)],
  ],
  'a ClusterSetIP import has no per-cluster names (specification §2.3.4)': [
    ['cluster1.svc1.testns.svc.clusterset.local', 'A', negative('NXDOMAIN', CS)],
    ['ep1a.cluster1.svc1.testns.svc.clusterset.local', 'A', negative('NXDOMAIN', CS)],
    [
      '_http._tcp.svc1.testns.svc.clusterset.local',
      'SRV',
      ok([`_http._tcp.svc1.${T} 5 SRV 0 100 80 svc1.${T}`], [`svc1.${T} 5 A 10.0.0.1`]),
    ],
    [
      '_dns._udp.kubedns.kube-system.svc.clusterset.local',
      'SRV',
      ok(
        [`_dns._udp.kubedns.kube-system.svc.${CS} 5 SRV 0 100 53 kubedns.kube-system.svc.${CS}`],
        [`kubedns.kube-system.svc.${CS} 5 A 10.0.0.10`],
      ),
    ],
  ],
  'PTR of an import only where the address has no other (specification §2.3.3, §2.4.3)': [
    ['1.0.96.10.in-addr.arpa', 'PTR', ok(['1.0.96.10.in-addr.arpa 5 PTR svc1.testns.svc.cluster.local'])],
    ['1.0.0.10.in-addr.arpa', 'PTR', ok([`1.0.0.10.in-addr.arpa 5 PTR svc1.${T}`])],
    ['2.0.0.172.in-addr.arpa', 'PTR', ok([`2.0.0.172.in-addr.arpa 5 PTR 172-0-0-2.cluster1.hdls1.${T}`])],
    ['1.0.2.10.in-addr.arpa', 'PTR', ok([`1.0.2.10.in-addr.arpa 5 PTR web-0.cluster2.spread.${T}`])],
    [
      '9.0.244.10.in-addr.arpa',
      'PTR',
      ok(['9.0.244.10.in-addr.arpa 5 PTR 10-244-0-9.hdls1.testns.svc.cluster.local']),
    ],
  ],
};
