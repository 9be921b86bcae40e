// The rewrite rules in front of a chain, with a stand-in for the chain that answers every question
// with a record named as it was asked (and a CNAME to a name under it): the rows of CoreDNS's
// plugin/rewrite name_test.go, ttl_test.go and setup_test.go, and the Go pattern syntax.
import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type Question } from '../../src/dns/types.js';
import { ResolverChain } from '../../src/resolve/chain.js';
import { RewritingChain } from '../../src/resolve/rewrite/rewrite.js';
import { parseRewriteRule } from '../../src/resolve/rewrite/rules.js';
import type { QueryContext } from '../../src/resolve/types.js';

const context: QueryContext = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5000 };

/** Answers `name A 10.0.0.1`, `name CNAME www.name` and an SOA, TTL 30, and keeps what it was asked. */
function echoChain() {
  const asked: Question[] = [];
  const chain = new ResolverChain([
    {
      resolve(question): Answer {
        asked.push(question);
        return {
          rcode: Rcode.NOERROR,
          authoritative: true,
          answers: [
            { name: question.name, ttl: 30, data: { type: 'A', address: '10.0.0.1' } },
            { name: question.name, ttl: 30, data: { type: 'CNAME', target: `www.${question.name}` } },
          ],
          authority: [],
          additional: [],
        };
      },
    },
  ]);
  return { chain, asked };
}

/** What the chain was asked, and the answer's owner name, CNAME target and TTL. */
function ask(rules: string[][], name: string, type: number = RRType.A, klass: number = RRClass.IN) {
  const { chain, asked } = echoChain();
  const rewriting = new RewritingChain(
    chain,
    rules.map((words) => parseRewriteRule(words)),
  );
  const answer = rewriting.resolve({ name, type, class: klass }, context) as Answer;
  const [address, cname] = answer.answers;
  return {
    asked: asked[0]!,
    owner: address!.name,
    target: cname!.data.type === 'CNAME' ? cname!.data.target : '',
    ttl: address!.ttl,
    rewrote: rewriting.rewrote,
  };
}

describe('name rules', () => {
  // [rule, asked, the name the chain is asked, the answer's owner name]
  const ROWS: [string, string, string, string][] = [
    // name_test.go TestRewriteNamePrefixSuffix / NoAutoAnswer: without answer, the rewritten name shows
    ['name prefix foo bar', 'foo.example.com', 'bar.example.com', 'bar.example.com'],
    ['name prefix foo. bar.', 'foo.example.com', 'bar.example.com', 'bar.example.com'],
    ['name suffix com org', 'foo.example.com', 'foo.example.org', 'foo.example.org'],
    ['name suffix .com .org', 'foo.example.com', 'foo.example.org', 'foo.example.org'],
    [
      'name suffix .ingress.coredns.rocks nginx.coredns.rocks',
      'coredns.ingress.coredns.rocks',
      'corednsnginx.coredns.rocks',
      'corednsnginx.coredns.rocks',
    ],
    // TestRewriteNameNoRewrite: the prefix and suffix are whole labels (FROM is made absolute)
    ['name prefix foo bar', 'coredns.foo', 'coredns.foo', 'coredns.foo'],
    ['name suffix com org', 'com.coredns', 'com.coredns', 'com.coredns'],
    ['name substring service svc', 'com.coredns', 'com.coredns', 'com.coredns'],
    // TestRewriteNamePrefixSuffixAutoAnswer
    ['name prefix foo bar answer auto', 'foo.example.com', 'bar.example.com', 'foo.example.com'],
    ['name suffix .com .org answer auto', 'foo.example.com', 'foo.example.org', 'foo.example.com'],
    [
      'name suffix .ingress.coredns.rocks nginx.coredns.rocks answer auto',
      'coredns.ingress.coredns.rocks',
      'corednsnginx.coredns.rocks',
      'coredns.ingress.coredns.rocks',
    ],
    // TestRewriteNameExactAnswer: an exact rule names the answer back with or without answer auto
    [
      'name exact coredns.rocks service.consul answer auto',
      'coredns.rocks',
      'service.consul',
      'coredns.rocks',
    ],
    ['name exact coredns.rocks service.consul', 'coredns.rocks', 'service.consul', 'coredns.rocks'],
    ['name coredns.rocks. service.consul.', 'coredns.rocks', 'service.consul', 'coredns.rocks'],
    ['name exact coredns.org. service.consul.', 'coredns.rocks', 'coredns.rocks', 'coredns.rocks'],
    // Matching is in lower case; the answer named back keeps the client's spelling
    ['name exact coredns.rocks service.consul', 'CoreDNS.Rocks', 'service.consul', 'CoreDNS.Rocks'],
    // The README's substring and regex examples
    [
      'name substring service.us-west-1.example.org service.us-west-1.consul',
      'ftp.service.us-west-1.example.org',
      'ftp.service.us-west-1.consul',
      'ftp.service.us-west-1.consul',
    ],
    [
      'name regex (.*)-(us-west-1)\\.example\\.org {1}.service.{2}.consul',
      'ftp-us-west-1.example.org',
      'ftp.service.us-west-1.consul',
      'ftp.service.us-west-1.consul',
    ],
    [
      'name regex (.*)-(us-west-1)\\.example\\.org {1}.service.{2}.consul answer auto',
      'FTP-us-west-1.example.org',
      'ftp.service.us-west-1.consul',
      'FTP-us-west-1.example.org',
    ],
    [
      'name regex (.*)-(us-west-1)\\.coredns\\.rocks {1}.service.{2}.consul answer name (.*)\\.service\\.(us-west-1)\\.consul {1}-{2}.coredns.rocks',
      'ftp-us-west-1.coredns.rocks',
      'ftp.service.us-west-1.consul',
      'ftp-us-west-1.coredns.rocks',
    ],
    // vcluster's: the pattern is not anchored, and TO is lower-cased and made absolute
    [
      'name regex .*\\.nodes\\.vcluster\\.com Kubernetes.default.svc.cluster.local',
      'worker-1.nodes.vcluster.com',
      'kubernetes.default.svc.cluster.local',
      'kubernetes.default.svc.cluster.local',
    ],
    [
      'name regex (?P<svc>[a-z]+)\\.legacy\\.corp {1}.shop.svc.cluster.local answer auto',
      'web.legacy.corp',
      'web.shop.svc.cluster.local',
      'web.legacy.corp',
    ],
    // Go's syntax where JavaScript's differs: POSIX classes, \A and \z
    [
      'name regex \\A([[:alpha:]]+)[[:digit:]]\\.legacy\\.corp\\.\\z {1}.shop.svc.cluster.local',
      'web1.legacy.corp',
      'web.shop.svc.cluster.local',
      'web.shop.svc.cluster.local',
    ],
  ];

  it.each(ROWS)('%s: %s asks %s, answers %s', (rule, name, rewritten, owner) => {
    const result = ask([rule.split(' ')], name);
    expect(result.asked.name).toBe(rewritten);
    expect(result.owner).toBe(owner);
    expect(result.rewrote).toBe(rewritten !== name);
  });

  it('names record values back: answer auto, and answer value', () => {
    // The CNAME target www.<rewritten> is under the rewritten name: answer auto maps it back too.
    expect(ask([['name', 'prefix', 'foo', 'bar', 'answer', 'auto']], 'foo.example.com').target).toBe(
      'www.foo.example.com',
    );
    expect(ask([['name', 'prefix', 'foo', 'bar']], 'foo.example.com').target).toBe('www.bar.example.com');
    expect(
      ask(
        [
          [
            'name',
            'prefix',
            'foo',
            'bar',
            'answer',
            'value',
            '(.*)\\.bar\\.example\\.com\\.',
            '{1}.coredns.rocks',
          ],
        ],
        'foo.example.com',
      ).target,
    ).toBe('www.coredns.rocks');
  });

  it('applies rules in order: stop (the default) ends the list at a match, continue goes on', () => {
    const rules = (first: string) => [
      [first, 'name', 'suffix', '.a.example', '.b.example'],
      ['name', 'suffix', '.b.example', '.c.example'],
    ];
    expect(ask(rules('stop'), 'x.a.example').asked.name).toBe('x.b.example');
    expect(ask(rules('continue'), 'x.a.example').asked.name).toBe('x.c.example');
    // Names are mapped back last rule first: each rule's answer auto undoes its own step.
    const both = [
      ['continue', 'name', 'suffix', '.a.example', '.b.example', 'answer', 'auto'],
      ['name', 'suffix', '.b.example', '.c.example', 'answer', 'auto'],
    ];
    expect(ask(both, 'x.a.example').owner).toBe('x.a.example');
  });

  it('fails the query, naming the name, when a rule makes no name (SERVFAIL, as CoreDNS)', () => {
    expect(() => ask([['name', 'example.org', 'example..org']], 'example.org')).toThrow(
      'rewrite: invalid name after rewrite: example..org.',
    );
    expect(() => ask([['name', 'regex', '(.*)', `{1}${'a'.repeat(64)}`]], 'x')).toThrow(
      'invalid name after rewrite',
    );
  });

  it('passes a name no rule matches to the chain as it came', () => {
    const result = ask([['name', 'exact', 'a.example', 'b.example']], 'C.Example');
    expect(result.asked).toEqual({ name: 'C.Example', type: RRType.A, class: RRClass.IN });
    expect(result.rewrote).toBe(false);
  });
});

describe('type, class and ttl rules', () => {
  it('rewrites the type and the class of the question', () => {
    expect(ask([['type', 'ANY', 'HINFO']], 'x.example', RRType.ANY).asked.type).toBe(13);
    expect(ask([['type', 'aaaa', 'a']], 'x.example', RRType.AAAA).asked.type).toBe(RRType.A);
    expect(ask([['type', 'AAAA', 'A']], 'x.example', RRType.MX).asked.type).toBe(RRType.MX);
    expect(ask([['class', 'CH', 'IN']], 'x.example', RRType.A, RRClass.CH).asked.class).toBe(RRClass.IN);
  });

  // ttl_test.go: a value, a range, and ranges open on either side
  const TTL_ROWS: [string, number][] = [
    ['ttl x.example 15', 15],
    ['ttl exact x.example 40-50', 40],
    ['ttl suffix .example -20', 20],
    ['ttl prefix x 35-', 35],
    ['ttl regex x\\..* 10-100', 30],
    ['ttl y.example 15', 30],
  ];

  it.each(TTL_ROWS)('%s: TTL %i', (rule, ttl) => {
    expect(ask([rule.split(' ')], 'x.example').ttl).toBe(ttl);
  });
});

describe('rules refused, with what is expected', () => {
  const ROWS: [string, string][] = [
    ['', 'no rule type specified for rewrite'],
    ['continue', 'continue rule must begin with a rule type'],
    ['name a.example', 'too few arguments for a name rule'],
    ['name wildcard a b', 'name rule supports only exact, prefix, suffix, substring, and regex'],
    [
      'name regex (.*)\\.a {1}{2}.b',
      'uses more subexpressions than its corresponding matching regex pattern',
    ],
    ['name regex (.*\\.a {1}.b', 'invalid regex matching pattern: (.*\\.a'],
    ['name regex a(?=b) c', 'regex "a(?=b)": (?=b... is not supported: Go has no look-around'],
    ['ttl regex (a)\\1 10', 'regex "(a)\\1": \\1: Go regular expressions have no backreferences'],
    ['name suffix .a .b answer', 'invalid arguments for suffix rule'],
    ['name suffix .a .b answer auto answer name (.*) x', 'auto name answer rule cannot be combined'],
    ['name suffix .a .b answer name (.*)', '2 arguments required'],
    ['name suffix .a .b answer lots', 'invalid type "lots" for answer rule'],
    ['answer name a b', 'response rewrites must begin with a name rule'],
    ['type A', 'type rules must have exactly two arguments'],
    ['type A NOPE', 'invalid type "NOPE"'],
    ['class IN XX', 'invalid class "XX"'],
    ['ttl x.example 20-10', "invalid TTL '20-10' for a ttl rule"],
    ['ttl x.example -', "invalid TTL '-' for a ttl rule"],
    [
      'edns0 local set 0xffee abcd',
      'edns0 rules are not supported by clusterdns; the rules it runs are name, type, class, ttl',
    ],
    ['cname regex (.*) x', 'cname rules are not supported by clusterdns'],
    ['rcode x.example SERVFAIL NOERROR', 'rcode rules are not supported by clusterdns'],
    ['stop nonsense a b', 'invalid rule type "nonsense"'],
  ];

  it.each(ROWS)('%s', (rule, message) => {
    expect(() => parseRewriteRule(rule === '' ? [] : rule.split(' '))).toThrow(message);
  });
});
