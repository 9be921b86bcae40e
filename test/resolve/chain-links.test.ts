// The chain links a Corefile brings: hosts entries, kubernetes fallthrough, loadbalance and
// forward's except list, each alone with a stand-in for the links around it.
import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type Question } from '../../src/dns/types.js';
import { FallthroughResolver } from '../../src/resolve/fallthrough.js';
import { ForwardExcept } from '../../src/resolve/forward-except.js';
import { HostsResolver, parseHosts } from '../../src/resolve/hosts/hosts.js';
import { LoadBalancedChain } from '../../src/resolve/load-balance.js';
import type { QueryContext, Resolver } from '../../src/resolve/types.js';

const context: QueryContext = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5000 };
const q = (name: string, type: number = RRType.A): Question => ({ name, type, class: RRClass.IN });
const lines = (answer: Answer | Promise<Answer> | undefined) => {
  if (answer === undefined || answer instanceof Promise) throw new Error('expected an answer now');
  return answer.answers.map(
    (r) =>
      `${r.name} ${r.data.type} ${'address' in r.data ? r.data.address : 'target' in r.data ? r.data.target : ''}`,
  );
};
const reply = (rcode: number, addresses: string[] = []): Answer => ({
  rcode,
  authoritative: true,
  answers: addresses.map((address) => ({ name: 'x', ttl: 5, data: { type: 'A', address } })),
  authority: [],
  additional: [],
});
const fixed = (answer: Answer | undefined): Resolver & { asked: number } => {
  const link = { asked: 0, resolve: () => (link.asked++, answer) };
  return link;
};

describe('hosts', () => {
  const hosts = new HostsResolver(
    parseHosts(
      '# gateway\n10.0.0.9 gateway.example gw\n10.0.0.10 gateway.example\nfd00::9 gateway.example\n',
      'hosts',
    ),
    60,
  );

  it('answers A, AAAA and PTR for its entries and passes other names on', () => {
    expect(lines(hosts.resolve(q('Gateway.Example')))).toEqual([
      'Gateway.Example A 10.0.0.9',
      'Gateway.Example A 10.0.0.10',
    ]);
    expect(lines(hosts.resolve(q('gateway.example', RRType.AAAA)))).toEqual(['gateway.example AAAA fd00::9']);
    expect(lines(hosts.resolve(q('gw')))).toEqual(['gw A 10.0.0.9']);
    expect(lines(hosts.resolve(q('9.0.0.10.in-addr.arpa', RRType.PTR)))).toEqual([
      '9.0.0.10.in-addr.arpa PTR gateway.example',
    ]);
    const mx = hosts.resolve(q('gateway.example', RRType.MX));
    expect(mx).toMatchObject({ rcode: Rcode.NOERROR, answers: [] }); // NODATA: the name exists
    expect(hosts.resolve(q('other.example'))).toBeUndefined();
    expect((hosts.resolve(q('gw')) as Answer).answers[0]!.ttl).toBe(60);
  });

  // CoreDNS's hosts.go: outside its zones, and a reverse name not listed, always pass on; a name of
  // its zones not listed passes on under fallthrough, and is SERVFAIL otherwise.
  const entries = parseHosts('10.0.0.9 gw.example.org\n', 'hosts');
  const outcome = (answer: Answer | Promise<Answer> | undefined) =>
    answer === undefined ? 'next' : (answer as Answer).answers.length ? 'answer' : (answer as Answer).rcode;
  it.each([
    [['.'], [], 'gw.example.org', RRType.A, 'answer'],
    [['.'], [], 'other.example.org', RRType.A, Rcode.SERVFAIL],
    [['.'], [], '1.0.0.10.in-addr.arpa', RRType.PTR, 'next'],
    [['example.org'], [], 'www.example.com', RRType.A, 'next'],
    [['example.org'], [], 'www.example.org', RRType.A, Rcode.SERVFAIL],
    [['example.org'], ['example.org'], 'www.example.org', RRType.A, 'next'],
    [['.'], ['example.org'], 'www.example.com', RRType.A, Rcode.SERVFAIL],
    [['.'], ['.'], 'www.example.com', RRType.A, 'next'],
    [['example.org'], [], 'gw.example.org', RRType.MX, Rcode.NOERROR],
  ])('zones %j, fallthrough %j: %s type %i is %s', (zones, fallthrough, name, type, expected) => {
    const scoped = new HostsResolver(entries, 60, { zones, fallthrough });
    expect(outcome(scoped.resolve(q(name, type)))).toBe(expected);
  });

  it('names the source and line of a malformed entry', () => {
    expect(() => parseHosts('10.0.0.1 a\nnot-an-ip b\n', '/etc/extra')).toThrow(
      '/etc/extra line 2: "not-an-ip b": expected IP NAME...',
    );
  });
});

describe('fallthrough', () => {
  it('passes NXDOMAIN of the listed zones on, and keeps it when nothing further answers', () => {
    const next = fixed(reply(Rcode.NOERROR, ['192.0.2.1']));
    const link = new FallthroughResolver(fixed(reply(Rcode.NXDOMAIN)), next, ['in-addr.arpa']);
    expect(lines(link.resolve(q('1.2.0.192.in-addr.arpa', RRType.PTR), context))).toEqual(['x A 192.0.2.1']);
    expect((link.resolve(q('nope.svc.cluster.local'), context) as Answer).rcode).toBe(Rcode.NXDOMAIN);
    expect(next.asked).toBe(1);
    const nothing = new FallthroughResolver(fixed(reply(Rcode.NXDOMAIN)), fixed(undefined), ['.']);
    expect((nothing.resolve(q('a.b'), context) as Answer).rcode).toBe(Rcode.NXDOMAIN);
  });

  it('leaves answers that exist, and names outside the inner link, alone', () => {
    const next = fixed(reply(Rcode.NOERROR, ['192.0.2.1']));
    expect(
      lines(
        new FallthroughResolver(fixed(reply(Rcode.NOERROR, ['10.0.0.1'])), next, ['.']).resolve(
          q('a'),
          context,
        ),
      ),
    ).toEqual(['x A 10.0.0.1']);
    expect(new FallthroughResolver(fixed(undefined), next, ['.']).resolve(q('a'), context)).toBeUndefined();
    expect(next.asked).toBe(0);
  });
});

describe('loadbalance', () => {
  it('rotates the address records of successive answers, CNAMEs first', () => {
    const answer = reply(Rcode.NOERROR, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    answer.answers.unshift({ name: 'x', ttl: 5, data: { type: 'CNAME', target: 'y' } });
    const link = new LoadBalancedChain([fixed(undefined), fixed(answer)]);
    const firsts = [0, 1, 2, 3].map((_) => lines(link.resolve(q('x'), context)));
    expect(firsts.map((l) => l[0])).toEqual(['x CNAME y', 'x CNAME y', 'x CNAME y', 'x CNAME y']);
    expect(firsts.map((l) => l[1])).toEqual(['x A 10.0.0.1', 'x A 10.0.0.2', 'x A 10.0.0.3', 'x A 10.0.0.1']);
    expect(firsts.every((l) => [...l].sort().join() === [...firsts[0]!].sort().join())).toBe(true);
    expect(link.answeredBy).toBe(1); // the link that answered, for the metrics' plugin label
  });
});

describe('forward except', () => {
  it('refuses names under the excepted zones and passes the rest on', () => {
    const link = new ForwardExcept(['example.com']);
    expect(link.resolve(q('www.Example.com'))?.rcode).toBe(Rcode.REFUSED);
    expect(link.resolve(q('example.org'))).toBeUndefined();
  });
});
