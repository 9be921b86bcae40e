// dns64 in front of a chain whose one link answers AAAA and A from a table: the cases of CoreDNS's
// plugin/dns64/dns64_test.go (TestDNS64, TestRequestShouldIntercept, TestResponseShould, TestTo6),
// the RFC 6052 §2.4 examples of every prefix length, and which answers may be compiled.
import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type ResourceRecord } from '../../src/dns/types.js';
import { ResolverChain } from '../../src/resolve/chain.js';
import { Dns64Chain, embedIPv4, parseDns64Prefix, type Dns64Options } from '../../src/resolve/dns64/dns64.js';

const NAME = 'example.com';
const a = (address: string, ttl: number, name = NAME): ResourceRecord => ({
  name,
  ttl,
  data: { type: 'A', address },
});
const aaaa = (address: string, ttl: number): ResourceRecord => ({
  name: NAME,
  ttl,
  data: { type: 'AAAA', address },
});
const cname = (name: string, target: string): ResourceRecord => ({
  name,
  ttl: 30,
  data: { type: 'CNAME', target },
});
const soa = (ttl: number): ResourceRecord => ({
  name: NAME,
  ttl,
  data: { type: 'SOA', mname: 'foo', rname: 'bar', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 },
});
const reply = (rcode: number, answers: ResourceRecord[], authority: ResourceRecord[] = []): Answer => ({
  rcode,
  authoritative: true,
  answers,
  authority,
  additional: [],
});

/** A chain answering AAAA and A from the row, synchronously or after a turn of the event loop. */
function chainOf(answers: { aaaa: Answer; a?: Answer }, wait: boolean) {
  const asked: string[] = [];
  const chain = new ResolverChain([
    {
      resolve(question) {
        asked.push(question.type === RRType.A ? 'A' : 'AAAA');
        const answer = question.type === RRType.A ? answers.a : answers.aaaa;
        if (!answer) throw new Error(`no ${question.type} answer in this row`);
        return wait ? new Promise<Answer>((resolve) => setImmediate(() => resolve(answer))) : answer;
      },
    },
  ]);
  return { chain, asked };
}

const summary = (answer: Answer) =>
  [
    Object.entries(Rcode).find(([, code]) => code === answer.rcode)![0] +
      (answer.truncated ? ' tc' : '') +
      (answer.authoritative ? ' aa' : ''),
    ...answer.answers.map((r) => {
      const data = r.data;
      const value = 'address' in data ? data.address : 'target' in data ? data.target : '';
      return `${r.name} ${r.ttl} ${data.type} ${value}`;
    }),
    ...answer.authority.map((r) => `auth ${r.data.type} ${r.ttl}`),
  ].join(' | ');

const DEFAULTS: Dns64Options = { prefix: '64:ff9b::/96', translateAll: false, allowIPv4: false };

interface Row {
  name: string;
  client?: string;
  options?: Partial<Dns64Options>;
  type?: number;
  klass?: number;
  aaaa: Answer;
  a?: Answer;
  expected: string;
  /** Whether the chain was asked for A after the question. */
  askedA: boolean;
}

const TWO_A = reply(Rcode.NOERROR, [a('192.0.2.42', 60), a('192.0.2.43', 5000)]);

const ROWS: Row[] = [
  // dns64_test.go TestDNS64
  {
    name: 'standard flow: each TTL the least of the A record and the SOA',
    aaaa: reply(Rcode.NOERROR, [], [soa(70)]),
    a: TWO_A,
    expected: `NOERROR | ${NAME} 60 AAAA 64:ff9b::c000:22a | ${NAME} 70 AAAA 64:ff9b::c000:22b`,
    askedA: true,
  },
  {
    name: 'a empty: the A answer, empty',
    aaaa: reply(Rcode.NOERROR, [], [soa(3600)]),
    a: reply(Rcode.NOERROR, [], [soa(3600)]),
    expected: 'NOERROR | auth SOA 3600',
    askedA: true,
  },
  {
    name: 'non-nxdomain error: counts as empty; no SOA caps TTLs at 600',
    aaaa: reply(Rcode.REFUSED, []),
    a: TWO_A,
    expected: `NOERROR | ${NAME} 60 AAAA 64:ff9b::c000:22a | ${NAME} 600 AAAA 64:ff9b::c000:22b`,
    askedA: true,
  },
  {
    name: 'nxdomain: passes through, A never asked',
    aaaa: reply(Rcode.NXDOMAIN, [], [soa(3600)]),
    expected: 'NXDOMAIN aa | auth SOA 3600',
    askedA: false,
  },
  {
    name: 'AAAA record: passes through',
    aaaa: reply(Rcode.NOERROR, [aaaa('::1', 60), aaaa('::2', 5000)]),
    expected: `NOERROR aa | ${NAME} 60 AAAA ::1 | ${NAME} 5000 AAAA ::2`,
    askedA: false,
  },
  {
    name: 'truncated A response: the reply is truncated too',
    aaaa: reply(Rcode.NOERROR, [], [soa(70)]),
    a: { ...TWO_A, truncated: true },
    expected: `NOERROR tc | ${NAME} 60 AAAA 64:ff9b::c000:22a | ${NAME} 70 AAAA 64:ff9b::c000:22b`,
    askedA: true,
  },
  // TestRequestShouldIntercept
  {
    name: 'an IPv4 client: no synthesis',
    client: '127.0.0.1',
    aaaa: reply(Rcode.NOERROR, [], [soa(70)]),
    expected: 'NOERROR aa | auth SOA 70',
    askedA: false,
  },
  {
    name: 'an IPv4 client on a dual-stack socket: no synthesis',
    client: '::ffff:127.0.0.1',
    aaaa: reply(Rcode.NOERROR, [], [soa(70)]),
    expected: 'NOERROR aa | auth SOA 70',
    askedA: false,
  },
  {
    name: 'an IPv4 client with allow_ipv4: synthesis',
    client: '127.0.0.1',
    options: { allowIPv4: true },
    aaaa: reply(Rcode.NOERROR, [], [soa(70)]),
    a: TWO_A,
    expected: `NOERROR | ${NAME} 60 AAAA 64:ff9b::c000:22a | ${NAME} 70 AAAA 64:ff9b::c000:22b`,
    askedA: true,
  },
  {
    name: 'an A question: untouched',
    type: RRType.A,
    aaaa: reply(Rcode.NOERROR, []),
    a: TWO_A,
    expected: `NOERROR aa | ${NAME} 60 A 192.0.2.42 | ${NAME} 5000 A 192.0.2.43`,
    askedA: false,
  },
  {
    name: 'an AAAA question of class CH: untouched (RFC 6147 §5.1)',
    klass: RRClass.CH,
    aaaa: reply(Rcode.NOERROR, []),
    expected: 'NOERROR aa',
    askedA: false,
  },
  // TestResponseShould: translate_all
  {
    name: 'translate_all: AAAA records dropped for synthesized ones',
    options: { translateAll: true },
    aaaa: reply(Rcode.NOERROR, [aaaa('::1', 60)]),
    a: TWO_A,
    expected: `NOERROR | ${NAME} 60 AAAA 64:ff9b::c000:22a | ${NAME} 600 AAAA 64:ff9b::c000:22b`,
    askedA: true,
  },
  {
    name: 'translate_all: NXDOMAIN still passes through',
    options: { translateAll: true },
    aaaa: reply(Rcode.NXDOMAIN, [], [soa(30)]),
    expected: 'NXDOMAIN aa | auth SOA 30',
    askedA: false,
  },
  // RFC 6147 §5.3.3: the A answer's other records stay; the AAAA is the CNAME target's.
  {
    name: 'a CNAME to an IPv4-only name: the CNAME kept, the target synthesized',
    aaaa: reply(Rcode.NOERROR, [cname(NAME, 'web.example.net')], [soa(300)]),
    a: reply(Rcode.NOERROR, [cname(NAME, 'web.example.net'), a('198.51.100.7', 120, 'web.example.net')]),
    expected: `NOERROR | ${NAME} 30 CNAME web.example.net | web.example.net 120 AAAA 64:ff9b::c633:6407`,
    askedA: true,
  },
  // Where clusterdns differs: an A answer that failed leaves the AAAA answer as it was.
  {
    name: 'the A question fails: the AAAA answer as it was',
    aaaa: reply(Rcode.REFUSED, []),
    a: reply(Rcode.SERVFAIL, []),
    expected: 'REFUSED aa',
    askedA: true,
  },
  {
    name: 'a custom /64 prefix skips the u-octet',
    options: { prefix: '2001:db8:122:344::/64' },
    aaaa: reply(Rcode.NOERROR, [], [soa(70)]),
    a: reply(Rcode.NOERROR, [a('192.0.2.33', 10)]),
    expected: `NOERROR | ${NAME} 10 AAAA 2001:db8:122:344:c0:2:2100:0`,
    askedA: true,
  },
];

describe('dns64', () => {
  for (const wait of [false, true]) {
    describe(wait ? 'a chain that waits' : 'a chain answering at once', () => {
      it.each(ROWS)('$name', async (row) => {
        const { chain, asked } = chainOf(row, wait);
        const dns64 = new Dns64Chain(chain, { ...DEFAULTS, ...row.options });
        const answer = await dns64.resolve(
          { name: NAME, type: row.type ?? RRType.AAAA, class: row.klass ?? RRClass.IN },
          { transport: 'udp', clientAddress: row.client ?? '::1', clientPort: 5300 },
        );
        expect(summary(answer)).toBe(row.expected);
        const question = row.type === RRType.A ? 'A' : 'AAAA';
        expect(asked).toEqual(row.askedA ? [question, 'A'] : [question]);
        expect(dns64.answeredBy).toBe(0);
      });
    });
  }

  // Compiled answers are served to every client, until the table changes: a dns64 answer, or one
  // dns64 would synthesize for another client, must not be compiled (answers/precompiled.ts).
  it.each([
    ['an AAAA answer with records', reply(Rcode.NOERROR, [aaaa('::1', 60)]), {}, '::1', false],
    ['NXDOMAIN', reply(Rcode.NXDOMAIN, [], [soa(30)]), {}, '::1', false],
    ['NODATA, synthesized', reply(Rcode.NOERROR, [], [soa(30)]), {}, '::1', true],
    [
      'NODATA to an IPv4 client (an IPv6 one gets synthesis)',
      reply(Rcode.NOERROR, []),
      {},
      '127.0.0.1',
      true,
    ],
    [
      'records, under translate_all',
      reply(Rcode.NOERROR, [aaaa('::1', 60)]),
      { translateAll: true },
      '::1',
      true,
    ],
  ] as const)('%s: compiled %s', (_, answer, options, clientAddress, notCompiled) => {
    const { chain } = chainOf({ aaaa: answer, a: TWO_A }, false);
    const dns64 = new Dns64Chain(chain, { ...DEFAULTS, ...options });
    dns64.resolve(
      { name: NAME, type: RRType.AAAA, class: RRClass.IN },
      {
        transport: 'udp',
        clientAddress,
        clientPort: 5300,
      },
    );
    expect(dns64.rewrote).toBe(notCompiled);
  });

  it('never compiles an AAAA answer that waited (it is known only later)', () => {
    const { chain } = chainOf({ aaaa: reply(Rcode.NOERROR, [aaaa('::1', 60)]) }, true);
    const dns64 = new Dns64Chain(chain, DEFAULTS);
    void dns64.resolve(
      { name: NAME, type: RRType.AAAA, class: RRClass.IN },
      {
        transport: 'udp',
        clientAddress: '::1',
        clientPort: 5300,
      },
    );
    expect(dns64.rewrote).toBe(true);
  });
});

describe('embedding an IPv4 address (RFC 6052 §2.2)', () => {
  it.each([
    // TestTo6
    ['64:ff9b::/96', '64.64.64.64', '64:ff9b::4040:4040'],
    ['64:ff9b::/64', '64.64.64.64', '64:ff9b::40:4040:4000:0'],
    ['64:ff9b::/56', '64.64.64.64', '64:ff9b:0:40:40:4040::'],
    ['64::/32', '64.64.64.64', '64:0:4040:4040::'],
    // RFC 6052 §2.4's table, 192.0.2.33 under each length
    ['2001:db8::/32', '192.0.2.33', '2001:db8:c000:221::'],
    ['2001:db8:100::/40', '192.0.2.33', '2001:db8:1c0:2:21::'],
    ['2001:db8:122::/48', '192.0.2.33', '2001:db8:122:c000:2:2100::'],
    ['2001:db8:122:300::/56', '192.0.2.33', '2001:db8:122:3c0:0:221::'],
    ['2001:db8:122:344::/64', '192.0.2.33', '2001:db8:122:344:c0:2:2100:0'],
    ['2001:db8:122:344::/96', '192.0.2.33', '2001:db8:122:344::c000:221'],
    // Bits past the length are dropped, as net.ParseCIDR drops them.
    ['64:ff9b::1:2/96', '10.0.0.1', '64:ff9b::a00:1'],
  ])('%s with %s is %s', (prefix, ipv4, expected) => {
    expect(embedIPv4(parseDns64Prefix(prefix), ipv4)).toBe(expected);
  });

  it.each(['64:ff9b::/95', '64:ff9b::/128', '64:ff9b::/24', '10.0.0.0/8', 'zz::/96', '64:ff9b::', ''])(
    'refuses the prefix %j, saying what it expected',
    (prefix) => {
      expect(() => parseDns64Prefix(prefix)).toThrow(
        /expected an IPv6 prefix of length 32, 40, 48, 56, 64, 96/,
      );
    },
  );
});
