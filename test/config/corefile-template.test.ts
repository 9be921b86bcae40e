// The template directive read from a Corefile and from --template: what each becomes, and each
// refusal naming the file, line and what to write instead (CoreDNS 1.14's plugin/template/setup.go).
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError, envLayer, flagLayer } from '../../src/config/config.js';
import { translateCorefile } from '../../src/config/corefile/translate.js';

const corefile = (body: string, key = '.:1053') => `${key} {\n  kubernetes cluster.local\n${body}\n}\n`;

function templatesOf(text: string) {
  const [server] = translateCorefile(text, 'Corefile', {}).servers;
  return buildConfig([server!.blocks[0]!.layer], {}).templates;
}

function refusal(text: string): string {
  try {
    templatesOf(text);
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return (caught as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const base = { match: [], answer: [], additional: [], authority: [], rcode: 0 };

describe('template in a Corefile', () => {
  it.each([
    // AKS's default Corefile: class and type ANY, a regex, NXDOMAIN, fallthrough for every name.
    [
      '  template ANY ANY internal.cloudapp.net {\n    match "^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$"\n    rcode NXDOMAIN\n    fallthrough\n  }',
      [
        {
          ...base,
          qclass: 255,
          qtype: 255,
          zones: ['internal.cloudapp.net'],
          match: ['^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$'],
          rcode: 3,
          fallthrough: ['.'],
        },
      ],
    ],
    // No zones: the server block's; fallthrough limited to zones; the extended error.
    [
      '  template IN AAAA {\n    rcode NOERROR\n    ederror 21 "no IPv6 here"\n    fallthrough in-addr.arpa ip6.arpa.\n  }',
      [
        {
          ...base,
          qclass: 1,
          qtype: 28,
          zones: ['.'],
          ederror: { code: 21, reason: 'no IPv6 here' },
          fallthrough: ['in-addr.arpa', 'ip6.arpa'],
        },
      ],
    ],
    // Two templates, kept in the order written; several regexes and records on one line.
    [
      '  template IN A Example. {\n    match ^a\\. ^b\\.\n    answer "{{ .Name }} 60 IN A 10.0.0.1" "{{ .Name }} 60 IN A 10.0.0.2"\n  }\n  template CH TXT {\n    authority "x. 60 CH SOA a. b. 1 2 3 4 5"\n  }',
      [
        {
          ...base,
          qclass: 1,
          qtype: 1,
          zones: ['example'],
          match: ['^a\\.', '^b\\.'],
          answer: ['{{ .Name }} 60 IN A 10.0.0.1', '{{ .Name }} 60 IN A 10.0.0.2'],
        },
        { ...base, qclass: 3, qtype: 16, zones: ['.'], authority: ['x. 60 CH SOA a. b. 1 2 3 4 5'] },
      ],
    ],
  ])('reads %j', (body, templates) => {
    expect(templatesOf(corefile(body))).toEqual(templates);
  });

  it('is read from the block of the zone it is written in', () => {
    const text = 'cluster.local:1053 {\n  kubernetes\n  template IN A {\n    rcode REFUSED\n  }\n}\n';
    expect(templatesOf(text)[0]!.zones).toEqual(['cluster.local']);
  });

  it.each([
    ['  template IN', 'Corefile:3: template: expected template CLASS TYPE [ZONE...]'],
    ['  template XX A', 'Corefile:3: template: invalid query class XX (IN, CH, CS, HS or ANY)'],
    ['  template IN BOGUS', 'Corefile:3: template: invalid query type BOGUS (A, AAAA, PTR, ... or ANY)'],
    [
      '  template IN A example.com, example.org',
      'Corefile:3: template: zone example.com,: expected a domain name such as example.com',
    ],
    [
      '  template IN PTR 10.0.0.0/8',
      'Corefile:3: template: zone 10.0.0.0/8: write the reverse zone it stands for (e.g. 10.in-addr.arpa), not a CIDR',
    ],
    ['  template IN A {\n    match', 'Corefile:4: template match: expected match REGEX...'],
    [
      '  template IN A {\n    match "(?P<a>[0-9]"',
      'Corefile:4: template match: regex "(?P<a>[0-9]" does not compile: Invalid regular expression: /(?<a>[0-9]/: Unterminated group',
    ],
    [
      '  template IN A {\n    match "^\\pL+$"',
      'Corefile:4: template match: regex "^\\pL+$": \\p is not supported (Unicode classes, \\p{...})',
    ],
    [
      '  template IN A {\n    match ^x\n    answer "{{ .Name }} 60 IN A 10.{{ parseInt .Group.b 16 8 }}.0.1"',
      'Corefile:5: template answer: {{ parseInt .Group.b 16 8 }} is not supported: clusterdns executes {{ .Name }}, {{ .Zone }}, {{ .Class }}, {{ .Type }}, {{ .Remote }}, {{ .Regex }}, {{ .Group.NAME }}, {{ index .Group "NAME" }} and {{ index .Match N }}',
    ],
    [
      '  template IN A {\n    authority "{{ .Message }}"',
      'Corefile:4: template authority: {{ .Message }} is not supported',
    ],
    [
      '  template IN A {\n    answer "{{ .Name"',
      'Corefile:4: template answer: unclosed action at "{{ .Name"',
    ],
    ['  template IN A {\n    rcode NOPE', 'Corefile:4: template rcode: unknown rcode NOPE (NOERROR, FORMERR'],
    [
      '  template IN A {\n    ederror 70000',
      'Corefile:4: template ederror: "70000": expected an extended error code',
    ],
    [
      '  template IN A {\n    var ip group(1)',
      'Corefile:4: template var is not supported (it is newer than CoreDNS 1.14): remove it and match with regexes',
    ],
    [
      '  template IN A {\n    ttl 60',
      'Corefile:4: template option "ttl" is not supported: remove it; the template options are match, answer, additional, authority, rcode, ederror, fallthrough',
    ],
  ])('refuses %j', (body, message) => {
    expect(refusal(corefile(`${body}\n${body.includes('{') ? '  }' : ''}`))).toContain(message);
  });

  it('refuses a regex longer than CoreDNS allows', () => {
    expect(refusal(corefile(`  template IN A {\n    match ${'a'.repeat(10_001)}\n  }`))).toBe(
      'Corefile:4: template match: regex pattern too long: 10001 > 10000',
    );
  });
});

describe('--template', () => {
  const flags = (...values: string[]) =>
    buildConfig([flagLayer(values.flatMap((value) => ['--template', value])).layer], {});

  it('takes what a Corefile writes after template, with . as the default zone', () => {
    const value =
      'IN A example {\n  match "^ip-(?P<a>[0-9]+)[.]example[.]$"\n  answer "{{ .Name }} 60 IN A 10.0.0.{{ .Group.a }}"\n  fallthrough\n}';
    expect(flags(value, 'IN AAAA').templates).toEqual([
      {
        ...base,
        qclass: 1,
        qtype: 1,
        zones: ['example'],
        match: ['^ip-(?P<a>[0-9]+)[.]example[.]$'],
        answer: ['{{ .Name }} 60 IN A 10.0.0.{{ .Group.a }}'],
        fallthrough: ['.'],
      },
      { ...base, qclass: 1, qtype: 28, zones: ['.'] },
    ]);
  });

  it('reads CLUSTERDNS_TEMPLATE as one template, commas and all', () => {
    const value =
      'ANY ANY internal.cloudapp.net {\n  match "^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$"\n}';
    const config = buildConfig([envLayer({ CLUSTERDNS_TEMPLATE: value })], {});
    expect(config.templates.map((t) => t.match)).toEqual([
      ['^(?:[^.]+\\.){4,}internal\\.cloudapp\\.net\\.$'],
    ]);
  });

  it.each([
    ['IN A {\n  rcode MAYBE\n}', '--template: template rcode: unknown rcode MAYBE'],
    ['IN A {\n  rcode NXDOMAIN', '--template: the { opened here is never closed'],
    ['IN A } . { hosts', '--template: expected CLASS TYPE [ZONE...] [{ ... }]'],
  ])('refuses %j naming the flag', (value, message) => {
    expect(() => flags(value)).toThrow(message);
  });
});
