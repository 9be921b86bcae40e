// The template link alone (CoreDNS's plugin/template/template.go semantics), and the pieces it is
// made of: Go regexes as RegExps, the Go-template subset, and zone-file record text.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type Question } from '../../../src/dns/types.js';
import {
  compileTemplate,
  executeTemplate,
  type TemplateData,
} from '../../../src/resolve/template/go-template.js';
import { TemplateResolver } from '../../../src/resolve/template/resolver.js';
import { parseRecordText } from '../../../src/resolve/template/rr-text.js';
import type { TemplateSpec } from '../../../src/resolve/template/spec.js';
import type { QueryContext, Resolver } from '../../../src/resolve/types.js';

const context: QueryContext = { transport: 'udp', clientAddress: '192.0.2.1', clientPort: 5000 };

describe('Go templates', () => {
  const data: TemplateData = {
    name: 'ip-10-1-2-3.example.',
    zone: 'example.',
    class: 'IN',
    type: 'A',
    remote: '192.0.2.1',
    regex: '^ip-(?P<b>.*)',
    match: ['ip-10-1-2-3.example.', '10', ''],
    group: new Map([
      ['0', 'ip-10-1-2-3.example.'],
      ['1', '10'],
      ['b', '10'],
    ]),
  };
  it.each([
    ['{{ .Name }} 60 {{ .Class }} {{ .Type }} x', 'ip-10-1-2-3.example. 60 IN A x'],
    ['{{.Zone}}|{{ .Remote }}|{{ .Regex }}', 'example.|192.0.2.1|^ip-(?P<b>.*)'],
    ['{{ .Group.b }}.{{ index .Group "1" }}.{{ index .Match 1 }}.[{{ index .Match 2 }}]', '10.10.10.[]'],
    ['a {{- .Group.b -}} b', 'a10b'],
    ['x{{/* a comment */}}y', 'xy'],
    // Go prints a missing map key as <no value> (text/template's default).
    ['{{ .Group.nope }}', '<no value>'],
  ])('%s', (text, out) => {
    expect(executeTemplate(compileTemplate(text), data)).toBe(out);
  });

  it('fails, as Go does, on a match index out of range', () => {
    expect(() => executeTemplate(compileTemplate('{{ index .Match 3 }}'), data)).toThrow('out of range');
  });

  it.each([
    '{{ parseInt .Group.b 16 8 }}',
    '{{ .Message }}',
    '{{ $x := 1 }}',
    '{{ if .Name }}x{{ end }}',
    '{{ .Name | printf "%s" }}',
  ])('refuses %s', (text) => {
    expect(() => compileTemplate(text)).toThrow(`${text.slice(0, text.indexOf('}}') + 2)} is not supported`);
  });
});

describe('record text', () => {
  it.each([
    ['a.example. 60 IN A 10.1.2.3', { name: 'a.example', ttl: 60, data: { type: 'A', address: '10.1.2.3' } }],
    // TTL and class in either order, or left out (TTL 3600, class IN); names relative to the root.
    [
      'a.example IN 60 AAAA fd00::1',
      { name: 'a.example', ttl: 60, data: { type: 'AAAA', address: 'fd00::1' } },
    ],
    [
      'foogle.com CNAME google.com',
      { name: 'foogle.com', ttl: 3600, data: { type: 'CNAME', target: 'google.com' } },
    ],
    [
      'x. 5 CH TXT "a b" c',
      { name: 'x', ttl: 5, class: RRClass.CH, data: { type: 'TXT', texts: ['a b', 'c'] } },
    ],
    ['x. 5 TXT "say \\"hi\\"\\033"', { name: 'x', ttl: 5, data: { type: 'TXT', texts: ['say "hi"!'] } }],
    [
      'm. 1h MX 10 mail.m.',
      { name: 'm', ttl: 3600, data: { type: 'MX', preference: 10, exchange: 'mail.m' } },
    ],
    [
      '_x._tcp.s. 60 IN SRV 0 100 8080 t.s.',
      {
        name: '_x._tcp.s',
        ttl: 60,
        data: { type: 'SRV', priority: 0, weight: 100, port: 8080, target: 't.s' },
      },
    ],
    ['@ 60 NS ns0.example.', { name: '', ttl: 60, data: { type: 'NS', target: 'ns0.example' } }],
    [
      'invalid. 60 IN SOA ns.invalid. hostmaster.invalid. (1 60\n 60 60 60) ; negative TTL 60',
      {
        name: 'invalid',
        ttl: 60,
        data: {
          type: 'SOA',
          mname: 'ns.invalid',
          rname: 'hostmaster.invalid',
          serial: 1,
          refresh: 60,
          retry: 60,
          expire: 60,
          minimum: 60,
        },
      },
    ],
    [
      '7.2.0.192.in-addr.arpa. 60 PTR ip-192-0-2-7.example.',
      { name: '7.2.0.192.in-addr.arpa', ttl: 60, data: { type: 'PTR', target: 'ip-192-0-2-7.example' } },
    ],
  ])('%s', (text, record) => {
    expect(parseRecordText(text)).toEqual(record);
  });

  it.each([
    ['a. 60 IN A 10.1.2', 'is not an IPv4 address'],
    ['a. 60 IN A <no value>.1.2.3', 'A: expected an IPv4 address, got 2 fields'],
    ['a. 60 IN AAAA 10.0.0.1', 'is not an IPv6 address'],
    ['a. 60 IN MX 70000 b.', 'expected a number from 0 to 65535'],
    ['a. 60 IN HINFO x y', 'type "HINFO" is not one clusterdns answers from a template'],
    ['a. 60 IN', 'no record type'],
    [`${'x'.repeat(64)}. 60 A 10.0.0.1`, 'not a domain name'],
    ['a. 60 SOA ns. h. (1 2 3 4 5', '"(" without ")"'],
    ['a. 60 A 10.0.0.1\nb. 60 A 10.0.0.2', 'more than one line'],
  ])('refuses %j', (text, message) => {
    expect(() => parseRecordText(text)).toThrow(message);
  });
});

describe('the template link', () => {
  const spec = (parts: Partial<TemplateSpec>): TemplateSpec => ({
    qclass: RRClass.IN,
    qtype: RRType.A,
    zones: ['.'],
    match: [],
    answer: [],
    additional: [],
    authority: [],
    rcode: Rcode.NOERROR,
    ...parts,
  });
  const q = (name: string, type: number = RRType.A, qclass: number = RRClass.IN): Question => ({
    name,
    type,
    class: qclass,
  });
  const link = (specs: TemplateSpec[], chain: Resolver = { resolve: () => undefined }) =>
    new TemplateResolver(specs, { logger: pino({ level: 'silent' }), chain: () => chain });
  const outcome = (answer: Answer | Promise<Answer> | undefined) => {
    if (answer instanceof Promise) throw new Error('expected an answer now');
    if (answer === undefined) return 'next';
    const records = answer.answers.map((r) =>
      `${r.name} ${r.data.type} ${'address' in r.data ? r.data.address : ''}`.trim(),
    );
    return [Object.keys(Rcode).find((k) => Rcode[k as keyof typeof Rcode] === answer.rcode), ...records].join(
      ' | ',
    );
  };

  const aks = [
    spec({
      qclass: RRClass.ANY,
      qtype: RRType.ANY,
      zones: ['internal.cloudapp.net'],
      match: ['^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$'],
      rcode: Rcode.NXDOMAIN,
      fallthrough: ['.'],
    }),
    spec({ qclass: RRClass.ANY, qtype: RRType.ANY, zones: ['reddog.microsoft.com'], rcode: Rcode.NXDOMAIN }),
  ];
  const synthetic = spec({
    zones: ['example'],
    match: [
      '^ip-(?P<a>[0-9]+)-(?P<b>[0-9]+)[.]example[.]$',
      '^(?P<a>[0-9]+)[.](?P<b>[0-9]+)[.]ext[.]example[.]$',
    ],
    answer: ['{{ .Name }} 60 IN A 10.0.{{ .Group.a }}.{{ .Group.b }}'],
  });

  it.each([
    // Outside every template's zones: on down the chain at once.
    [aks, q('web.shop.svc.cluster.local'), 'next'],
    [aks, q('A.B.C.D.Internal.Cloudapp.Net', RRType.AAAA), 'NXDOMAIN'],
    [aks, q('vm1.internal.cloudapp.net'), 'next'],
    [aks, q('x.reddog.microsoft.com', RRType.TXT, RRClass.CH), 'NXDOMAIN'],
    // The first regex that matches answers; the names each gives its groups.
    [[synthetic], q('ip-1-2.example'), 'NOERROR | ip-1-2.example A 10.0.1.2'],
    [[synthetic], q('3.4.ext.example'), 'NOERROR | 3.4.ext.example A 10.0.3.4'],
    // Go's syntax where JavaScript's differs: a leading flag, POSIX classes, \A and \z.
    [
      [
        spec({
          zones: ['example'],
          match: ['(?i)\\AIP-(?P<a>[[:digit:]]+)-(?P<b>[[:digit:]]+)\\.example\\.\\z'],
          answer: synthetic.answer,
        }),
      ],
      q('ip-5-6.example'),
      'NOERROR | ip-5-6.example A 10.0.5.6',
    ],
    // No regex matches and no fallthrough: SERVFAIL, as CoreDNS answers.
    [[synthetic], q('other.example'), 'SERVFAIL'],
    // Another type or class: the template is skipped.
    [[synthetic], q('ip-1-2.example', RRType.AAAA), 'next'],
    [[synthetic], q('ip-1-2.example', RRType.A, RRClass.CH), 'next'],
    // fallthrough ZONES: only names in them go on.
    [[spec({ zones: ['example'], match: ['^x'], fallthrough: ['a.example'] })], q('y.a.example'), 'next'],
    [[spec({ zones: ['example'], match: ['^x'], fallthrough: ['a.example'] })], q('y.b.example'), 'SERVFAIL'],
    // Templates in order: a skipped one leaves the question to the next.
    [
      [spec({ zones: ['example'], match: ['^x'], fallthrough: ['.'] }), spec({ rcode: Rcode.REFUSED })],
      q('y.example'),
      'REFUSED',
    ],
    [[spec({ rcode: Rcode.SERVFAIL })], q('any.thing'), 'SERVFAIL'],
    // A record that does not parse: SERVFAIL.
    [[spec({ answer: ['{{ .Name }} 60 IN A {{ .Group.nope }}'] })], q('a.b'), 'SERVFAIL'],
    [
      [spec({ answer: ['{{ .Name }} 60 IN A {{ .Remote }}'] })],
      q('Mixed.Case'),
      'NOERROR | mixed.case A 192.0.2.1',
    ],
    // The root is a name too.
    [
      [spec({ qtype: RRType.NS, answer: ['{{ .Name }} 60 NS {{ .Zone }}'] })],
      q('', RRType.NS),
      'NOERROR | NS',
    ],
  ])('%#: %j', (specs, question, expected) => {
    expect(outcome(link(specs).resolve(question, context))).toBe(expected);
  });

  it('gives .Zone the longest zone and .Type and .Class the question, or for ANY the template, ones', () => {
    const answer = link([
      spec({
        qclass: RRClass.ANY,
        qtype: RRType.TXT,
        zones: ['example', 'a.example'],
        answer: ['x. 1 TXT {{ .Zone }} {{ .Class }} {{ .Type }}'],
      }),
    ]).resolve(q('b.a.example', RRType.TXT, RRClass.ANY), context) as Answer;
    expect(answer.answers[0]!.data).toEqual({ type: 'TXT', texts: ['a.example.', 'ANY', 'TXT'] });
  });

  it('follows a CNAME for an A question once through the chain, appending what it answers', async () => {
    const asked: string[] = [];
    const chain: Resolver = {
      resolve: (question, inner) => {
        asked.push(question.name);
        // The target is itself templated: its CNAME is not followed again.
        return template.resolve(question, inner) ?? undefined;
      },
    };
    const template = link(
      [spec({ qtype: RRType.ANY, zones: ['com'], answer: ['{{ .Name }} 60 IN CNAME loop.com'] })],
      chain,
    );
    const answer = await template.resolve(q('foogle.com'), context);
    expect(asked).toEqual(['loop.com']);
    expect(answer!.answers.map((r) => `${r.name} ${r.data.type}`)).toEqual([
      'foogle.com CNAME',
      'loop.com CNAME',
    ]);
    // Not for other types.
    expect(template.resolve(q('foogle.com', RRType.TXT), context)).not.toBeInstanceOf(Promise);
  });
});
