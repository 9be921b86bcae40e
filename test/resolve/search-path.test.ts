import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type Question } from '../../src/dns/types.js';
import { ClusterZoneResolver } from '../../src/resolve/cluster/resolver.js';
import { SearchPathResolver, type SearchPathOptions } from '../../src/resolve/search/search-path.js';
import type { QueryContext, Resolver } from '../../src/resolve/types.js';
import { DEFAULT_ZONES, ZoneSet } from '../../src/dns/zones.js';
import { ServiceTable } from '../../src/table/table.js';
import { fixture } from './fixture.js';

/** Stands in for the forwarder: knows example.com and corp.example names, NXDOMAIN for the rest. */
class OutsideWorld implements Resolver {
  asked: string[] = [];
  resolve(question: Question): Answer {
    this.asked.push(question.name);
    const known: Record<string, string> = {
      'example.com': '192.0.2.1',
      'intranet.corp.example': '192.0.2.2',
    };
    const address = known[question.name.toLowerCase()];
    const nx = {
      rcode: Rcode.NXDOMAIN,
      authoritative: false,
      ra: true,
      answers: [],
      authority: [],
      additional: [],
    };
    if (!address || question.type !== RRType.A) return nx;
    return {
      rcode: Rcode.NOERROR,
      authoritative: false,
      ra: true,
      answers: [{ name: question.name, ttl: 60, data: { type: 'A', address } }],
      authority: [],
      additional: [],
    };
  }
}

const client: QueryContext = { transport: 'udp', clientAddress: '10.244.1.5', clientPort: 5353 };
const stranger: QueryContext = { transport: 'udp', clientAddress: '10.244.99.99', clientPort: 5353 };

function setup(options: Partial<SearchPathOptions> = {}) {
  const table = new ServiceTable();
  table.setContent('test', fixture);
  const zones = ZoneSet.parse(DEFAULT_ZONES);
  const cluster = new ClusterZoneResolver(table, {
    zones,
    ttl: 5,
    pods: 'verified',
    ignoreEmptyService: false,
    nsAddresses: [],
  });
  const outside = new OutsideWorld();
  const search = new SearchPathResolver(table, {
    zones,
    namespaceFromPods: false,
    autopath: false,
    hostSearch: ['corp.example'],
    ttl: 5,
    cluster,
    outside,
    ...options,
  });
  return { search, outside };
}

function lines(answer: Answer | undefined): string[] {
  return (answer?.answers ?? []).map((record) => {
    const data = record.data;
    const value = 'address' in data ? data.address : 'target' in data ? data.target : data.type;
    return `${record.name} ${data.type} ${value}`;
  });
}

async function ask(search: SearchPathResolver, name: string, type: number = RRType.A, context = client) {
  return search.resolve({ name, type, class: RRClass.IN }, context);
}

describe('short names with a known namespace (--namespace)', () => {
  const { search } = setup({ namespace: 'shop' });

  it.each([
    ['web', ['web CNAME web.shop.svc.cluster.local', 'web.shop.svc.cluster.local A 10.96.10.10']],
    ['WEB', ['WEB CNAME WEB.shop.svc.cluster.local', 'WEB.shop.svc.cluster.local A 10.96.10.10']],
    [
      'kubernetes.default',
      [
        'kubernetes.default CNAME kubernetes.default.svc.cluster.local',
        'kubernetes.default.svc.cluster.local A 10.96.0.1',
      ],
    ],
    [
      'kubernetes.default.svc',
      [
        'kubernetes.default.svc CNAME kubernetes.default.svc.cluster.local',
        'kubernetes.default.svc.cluster.local A 10.96.0.1',
      ],
    ],
    [
      'db-0.db',
      ['db-0.db CNAME db-0.db.shop.svc.cluster.local', 'db-0.db.shop.svc.cluster.local A 10.244.1.10'],
    ],
  ])('%s resolves through the search list', async (name, expected) => {
    const answer = await ask(search, name);
    expect(lines(answer)).toEqual(expected);
    expect(answer?.rcode).toBe(Rcode.NOERROR);
    expect(answer?.authoritative).toBe(false);
  });

  it('gives CNAME plus NODATA (with the SOA) for a type the service lacks', async () => {
    const answer = await ask(search, 'web', RRType.AAAA);
    expect(lines(answer)).toEqual(['web CNAME web.shop.svc.cluster.local']);
    expect(answer?.authority.map((record) => record.data.type)).toEqual(['SOA']);
  });

  it.each(['example.com', 'nope', 'shop', 'svc', 'default'])('passes %s on unchanged', async (name) => {
    expect(await ask(search, name)).toBeUndefined();
  });

  it('leaves names of the served zones to the cluster zone when autopath is off', async () => {
    expect(await ask(search, 'example.com.shop.svc.cluster.local')).toBeUndefined();
  });
});

describe('namespace from the pod table', () => {
  const { search } = setup({ namespaceFromPods: true });

  it('uses the namespace of the pod with the client address', async () => {
    expect(lines(await ask(search, 'web'))).toEqual([
      'web CNAME web.shop.svc.cluster.local',
      'web.shop.svc.cluster.local A 10.96.10.10',
    ]);
  });

  it('gives an unknown client exactly the plain answers', async () => {
    expect(await ask(search, 'web', RRType.A, stranger)).toBeUndefined();
  });
});

describe('autopath', () => {
  it('answers a name in the first search domain from the next candidate that exists, under a CNAME', async () => {
    const { search, outside } = setup({ namespace: 'shop', autopath: true });
    const external = await ask(search, 'example.com.shop.svc.cluster.local');
    expect(lines(external)).toEqual([
      'example.com.shop.svc.cluster.local CNAME example.com',
      'example.com A 192.0.2.1',
    ]);
    expect(outside.asked).toEqual(['example.com.corp.example', 'example.com']);

    expect(lines(await ask(search, 'kubernetes.default.shop.svc.cluster.local'))).toEqual([
      'kubernetes.default.shop.svc.cluster.local CNAME kubernetes.default.svc.cluster.local',
      'kubernetes.default.svc.cluster.local A 10.96.0.1',
    ]);
    expect(lines(await ask(search, 'intranet.shop.svc.cluster.local'))).toEqual([
      'intranet.shop.svc.cluster.local CNAME intranet.corp.example',
      'intranet.corp.example A 192.0.2.2',
    ]);
    expect(search.stats.autopathSuccess).toBe(3);
  });

  it('keeps an existing name as it is, and the first NXDOMAIN when nothing exists', async () => {
    const { search } = setup({ namespace: 'shop', autopath: true });
    expect(lines(await ask(search, 'web.shop.svc.cluster.local'))).toEqual([
      'web.shop.svc.cluster.local A 10.96.10.10',
    ]);
    const missing = await ask(search, 'nothing-here.shop.svc.cluster.local');
    expect(missing?.rcode).toBe(Rcode.NXDOMAIN);
    expect(missing?.answers).toEqual([]);
    expect(missing?.authority[0]?.name).toBe('cluster.local');
  });

  it('does nothing for other namespaces or unknown clients', async () => {
    const { search } = setup({ namespaceFromPods: true, autopath: true });
    expect(await ask(search, 'example.com.default.svc.cluster.local')).toBeUndefined();
    expect(await ask(search, 'example.com.shop.svc.cluster.local', RRType.A, stranger)).toBeUndefined();
  });
});
