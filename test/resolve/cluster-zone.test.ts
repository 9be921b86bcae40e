import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type ResourceRecord } from '../../src/dns/types.js';
import { ClusterZoneResolver, type ClusterZoneResolverOptions } from '../../src/resolve/cluster/resolver.js';
import type { UpstreamLookup } from '../../src/resolve/types.js';
import { DEFAULT_ZONES, ZoneSet } from '../../src/dns/zones.js';
import { ServiceTable } from '../../src/table/table.js';
import { clusterOverFixture, fixture } from './fixture.js';
import { convertKubernetesObjects, joinKubernetesObjects } from '../../src/registry/kubernetes/objects.js';
import {
  cases,
  clustersetCases,
  multiclusterCases,
  negative,
  topologyCases,
  zonalCases,
  type Expected,
} from './cluster-zone-cases.js';
import { multiclusterObjects } from './multicluster-fixture.js';

const RCODE_NAMES = Object.fromEntries(Object.entries(Rcode).map(([name, code]) => [code, name]));

/** One record in zone-file form, the way a reader of dig output would check it. */
function show(record: ResourceRecord): string {
  const data = record.data;
  const rdata = (() => {
    switch (data.type) {
      case 'A':
      case 'AAAA':
        return data.address;
      case 'CNAME':
      case 'PTR':
      case 'NS':
        return data.target;
      case 'SRV':
        return `${data.priority} ${data.weight} ${data.port} ${data.target}`;
      case 'TXT':
        return data.texts.map((text) => `"${text}"`).join(' ');
      case 'SOA':
        return `${data.mname} ${data.rname} SERIAL ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
      default:
        return JSON.stringify(data);
    }
  })();
  return `${record.name} ${record.ttl} ${data.type} ${rdata}`;
}

const NOW = () => 1_700_000_000_000;

function setup(overrides: Omit<Partial<ClusterZoneResolverOptions>, 'zones'> & { zones?: string[] } = {}) {
  const { zones = DEFAULT_ZONES, ...rest } = overrides;
  const { table, cluster } = clusterOverFixture(NOW, { ...rest, zones: ZoneSet.parse(zones) });
  return { table, resolver: cluster };
}

async function ask(
  resolver: ClusterZoneResolver,
  name: string,
  type: keyof typeof RRType,
  clientAddress?: string,
): Promise<Answer> {
  const context =
    clientAddress === undefined ? undefined : { transport: 'udp' as const, clientAddress, clientPort: 5353 };
  const answer = await resolver.resolve({ name, type: RRType[type], class: RRClass.IN }, context);
  if (!answer) throw new Error(`${name} was not claimed by the cluster zone`);
  return answer;
}

function check(answer: Answer, expected: Expected): void {
  expect(RCODE_NAMES[answer.rcode]).toBe(expected.rcode);
  expect(answer.answers.map(show)).toEqual(expected.answer ?? []);
  expect(answer.additional.map(show)).toEqual(expected.additional ?? []);
  if (expected.soa !== undefined) {
    expect(answer.authority.map((record) => `${record.name} ${record.data.type}`)).toEqual([
      `${expected.soa} SOA`,
    ]);
  } else {
    expect(answer.authority).toEqual([]);
  }
  if (expected.rcode !== 'REFUSED') expect(answer.authoritative).toBe(true);
}

describe('cluster zone', () => {
  const { resolver } = setup();
  for (const [group, rows] of Object.entries(cases)) {
    describe(group, () => {
      it.each(rows)('%s %s', async (name, type, expected) => {
        check(await ask(resolver, name, type), expected);
      });
    });
  }

  describe('zone-scoped names (zonal)', () => {
    const { resolver: zonal } = setup({ zonal: true });
    for (const [group, rows] of Object.entries(zonalCases)) {
      describe(group, () => {
        it.each(rows)('%s %s', async (name, type, expected) => {
          check(await ask(zonal, name, type), expected);
        });
      });
    }
  });

  describe('topology-aware answers', () => {
    const { resolver: aware } = setup({ topologyAware: true });
    for (const [group, rows] of Object.entries(topologyCases)) {
      describe(group, () => {
        it.each(rows)('from %s: %s %s', async (client, name, type, expected) => {
          check(await ask(aware, name, type, client), expected);
        });
      });
    }
  });

  it('writes the SOA of the zone with the table version as serial and TTL min(ttl, 300)', async () => {
    const { resolver: longTtl, table } = setup({ ttl: 600 });
    const answer = await ask(longTtl, 'nope.svc.cluster.local', 'A');
    expect(answer.authority).toEqual([
      {
        name: 'cluster.local',
        ttl: 300,
        data: {
          type: 'SOA',
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          serial: table.current.version,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 600,
        },
      },
    ]);
    expect(table.current.version).toBe(1_700_000_001);
  });

  it('moves the serial forward on every change', () => {
    const { table } = setup();
    const before = table.current.version;
    table.setContent('test', fixture);
    expect(table.current.version).toBeGreaterThan(before);
  });

  it('does not claim names outside its zones, and refuses transfers and other classes', async () => {
    const { resolver: r } = setup();
    expect(r.resolve({ name: 'example.com', type: RRType.A, class: RRClass.IN })).toBeUndefined();
    check(await ask(r, 'cluster.local', 'AXFR'), { rcode: 'REFUSED' });
    const chaos = await r.resolve({ name: 'web.shop.svc.cluster.local', type: RRType.A, class: RRClass.CH });
    expect(chaos?.rcode).toBe(Rcode.REFUSED);
  });

  it('gives SRV weight at least 1 when there are more than 100 candidates', async () => {
    const table = new ServiceTable();
    const endpoints = Array.from({ length: 150 }, (_, i) => ({
      ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      ready: true,
      ports: [{ name: 'http', protocol: 'TCP' as const, port: 80 }],
    }));
    table.setContent('test', {
      namespaces: ['big'],
      services: [{ namespace: 'big', name: 'many', type: 'Headless', clusterIPs: [], ports: [], endpoints }],
      pods: [],
    });
    const r = new ClusterZoneResolver(table, {
      zones: ZoneSet.parse(DEFAULT_ZONES),
      ttl: 5,
      pods: 'disabled',
      ignoreEmptyService: false,
      nsAddresses: [],
    });
    const answer = await ask(r, '_http._tcp.many.big.svc.cluster.local', 'SRV');
    expect(answer.answers).toHaveLength(150);
    expect(answer.answers.every((record) => record.data.type === 'SRV' && record.data.weight === 1)).toBe(
      true,
    );
  });
});

describe('cluster zone options', () => {
  it('--pods insecure answers any dashed IP in an existing namespace', async () => {
    const { resolver } = setup({ pods: 'insecure' });
    check(await ask(resolver, '10-244-9-9.shop.pod.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['10-244-9-9.shop.pod.cluster.local 5 A 10.244.9.9'],
    });
    check(await ask(resolver, 'fd00-10-244--5.shop.pod.cluster.local', 'AAAA'), {
      rcode: 'NOERROR',
      answer: ['fd00-10-244--5.shop.pod.cluster.local 5 AAAA fd00:10:244::5'],
    });
    check(await ask(resolver, '10-244-9-9.shop.pod.cluster.local', 'AAAA'), negative('NOERROR'));
    check(await ask(resolver, 'shop.pod.cluster.local', 'A'), negative('NOERROR'));
    check(await ask(resolver, '10-244-9-9.nope.pod.cluster.local', 'A'), negative('NXDOMAIN'));
    check(await ask(resolver, 'not-an-ip.shop.pod.cluster.local', 'A'), negative('NXDOMAIN'));
  });

  it('--pods verified answers only pods that exist with that IP in that namespace', async () => {
    const { resolver } = setup({ pods: 'verified' });
    check(await ask(resolver, '10-244-1-5.shop.pod.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['10-244-1-5.shop.pod.cluster.local 5 A 10.244.1.5'],
    });
    check(await ask(resolver, 'fd00-10-244-1--10.shop.pod.cluster.local', 'AAAA'), {
      rcode: 'NOERROR',
      answer: ['fd00-10-244-1--10.shop.pod.cluster.local 5 AAAA fd00:10:244:1::10'],
    });
    check(await ask(resolver, '10-244-9-9.shop.pod.cluster.local', 'A'), negative('NXDOMAIN'));
    check(await ask(resolver, '10-244-1-5.default.pod.cluster.local', 'A'), negative('NXDOMAIN'));
  });

  it('--namespaces exposes only the listed namespaces, PTR included', async () => {
    const { resolver } = setup({ namespaces: new Set(['shop']) });
    check(await ask(resolver, 'kubernetes.default.svc.cluster.local', 'A'), negative('NXDOMAIN'));
    check(await ask(resolver, 'default.svc.cluster.local', 'A'), negative('NXDOMAIN'));
    check(await ask(resolver, '1.0.96.10.in-addr.arpa', 'PTR'), negative('NXDOMAIN', 'in-addr.arpa'));
    check(await ask(resolver, 'web.shop.svc.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
    });
  });

  it('--ignore-empty-service makes a ClusterIP service without ready endpoints NXDOMAIN', async () => {
    const { resolver } = setup({ ignoreEmptyService: true });
    check(await ask(resolver, 'empty.shop.svc.cluster.local', 'A'), negative('NXDOMAIN'));
    check(await ask(resolver, '_http._tcp.empty.shop.svc.cluster.local', 'SRV'), negative('NXDOMAIN'));
    check(await ask(resolver, 'web.shop.svc.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
    });
    check(await ask(resolver, 'search.shop.svc.cluster.local', 'CNAME'), {
      rcode: 'NOERROR',
      answer: ['search.shop.svc.cluster.local 5 CNAME www.example.com'],
    });
  });

  it('serves exactly the zones given, with PTR targets in the first forward zone', async () => {
    const { resolver } = setup({ zones: ['example.internal', 'cluster.local', '96.10.in-addr.arpa'] });
    check(await ask(resolver, 'web.shop.svc.example.internal', 'A'), {
      rcode: 'NOERROR',
      answer: ['web.shop.svc.example.internal 5 A 10.96.10.10'],
    });
    check(await ask(resolver, '10.10.96.10.in-addr.arpa', 'PTR'), {
      rcode: 'NOERROR',
      answer: ['10.10.96.10.in-addr.arpa 5 PTR web.shop.svc.example.internal'],
    });
    check(await ask(resolver, '9.9.96.10.in-addr.arpa', 'PTR'), negative('NXDOMAIN', '96.10.in-addr.arpa'));
    expect(
      resolver.resolve({ name: '5.1.244.10.in-addr.arpa', type: RRType.PTR, class: RRClass.IN }),
    ).toBeUndefined();
    expect(resolver.resolve({ name: 'x.ip6.arpa', type: RRType.PTR, class: RRClass.IN })).toBeUndefined();
  });

  it('asks the upstream for an ExternalName target outside the zone, CNAME first, TC passed on', async () => {
    const asked: string[] = [];
    const upstream: UpstreamLookup = {
      async lookup(name, type) {
        asked.push(`${name} ${type}`);
        return {
          rcode: Rcode.NOERROR,
          truncated: true,
          answers: [{ name: 'www.example.com', ttl: 300, data: { type: 'A', address: '192.0.2.10' } }],
        };
      },
    };
    const { resolver } = setup({ upstream });
    const answer = await ask(resolver, 'search.shop.svc.cluster.local', 'A');
    expect(asked).toEqual(['www.example.com 1']);
    expect(answer.answers.map(show)).toEqual([
      'search.shop.svc.cluster.local 5 CNAME www.example.com',
      'www.example.com 300 A 192.0.2.10',
    ]);
    expect(answer.truncated).toBe(true);
  });

  it('keeps the CNAME alone when the upstream does not answer', async () => {
    const { resolver } = setup({ upstream: { lookup: async () => undefined } });
    check(await ask(resolver, 'search.shop.svc.cluster.local', 'AAAA'), {
      rcode: 'NOERROR',
      answer: ['search.shop.svc.cluster.local 5 CNAME www.example.com'],
    });
  });
});

describe('serving state of the table', () => {
  function build(maxStaleMs?: number) {
    let now = 1_700_000_000_000;
    const table = new ServiceTable(() => now);
    table.expectBackend('kubernetes', maxStaleMs);
    table.setContent('kubernetes', fixture);
    const resolver = new ClusterZoneResolver(table, {
      zones: ZoneSet.parse(DEFAULT_ZONES),
      ttl: 5,
      pods: 'disabled',
      ignoreEmptyService: false,
      nsAddresses: [],
    });
    return { table, resolver, advance: (ms: number) => (now += ms) };
  }

  it('answers SERVFAIL with the SOA, never NXDOMAIN, until every backend has synced', async () => {
    const { table, resolver } = build();
    expect(table.servingState).toBe('unsynced');
    expect(table.notReady()).toEqual(['kubernetes']);
    check(await ask(resolver, 'nope.shop.svc.cluster.local', 'A'), negative('SERVFAIL'));
    check(await ask(resolver, 'web.shop.svc.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
    });
    table.markSynced('kubernetes');
    expect(table.servingState).toBe('ready');
    check(await ask(resolver, 'nope.shop.svc.cluster.local', 'A'), negative('NXDOMAIN'));
  });

  it("answers SERVFAIL for a stale registry's names and for missing names, not for a current one", async () => {
    let now = 1_700_000_000_000;
    const table = new ServiceTable(() => now);
    table.expectBackend('kubernetes', 60_000);
    table.expectBackend('etcd', 60_000);
    table.setContent('kubernetes', fixture);
    table.setContent('etcd', {
      namespaces: ['edge'],
      services: [
        {
          namespace: 'edge',
          name: 'gw',
          type: 'ClusterIP',
          clusterIPs: ['10.50.0.1'],
          ports: [],
          endpoints: [],
        },
      ],
      pods: [],
    });
    table.markSynced('kubernetes');
    table.markSynced('etcd');
    const resolver = new ClusterZoneResolver(table, {
      zones: ZoneSet.parse(DEFAULT_ZONES),
      ttl: 5,
      pods: 'disabled',
      ignoreEmptyService: false,
      nsAddresses: [],
    });
    now += 61_000;
    table.markSynced('kubernetes'); // etcd has not vouched for its view for 61 s
    expect(table.servingState).toBe('stale');
    expect(table.notReady()).toEqual(['etcd']);
    check(await ask(resolver, 'gw.edge.svc.cluster.local', 'A'), negative('SERVFAIL'));
    check(await ask(resolver, 'nope.edge.svc.cluster.local', 'A'), negative('SERVFAIL'));
    check(await ask(resolver, 'web.shop.svc.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
    });
  });

  it('answers SERVFAIL for the whole zone once a backend is past its max staleness', async () => {
    const { table, resolver, advance } = build(60_000);
    table.markSynced('kubernetes');
    advance(59_000);
    check(await ask(resolver, 'web.shop.svc.cluster.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['web.shop.svc.cluster.local 5 A 10.96.10.10'],
    });
    advance(2_000);
    expect(table.servingState).toBe('stale');
    check(await ask(resolver, 'web.shop.svc.cluster.local', 'A'), negative('SERVFAIL'));
    table.markSynced('kubernetes');
    expect(table.servingState).toBe('ready');
  });
});

describe('registry SRV weights', () => {
  it('uses an endpoint weight and priority from the registry instead of floor(100/N)', async () => {
    const table = new ServiceTable();
    const port = { name: 'http', protocol: 'TCP' as const, port: 8080 };
    table.setContent('registry', {
      namespaces: ['apps'],
      services: [
        {
          namespace: 'apps',
          name: 'orders',
          type: 'Headless',
          clusterIPs: [],
          ports: [port],
          endpoints: [
            { ip: '10.1.0.1', ready: true, ports: [port], weight: 6553, priority: 1 },
            { ip: '10.1.0.2', ready: true, ports: [port] },
          ],
        },
      ],
      pods: [],
    });
    const resolver = new ClusterZoneResolver(table, {
      zones: ZoneSet.parse(DEFAULT_ZONES),
      ttl: 5,
      pods: 'disabled',
      ignoreEmptyService: false,
      nsAddresses: [],
    });
    const answer = await ask(resolver, '_http._tcp.orders.apps.svc.cluster.local', 'SRV');
    expect(answer.answers.map(show)).toEqual([
      '_http._tcp.orders.apps.svc.cluster.local 5 SRV 1 6553 8080 10-1-0-1.orders.apps.svc.cluster.local',
      '_http._tcp.orders.apps.svc.cluster.local 5 SRV 0 50 8080 10-1-0-2.orders.apps.svc.cluster.local',
    ]);
  });
});

/** A resolver over multicluster-fixture.ts, its objects read as the zone files and the API are. */
function multiclusterSetup(zones: string[], multiclusterZones: string[]) {
  const conversion = convertKubernetesObjects(multiclusterObjects());
  expect(conversion.problems).toEqual([]);
  const options = { zones: ZoneSet.parse(zones), multiclusterZones, pods: 'insecure' as const };
  return clusterOverFixture(NOW, options, joinKubernetesObjects(conversion.objects)).cluster;
}

describe('multicluster zone (CoreDNS TestMultiClusterServeDNS)', () => {
  const resolver = multiclusterSetup(DEFAULT_ZONES, ['cluster.local']);
  it('has the 43 cases', () => expect(multiclusterCases).toHaveLength(43));
  it.each(multiclusterCases)('%s %s', async (name, type, expected) => {
    check(await ask(resolver, name, type), expected);
  });
});

describe('multicluster zone beside the cluster zone', () => {
  const resolver = multiclusterSetup([...DEFAULT_ZONES, 'clusterset.local'], ['clusterset.local']);
  for (const [group, rows] of Object.entries(clustersetCases)) {
    describe(group, () => {
      it.each(rows)('%s %s', async (name, type, expected) => {
        check(await ask(resolver, name, type), expected);
      });
    });
  }

  it('serves no import in a zone that is not a multicluster zone', async () => {
    const plain = multiclusterSetup([...DEFAULT_ZONES, 'clusterset.local'], []);
    check(
      await ask(plain, 'svc6.testns.svc.clusterset.local', 'AAAA'),
      negative('NXDOMAIN', 'clusterset.local'),
    );
    // There it is a cluster zone like any: this cluster's Service answers.
    check(await ask(plain, 'svc1.testns.svc.clusterset.local', 'A'), {
      rcode: 'NOERROR',
      answer: ['svc1.testns.svc.clusterset.local 5 A 10.96.0.1'],
    });
    check(await ask(plain, '1.0.0.10.in-addr.arpa', 'PTR'), negative('NXDOMAIN', 'in-addr.arpa'));
  });
});
