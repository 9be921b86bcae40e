import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { newCounters } from '../../src/ops/counters.js';
import { QueryMetrics } from '../../src/ops/metrics/query-metrics.js';
import { Rcode } from '../../src/dns/types.js';
import { ResolverChain } from '../../src/resolve/chain.js';
import { Forwarder } from '../../src/resolve/forward/forwarder.js';
import { AddressPolicy, RecursionGate } from '../../src/resolve/recursion.js';
import { ClusterZoneResolver } from '../../src/resolve/cluster/resolver.js';
import { QueryHandler } from '../../src/server/handler.js';
import { PrecompiledAnswers, type PrecompiledOptions } from '../../src/answers/precompiled.js';
import { ServiceTable } from '../../src/table/table.js';
import type { Service } from '../../src/table/types.js';
import { topologyChoice } from '../../src/resolve/cluster/topology.js';
import { cases, topologyCases, zonalCases } from '../resolve/cluster-zone-cases.js';
import { clusterOverFixture, fixture } from '../resolve/fixture.js';
import { a, reply, soa, startStub, type Stub } from '../resolve/forward/stub.js';
import { buildQuery, decodeReply, type AnyRecord, type QueryOptions } from '../helpers/dns-client.js';

/** A store in front of that cluster zone (the first link of the chain), as the server builds one. */
function storeFor(
  table: ServiceTable,
  cluster: ClusterZoneResolver,
  options: Partial<PrecompiledOptions> = {},
): PrecompiledAnswers {
  return new PrecompiledAnswers({
    table,
    cluster,
    dependencies: cluster,
    clusterLink: 0,
    negativeAnswers: true,
    rotatesAddresses: false,
    ...options,
  });
}

/** Handlers over one chain, one answering through `precompiled` first, one by the general path only. */
function fastAndGeneral(
  chain: ResolverChain,
  precompiled: PrecompiledAnswers,
  recursionAvailable: (address: string) => boolean,
) {
  const handler = (withStore: boolean) =>
    new QueryHandler({
      resolver: chain,
      logger: pino({ level: 'silent' }),
      counters: newCounters(),
      recursionAvailable,
      ...(withStore ? { precompiled } : {}),
    });
  return { fast: handler(true), general: handler(false) };
}

/** Two handlers over one table: one with precompiled answers, one with the general path only. */
function setup(options: { negativeAnswers?: boolean; rotatesAddresses?: boolean } = {}) {
  let now = 1_700_000_000_000;
  const { table, cluster } = clusterOverFixture(() => now);
  const chain = new ResolverChain([cluster]);
  const precompiled = storeFor(table, cluster, options);
  return {
    table,
    precompiled,
    ...fastAndGeneral(chain, precompiled, (address) => address === '10.0.0.1'),
    advanceClock: (ms: number) => (now += ms),
  };
}

const VARIANTS: QueryOptions[] = [
  { id: 1 },
  { id: 0xbeef, recursionDesired: false, checkingDisabled: true },
  { id: 7, udpSize: 1232 },
  { id: 0xffff, checkingDisabled: true, udpSize: 4096, dnssecOk: true },
  { id: 42, recursionDesired: false, udpSize: 100 },
];

const context = (transport: 'udp' | 'tcp', clientAddress = '10.0.0.1') => ({
  transport,
  clientAddress,
  clientPort: 5353,
});

async function answer(
  handler: QueryHandler,
  message: Buffer,
  transport: 'udp' | 'tcp' = 'udp',
  client?: string,
): Promise<Buffer> {
  const reply = await handler.handle(message, context(transport, client));
  if (!reply) throw new Error('no reply');
  return reply;
}

/** shop/big: a headless service with `count` ready endpoints, its answers too large for UDP. */
function bigHeadless(count: number): Service {
  const http = { name: 'http', protocol: 'TCP' as const, port: 80 };
  return {
    namespace: 'shop',
    name: 'big',
    type: 'Headless',
    clusterIPs: [],
    ports: [http],
    endpoints: Array.from({ length: count }, (_, i) => ({
      ip: `10.244.9.${i + 1}`,
      ready: true,
      ports: [http],
    })),
  };
}

/** The records' data, as a reader of the reply sees it. */
const dataOf = (records: AnyRecord[]) => records.map((record) => record.data);

// Every question the cluster-zone tests check, asked as written and in lower and upper case.
const questions = Object.values(cases).flatMap((rows) =>
  rows.flatMap(([name, type]) =>
    [...new Set([name, name.toLowerCase(), name.toUpperCase()])].map((asked) => [asked, type] as const),
  ),
);

describe('precompiled answers', () => {
  it('give the same bytes as the general path for every case of the cluster-zone table', async () => {
    const { fast, general, precompiled } = setup();
    let compared = 0;
    for (const [name, type] of questions) {
      for (const variant of VARIANTS) {
        for (const transport of ['udp', 'tcp'] as const) {
          for (const client of ['10.0.0.1', '192.0.2.9']) {
            const message = buildQuery(name, type, variant);
            const expected = await answer(general, message, transport, client);
            // Twice: the first asking compiles, the second is served from the store.
            expect(await answer(fast, message, transport, client), `${name} ${type}`).toEqual(expected);
            expect(await answer(fast, message, transport, client), `${name} ${type}`).toEqual(expected);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
    // The store really answered: most of those questions are served from it.
    expect(precompiled.compiled).toBeGreaterThan(50);
    expect(precompiled.hits).toBeGreaterThan(compared / 2);
  });

  it('serve a lower-case A question from the store, and its upper-case form too', async () => {
    const { fast, precompiled } = setup();
    await answer(fast, buildQuery('web.shop.svc.cluster.local', 'A', VARIANTS[0]!));
    const hits = precompiled.hits;
    await answer(fast, buildQuery('WEB.shop.svc.cluster.local', 'A', VARIANTS[2]!));
    expect(precompiled.hits).toBe(hits + 1);
    const reply = decodeReply(
      await answer(fast, buildQuery('WEB.shop.svc.cluster.local', 'A', VARIANTS[3]!)),
    );
    expect(reply.id).toBe(0xffff);
    expect(reply.answers.length).toBe(1);
    expect(reply.answers.map((record) => [record.name, record.data])).toEqual([
      ['WEB.shop.svc.cluster.local', '10.96.10.10'],
    ]);
  });

  it('answer a changed service from the table, not from what was compiled', async () => {
    const { fast, general, table } = setup();
    const ask = buildQuery('web.shop.svc.cluster.local', 'A', VARIANTS[0]!);
    await answer(fast, ask);
    const web = fixture.services.find((service) => service.name === 'web' && service.namespace === 'shop')!;
    const moved: Service = { ...web, clusterIPs: ['10.96.99.99'] };
    table.applyChanges('test', { services: new Map([['shop/web', moved]]) });
    const reply = await answer(fast, ask);
    expect(reply).toEqual(await answer(general, ask));
    expect(dataOf(decodeReply(reply).answers)).toEqual(['10.96.99.99']);
  });

  it('drop a compiled NXDOMAIN once the service it named is created', async () => {
    const { fast, table } = setup();
    const ask = buildQuery('new.shop.svc.cluster.local', 'A', VARIANTS[0]!);
    expect(decodeReply(await answer(fast, ask)).rcode).toBe('NXDOMAIN');
    expect(decodeReply(await answer(fast, ask)).rcode).toBe('NXDOMAIN');
    const created: Service = {
      namespace: 'shop',
      name: 'new',
      type: 'ClusterIP',
      clusterIPs: ['10.96.50.50'],
      ports: [],
      endpoints: [],
    };
    table.applyChanges('test', { services: new Map([['shop/new', created]]) });
    const reply = decodeReply(await answer(fast, ask));
    expect(reply.rcode).toBe('NOERROR');
    expect(dataOf(reply.answers)).toEqual(['10.96.50.50']);
  });

  it('hold negative answers that differ only in their name once, each served with its own name', async () => {
    const { fast, general, table, precompiled } = setup();
    // The search storm's shape: many missing names, most of one length.
    const names = Array.from(
      { length: 1000 },
      (_, i) => `miss-${String(i).padStart(4, '0')}.shop.svc.cluster.local`,
    );
    let replyBytes = 0;
    for (const name of names) {
      for (const type of ['A', 'AAAA'] as const) {
        const message = buildQuery(name, type, VARIANTS[0]!);
        const expected = await answer(general, message);
        expect(decodeReply(expected).rcode).toBe('NXDOMAIN');
        expect(await answer(fast, message), name).toEqual(expected);
        replyBytes += expected.length;
      }
    }
    expect(precompiled.size).toBe(2000);
    // Held under 2000 keys, yet in less than the 2000 replies' bytes.
    expect(precompiled.sizeBytes).toBeLessThan(replyBytes);
    // Served from the store, each with its own name, in any case.
    const hits = precompiled.hits;
    for (const name of [names[7]!, names[999]!.toUpperCase(), `Miss-0123.Shop.svc.cluster.local`]) {
      const message = buildQuery(name, 'A', VARIANTS[2]!);
      expect(await answer(fast, message), name).toEqual(await answer(general, message));
    }
    expect(precompiled.hits).toBe(hits + 3);
    // A service created under one of the names answers at once; the others stay NXDOMAIN.
    table.applyChanges('test', {
      services: new Map([
        [
          'shop/miss-0007',
          {
            namespace: 'shop',
            name: 'miss-0007',
            type: 'ClusterIP',
            clusterIPs: ['10.96.50.7'],
            ports: [],
            endpoints: [],
          },
        ],
      ]),
    });
    for (const name of [names[7]!, names[8]!]) {
      const message = buildQuery(name, 'A', VARIANTS[0]!);
      expect(await answer(fast, message), name).toEqual(await answer(general, message));
    }
    expect(dataOf(decodeReply(await answer(fast, buildQuery(names[7]!, 'A', VARIANTS[0]!))).answers)).toEqual(
      ['10.96.50.7'],
    );
  });

  it('keep an unrelated service compiled, with the SOA serial of the current table', async () => {
    const { fast, general, table, precompiled, advanceClock } = setup();
    const nodata = buildQuery('web.shop.svc.cluster.local', 'AAAA', VARIANTS[0]!);
    await answer(fast, nodata);
    advanceClock(5000);
    const other = fixture.services.find((service) => service.name === 'kubernetes')!;
    table.applyChanges('test', {
      services: new Map([['default/kubernetes', { ...other, clusterIPs: ['10.96.0.2'] }]]),
    });
    const hits = precompiled.hits;
    const reply = await answer(fast, nodata);
    expect(precompiled.hits).toBe(hits + 1);
    expect(reply).toEqual(await answer(general, nodata));
    const soa = decodeReply(reply).authorities[0]?.data as { serial: number };
    expect(soa.serial).toBe(table.current.version);
  });

  it('serve answers cut to the common UDP limits from the store, other cuts from the general path', async () => {
    const { fast, general, table, precompiled, advanceClock } = setup();
    // A headless service whose A answer (80 records) is over 1232 bytes.
    const big = bigHeadless(80);
    table.applyChanges('test', { services: new Map([['shop/big', big]]) });
    const tc = (reply: Buffer) => (decodeReply(reply).flags & 0x0200) !== 0;
    for (const [name, type] of [
      ['big.shop.svc.cluster.local', 'A'],
      ['BIG.shop.svc.cluster.local', 'A'],
      ['_http._tcp.big.shop.svc.cluster.local', 'SRV'],
    ] as const) {
      const entire = decodeReply(await answer(general, buildQuery(name, type, VARIANTS[0]!), 'tcp'));
      expect(entire.answers).toHaveLength(80);
      // Without EDNS (512 bytes), and with EDNS offering 1232 or 4096 (our 1232): each cut is
      // compiled on the first ask that needs it, and served from the store from then on.
      for (const variant of [VARIANTS[0]!, VARIANTS[1]!, VARIANTS[2]!, VARIANTS[3]!]) {
        const message = buildQuery(name, type, variant);
        const expected = await answer(general, message);
        expect(tc(expected), `${name} ${type} ${JSON.stringify(variant)}`).toBe(true);
        // The cut carries the first records of the whole answer, as many as fit: an A record is
        // 16 bytes, an SRV record with its uncompressed target 57.
        const kept = decodeReply(expected).answers;
        expect(kept.length, `${name} ${type} ${JSON.stringify(variant)}`).toBe(
          { A: variant.udpSize ? 73 : 29, SRV: variant.udpSize ? 20 : 8 }[type],
        );
        expect(dataOf(kept)).toEqual(dataOf(entire.answers.slice(0, kept.length)));
        expect(await answer(fast, message), `${name} ${type}`).toEqual(expected);
        const hits = precompiled.hits;
        expect(await answer(fast, message), `${name} ${type}`).toEqual(expected);
        expect(precompiled.hits, `${name} ${type} ${JSON.stringify(variant)}`).toBe(hits + 1);
      }
      // EDNS offering less than 512: cut to 512 less the OPT record, by the general path.
      const small = buildQuery(name, type, VARIANTS[4]!);
      const hits = precompiled.hits;
      expect(await answer(fast, small)).toEqual(await answer(general, small));
      expect(precompiled.hits).toBe(hits);
      // Over TCP, whole: compiled on its first ask too.
      const tcp = buildQuery(name, type, VARIANTS[0]!);
      expect(await answer(fast, tcp, 'tcp')).toEqual(await answer(general, tcp, 'tcp'));
      const before = precompiled.hits;
      const whole = await answer(fast, tcp, 'tcp');
      expect(tc(whole)).toBe(false);
      expect(precompiled.hits).toBe(before + 1);
    }
    // Each within its client's limit.
    expect(
      (await answer(fast, buildQuery('big.shop.svc.cluster.local', 'A', VARIANTS[0]!))).length,
    ).toBeLessThanOrEqual(512);
    expect(
      (await answer(fast, buildQuery('big.shop.svc.cluster.local', 'A', VARIANTS[3]!))).length,
    ).toBeLessThanOrEqual(1232);
    // A change to the service drops its cuts with it.
    table.applyChanges('test', {
      services: new Map([['shop/big', { ...big, endpoints: big.endpoints.slice(0, 3) }]]),
    });
    const after = await answer(fast, buildQuery('big.shop.svc.cluster.local', 'A', VARIANTS[0]!));
    expect(tc(after)).toBe(false);
    expect(decodeReply(after).answers).toHaveLength(3);

    // Past its allowance without a sync, a registry's names answer SERVFAIL, compiled or not.
    const web = buildQuery('web.shop.svc.cluster.local', 'A', VARIANTS[0]!);
    await answer(fast, web);
    table.expectBackend('test', 1000);
    table.markSynced('test');
    advanceClock(2000);
    const hits = precompiled.hits;
    expect(decodeReply(await answer(fast, web)).rcode).toBe('SERVFAIL');
    expect(precompiled.hits).toBe(hits);
  });

  it('hold a large answer asked only over plain UDP as its cut, not whole', async () => {
    const { fast, general, table, precompiled } = setup();
    table.applyChanges('test', { services: new Map([['shop/big', bigHeadless(80)]]) });
    const message = buildQuery('_http._tcp.big.shop.svc.cluster.local', 'SRV', VARIANTS[0]!);
    const cut = await answer(general, message);
    expect(cut.length).toBeLessThanOrEqual(512);
    const whole = await answer(general, message, 'tcp');
    expect(whole.length).toBeGreaterThan(1232);
    const before = precompiled.sizeBytes;
    await answer(fast, message);
    expect(precompiled.size).toBe(1);
    // The cut and the bookkeeping, not the whole answer no client asked for.
    expect(precompiled.sizeBytes - before).toBeLessThan(whole.length);
    const hits = precompiled.hits;
    expect(await answer(fast, message)).toEqual(cut);
    expect(precompiled.hits).toBe(hits + 1);
  });

  it('compile no NXDOMAIN when another link may answer it, and no shuffled address set', async () => {
    const { fast, precompiled } = setup({ negativeAnswers: false, rotatesAddresses: true });
    await answer(fast, buildQuery('nope.shop.svc.cluster.local', 'A', VARIANTS[0]!));
    await answer(fast, buildQuery('headless.shop.svc.cluster.local', 'A', VARIANTS[0]!));
    expect(precompiled.compiled).toBe(0);
    await answer(fast, buildQuery('web.shop.svc.cluster.local', 'A', VARIANTS[0]!));
    expect(precompiled.compiled).toBe(1);
  });

  it('stay within their bounds, oldest entries first out', async () => {
    const { table, cluster } = clusterOverFixture();
    const precompiled = storeFor(table, cluster, { maxEntries: 100, maxBytes: 40_000 });
    const handler = new QueryHandler({
      resolver: new ResolverChain([cluster]),
      logger: pino({ level: 'silent' }),
      counters: newCounters(),
      recursionAvailable: () => false,
      precompiled,
    });
    for (let i = 0; i < 5000; i++) {
      await answer(handler, buildQuery(`random-${i}.shop.svc.cluster.local`, 'A', VARIANTS[0]!));
      expect(precompiled.size).toBeLessThanOrEqual(100);
      expect(precompiled.sizeBytes).toBeLessThanOrEqual(40_000);
    }
    expect(precompiled.compiled).toBe(5000);
  });

  it('count each serving in the metrics that gave them their slots as the general path counts it', async () => {
    const { table, cluster } = clusterOverFixture();
    table.applyChanges('test', { services: new Map([['shop/big', bigHeadless(80)]]) });
    const newMetrics = () => new QueryMetrics(['cluster.local'], ['kubernetes']);
    const fastMetrics = newMetrics();
    const generalMetrics = newMetrics();
    const chain = new ResolverChain([cluster]);
    const precompiled = storeFor(table, cluster, { answerSlots: fastMetrics.answerSlots });
    const { fast, general } = fastAndGeneral(chain, precompiled, () => false);
    // A slot means something only in the metrics that gave it.
    expect(() => fast.recordTo(newMetrics().recorder('dns://:53', 4))).toThrow(
      /metrics its compiled answers/,
    );
    fast.recordTo(fastMetrics.recorder('dns://:53', 4));
    general.recordTo(generalMetrics.recorder('dns://:53', 4));
    const asked = [
      ['web.shop.svc.cluster.local', 'A'],
      ['_http._tcp.web.shop.svc.cluster.local', 'SRV'],
      ['missing.shop.svc.cluster.local', 'AAAA'],
      // Cut to fit UDP replies, to the limits compiled and to one that is not.
      ['big.shop.svc.cluster.local', 'A'],
    ] as const;
    for (let round = 0; round < 40; round++) {
      for (const [name, type] of asked) {
        for (const variant of VARIANTS) {
          for (const transport of ['udp', 'tcp'] as const) {
            await answer(fast, buildQuery(name, type, variant), transport);
            await answer(general, buildQuery(name, type, variant), transport);
          }
        }
      }
    }
    // All but the first round, less big's cut for a client offering under 512 bytes over UDP.
    expect(precompiled.hits).toBeGreaterThan(39 * (asked.length * VARIANTS.length * 2 - 1));
    const countsOf = (metrics: QueryMetrics) => {
      const samples = metrics.samples();
      // Durations differ from path to path; everything else must not.
      delete samples.coredns_dns_request_duration_seconds;
      return samples;
    };
    const counted = countsOf(fastMetrics);
    expect(counted).toEqual(countsOf(generalMetrics));
    const total = counted.coredns_dns_requests_total!.reduce((sum, sample) => sum + sample.value, 0);
    expect(total).toBe(40 * asked.length * VARIANTS.length * 2);
  });
});

describe('precompiled forwarded answers', () => {
  let upstream: Stub | undefined;
  let forwarder: Forwarder | undefined;
  afterEach(async () => {
    forwarder?.close();
    await upstream?.close();
  });

  it("give the bytes the forwarder's cache gives, TTLs counted down, while its entry is fresh", async () => {
    upstream = await startStub((query) => {
      const name = query.message.question[0]!.name;
      return name.startsWith('gone.')
        ? [reply(query, { rcode: Rcode.NXDOMAIN, authorities: [soa('example.com', 900, 40)] })]
        : [reply(query, { answers: [a(name, '192.0.2.1', 60), a(name, '192.0.2.2', 300)] })];
    });
    let now = 9_000_000;
    forwarder = new Forwarder({
      servers: [upstream.server],
      logger: pino({ level: 'silent' }),
      timeoutMs: 1000,
      cache: { now: () => now },
    });
    const { table, cluster } = clusterOverFixture();
    const policy = new AddressPolicy(['10.0.0.0/8']);
    const chain = new ResolverChain([cluster, new RecursionGate(policy, forwarder)]);
    const precompiled = storeFor(table, cluster, { forwarded: { link: 1, forwarder } });
    const { fast, general } = fastAndGeneral(chain, precompiled, (address) => policy.allows(address));
    const ask = async (name: string, options: QueryOptions, client = '10.0.0.1') => {
      const message = buildQuery(name, 'A', options);
      const viaStore = await answer(fast, message, 'udp', client);
      expect(viaStore, `${name} at ${now}`).toEqual(await answer(general, message, 'udp', client));
      return decodeReply(viaStore);
    };

    // The first asking goes upstream and fills the cache (its reply carries the upstream's own
    // TTLs); the next ones are compiled from the cache and served as the cache serves them.
    // (The DO bit is part of the cache key, so a DO query fills an entry of its own.)
    for (const name of ['www.example.com', 'gone.example.com']) {
      for (const variant of [VARIANTS[0]!, VARIANTS[3]!])
        await answer(general, buildQuery(name, 'A', variant), 'udp', '10.0.0.1');
    }
    await ask('www.example.com', VARIANTS[0]!);
    await ask('gone.example.com', VARIANTS[2]!);
    const hits = precompiled.hits;
    for (const seconds of [0, 0.4, 1, 1.7, 30, 59.9]) {
      now = 9_000_000 + seconds * 1000;
      for (const variant of VARIANTS) {
        const positive = await ask('www.example.com', variant);
        expect(positive.answers.map((record) => record.ttl)).toEqual([
          60 - Math.floor(seconds),
          60 - Math.floor(seconds),
        ]);
        if (seconds < 40) await ask('gone.example.com', variant);
      }
    }
    // Every asking but the first of each name and DO bit came from the store: 53 of the 55 above.
    expect(precompiled.hits - hits).toBe(53);
    // A client outside the recursion policy is refused, not served from the store.
    expect((await ask('www.example.com', VARIANTS[0]!, '192.0.2.50')).rcode).toBe('REFUSED');
    // Expired: asked upstream again, never served stale from the store.
    const asked = upstream.questions().length;
    now = 9_000_000 + 61_000;
    const refreshed = decodeReply(
      await answer(fast, buildQuery('www.example.com', 'A', VARIANTS[0]!), 'udp', '10.0.0.1'),
    );
    expect(upstream.questions().length).toBe(asked + 1);
    expect(refreshed.answers.map((record) => record.ttl)).toEqual([60, 300]);
  });
});

describe('precompiled answers of zone-scoped and topology-aware names', () => {
  /** Both options on, the store told which answers depend on the client, as the server builds it. */
  function awareSetup() {
    const { table, cluster } = clusterOverFixture(undefined, {
      pods: 'verified',
      zonal: true,
      topologyAware: true,
    });
    const precompiled = storeFor(table, cluster, {
      clientVariant: (service, address) => topologyChoice(table.current, service, address)?.variant,
    });
    return { table, precompiled, ...fastAndGeneral(new ResolverChain([cluster]), precompiled, () => false) };
  }

  const zonalQuestions = Object.values(zonalCases).flatMap((rows) =>
    rows.map(([name, type]) => [name, type] as const),
  );
  const clients = [
    ...new Set(Object.values(topologyCases).flatMap((rows) => rows.map(([client]) => client))),
  ];
  const awareQuestions = [
    ...new Set(
      Object.values(topologyCases).flatMap((rows) => rows.map(([, name, type]) => `${name} ${type}`)),
    ),
  ].map((question) => question.split(' ') as [string, string]);

  it('give every client the bytes the general path gives it, served from the store per variant', async () => {
    const { fast, general, precompiled } = awareSetup();
    let compared = 0;
    // Round after round, every client in turn: a variant compiled for one client must never be
    // served to another whose answer differs.
    for (let round = 0; round < 3; round++) {
      for (const client of clients) {
        for (const [name, type] of [...zonalQuestions, ...awareQuestions]) {
          const message = buildQuery(name, type as 'A', VARIANTS[0]);
          const expected = await answer(general, message, 'udp', client);
          expect(await answer(fast, message, 'udp', client), `${name} ${type} from ${client}`).toEqual(
            expected,
          );
          compared++;
        }
      }
    }
    expect(precompiled.hits).toBeGreaterThan(compared / 2);
  });

  it('hold one answer per variant, not per client', async () => {
    const { fast, precompiled } = awareSetup();
    const message = buildQuery('near.shop.svc.cluster.local', 'A', VARIANTS[0]);
    for (let round = 0; round < 2; round++)
      for (const client of clients) await answer(fast, message, 'udp', client);
    // Six clients, three variants: us-east-1a, us-east-1b, and every endpoint.
    expect(clients.length).toBe(6);
    expect(precompiled.size).toBe(3);
    expect(precompiled.hits).toBe(clients.length * 2 - 3);
  });

  it('follow a change of the service: no variant compiled before it is served after it', async () => {
    const { fast, general, table } = awareSetup();
    const message = buildQuery('near.shop.svc.cluster.local', 'A', VARIANTS[0]);
    for (const client of clients) await answer(fast, message, 'udp', client);
    // near-0 moves from us-east-1a to us-east-1c: a client in us-east-1a now gets every endpoint,
    // one in us-east-1c gets near-0, one in us-east-1b still its two.
    table.setContent('test', {
      ...fixture,
      services: fixture.services.map((service) =>
        service.name === 'near'
          ? {
              ...service,
              endpoints: service.endpoints.map((endpoint) =>
                endpoint.ip === '10.244.6.1' ? { ...endpoint, zone: 'us-east-1c' } : endpoint,
              ),
            }
          : service,
      ),
    });
    for (const client of clients) {
      expect(await answer(fast, message, 'udp', client)).toEqual(
        await answer(general, message, 'udp', client),
      );
    }
    const from = async (client: string) =>
      decodeReply(await answer(fast, message, 'udp', client)).answers.map((record) => record.data);
    expect(await from('10.244.1.50')).toEqual(['10.244.6.1', '10.244.6.2', '10.244.6.3']);
    expect(await from('10.244.9.50')).toEqual(['10.244.6.1']);
    expect(await from('10.244.3.50')).toEqual(['10.244.6.2', '10.244.6.3']);
  });
});
