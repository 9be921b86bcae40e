// The template directive under `clusterdns --corefile` (the built binary), asked with dig over
// real loopback sockets: AKS's default Corefile, and the recipes of CoreDNS's plugin/template
// README (https://coredns.io/plugins/template/), each row a question and what dig shows.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrl, freePort, startCli, startCorefile, type RunningCli } from '../helpers/cli.js';
import { scrape } from '../helpers/prometheus.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { eventually, namespace, service, slice } from '../registry/kubernetes/helpers.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);

/** What dig shows of a reply: status, header flags, EDE, and each section's records. */
interface Dug {
  status: string;
  flags: string;
  ede: string;
  answer: string[];
  authority: string[];
  additional: string[];
}

async function dig(port: number, type: string, name: string, ...options: string[]): Promise<Dug> {
  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(port),
    '+time=3',
    '+tries=1',
    '+noall',
    '+comments',
    '+answer',
    '+authority',
    '+additional',
    ...options,
    type,
    name,
  ]);
  const dug: Dug = { status: '', flags: '', ede: '', answer: [], authority: [], additional: [] };
  let section: 'answer' | 'authority' | 'additional' | undefined;
  for (const line of stdout.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) dug.status = status[1]!;
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) dug.flags = flags[1]!.trim();
    const ede = /^; EDE: (.*)$/.exec(line);
    if (ede) dug.ede = ede[1]!;
    const header = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (header) section = header[1]!.toLowerCase() as typeof section;
    else if (line.startsWith(';') || line.trim() === '') section = line.trim() === '' ? undefined : section;
    else if (section) dug[section].push(line.split(/\s+/).join(' '));
  }
  return dug;
}

describe.skipIf(!hasDig)('template under --corefile, asked with dig', () => {
  let api: FakeApiServer;
  let upstream: FakeUpstream;
  let dir: string;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
      service('shop', 'special', { clusterIP: '10.96.45.11' }),
      slice('shop', 'special', ['10.244.1.6']),
    ])
      api.apply(object);
    upstream = await startFakeUpstream(
      { 'google.com': ['192.0.2.10'], 'vm1.internal.cloudapp.net': ['10.1.0.4'] },
      { denyBelow: 'internal.cloudapp.net' },
    );
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-template-'));
  });

  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await Promise.all([upstream?.close(), api?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(name: string, text: string): Promise<RunningCli & { port: number }> {
    const corefile = join(dir, name);
    writeFileSync(corefile, text);
    const cli = await startCorefile(corefile, api.url, upstream.port);
    running.push(cli);
    return cli;
  }

  describe("AKS's default Corefile", () => {
    let port: number;
    let cli: RunningCli;
    beforeAll(async () => {
      const text = readFileSync(new URL('fixtures/corefiles/real/aks.Corefile', import.meta.url), 'utf8');
      ({ port, ...cli } = await serve('aks.Corefile', text));
    });

    // The search-path storm a Windows-style node suffix causes: names with four or more labels
    // before internal.cloudapp.net are NXDOMAIN at once; real VM names fall through to forward.
    it.each([
      ['A', 'web.shop.svc.cluster.local.internal.cloudapp.net', 'NXDOMAIN', []],
      ['AAAA', 'a.b.c.d.internal.cloudapp.net', 'NXDOMAIN', []],
      ['A', 'vm1.internal.cloudapp.net', 'NOERROR', ['vm1.internal.cloudapp.net. 300 IN A 10.1.0.4']],
      ['A', 'x.reddog.microsoft.com', 'NXDOMAIN', []],
      ['TXT', 'reddog.microsoft.com', 'NXDOMAIN', []],
      ['A', 'web.shop.svc.cluster.local', 'NOERROR', ['web.shop.svc.cluster.local. 30 IN A 10.96.45.10']],
    ])('%s %s: %s', async (type, name, status, answer) => {
      const dug = await dig(port, type, name);
      expect(dug.status).toBe(status);
      expect(dug.answer).toEqual(answer);
    });

    it('counts the template\'s answers under plugin="template"', async () => {
      const { series } = await scrape(endpointUrl(cli.output(), 'metrics'));
      const answered = (plugin: string, rcode: string) =>
        series
          .filter((s) => s.name === 'coredns_dns_responses_total')
          .filter((s) => s.labels.plugin === plugin && s.labels.rcode === rcode)
          .reduce((sum, s) => sum + s.value, 0);
      expect(answered('template', 'NXDOMAIN')).toBe(4);
      expect(answered('forward', 'NOERROR')).toBe(1);
    });
  });

  describe('the README recipes', () => {
    let cli: RunningCli & { port: number };
    beforeAll(async () => {
      cli = await serve(
        'recipes.Corefile',
        String.raw`.:53 {
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      fallthrough in-addr.arpa ip6.arpa
    }
    forward . 127.0.0.1
    template IN A cluster.local {
      match "^special\.shop\.svc\.cluster\.local\.$"
      answer "{{ .Name }} 5 IN A 10.9.9.9"
      fallthrough
    }
    template ANY ANY invalid {
      rcode NXDOMAIN
      authority "invalid. 60 {{ .Class }} SOA ns.invalid. hostmaster.invalid. (1 60 60 60 60)"
      ederror 21 "Blocked according to RFC2606"
    }
    template IN ANY example.com {
      match "example\.com\.(dc1\.example\.com\.)$"
      rcode NXDOMAIN
      authority "{{ index .Match 1 }} 60 IN SOA ns.{{ index .Match 1 }} hostmaster.{{ index .Match 1 }} (1 60 60 60 60)"
      fallthrough
    }
    template IN A example {
      match (^|[.])ip-(?P<a>[0-9]*)-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN A {{ .Group.a }}.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      fallthrough
    }
    template IN MX example {
      match ^ip-10-(?P<b>[0-9]*)-(?P<c>[0-9]*)-(?P<d>[0-9]*)[.]example[.]$
      answer "{{ .Name }} 60 IN MX 10 {{ .Name }}"
      additional "{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}"
      authority  "example. 60 IN NS ns0.example."
      fallthrough
    }
    template IN PTR 113.0.203.in-addr.arpa {
      match ^(?P<d>[0-9]*)[.](?P<c>[0-9]*)[.](?P<b>[0-9]*)[.](?P<a>[0-9]*)[.]in-addr[.]arpa[.]$
      answer "{{ .Name }} 60 IN PTR ip-{{ .Group.a }}-{{ .Group.b }}-{{ .Group.c }}-{{ .Group.d }}.example."
    }
    template IN ANY foogle.com {
      match "^foogle\.com\.$"
      answer "foogle.com 60 IN CNAME google.com"
    }
    template IN A strict.test {
      match ^ok\.strict\.test\.$
      answer "{{ .Name }} 60 IN TXT {{ .Remote }}"
    }
    template IN TXT strict.test {
      answer "{{ .Name }} 60 IN TXT \"from {{ .Remote }}\" {{ .Type }}"
    }
    template IN A broken.test {
      answer "{{ .Name }} 60 IN A not-an-address"
    }
    template IN AAAA . {
      rcode NOERROR
    }
}
`,
      );
    });

    it.each([
      // README "Resolve .invalid as NXDOMAIN": any class and type, with the SOA for negative caching.
      [
        'A',
        'host.invalid',
        'NXDOMAIN',
        [],
        ['invalid. 60 IN SOA ns.invalid. hostmaster.invalid. 1 60 60 60 60'],
        [],
      ],
      // README "Block invalid search domain completions", the regex form.
      [
        'A',
        'something.example.com.dc1.example.com',
        'NXDOMAIN',
        [],
        ['dc1.example.com. 60 IN SOA ns.dc1.example.com. hostmaster.dc1.example.com. 1 60 60 60 60'],
        [],
      ],
      // README "Resolve A/PTR for .example": named groups, a wildcard below the address.
      ['A', 'ip-10-1-2-3.example', 'NOERROR', ['ip-10-1-2-3.example. 60 IN A 10.1.2.3'], [], []],
      ['A', 'www.ip-192-0-2-7.example', 'NOERROR', ['www.ip-192-0-2-7.example. 60 IN A 192.0.2.7'], [], []],
      [
        'PTR',
        '7.113.0.203.in-addr.arpa',
        'NOERROR',
        ['7.113.0.203.in-addr.arpa. 60 IN PTR ip-203-0-113-7.example.'],
        [],
        [],
      ],
      // README "Resolve A and MX records": the additional and authority sections.
      [
        'MX',
        'ip-10-1-2-3.example',
        'NOERROR',
        ['ip-10-1-2-3.example. 60 IN MX 10 ip-10-1-2-3.example.'],
        ['example. 60 IN NS ns0.example.'],
        ['ip-10-1-2-3.example. 60 IN A 10.1.2.3'],
      ],
      // README "Fabricate a CNAME": the target looked up and appended.
      [
        'A',
        'foogle.com',
        'NOERROR',
        ['foogle.com. 60 IN CNAME google.com.', 'google.com. 300 IN A 192.0.2.10'],
        [],
        [],
      ],
      // A name in the zone no regex matches, without fallthrough: SERVFAIL, as CoreDNS answers.
      ['A', 'other.strict.test', 'SERVFAIL', [], [], []],
      ['TXT', 'x.strict.test', 'NOERROR', ['x.strict.test. 60 IN TXT "from 127.0.0.1" "TXT"'], [], []],
      // IPv4-only clusters: AAAA is NOERROR with no records, for cluster names and all others.
      ['AAAA', 'web.shop.svc.cluster.local', 'NOERROR', [], [], []],
      ['AAAA', 'google.com', 'NOERROR', [], [], []],
      // What no template takes goes on down the chain.
      [
        'A',
        'web.shop.svc.cluster.local',
        'NOERROR',
        ['web.shop.svc.cluster.local. 5 IN A 10.96.45.10'],
        [],
        [],
      ],
      [
        'PTR',
        '10.45.96.10.in-addr.arpa',
        'NOERROR',
        ['10.45.96.10.in-addr.arpa. 5 IN PTR web.shop.svc.cluster.local.'],
        [],
        [],
      ],
    ])('%s %s: %s', async (type, name, status, answer, authority, additional) => {
      const dug = await dig(cli.port, type, name);
      expect(dug.status).toBe(status);
      expect(dug.answer).toEqual(answer);
      expect(dug.authority).toEqual(authority);
      expect(dug.additional).toEqual(additional);
      if (answer.length || authority.length) expect(dug.flags).toContain('aa');
    });

    it('passes a name of a template zone that no regex matches on, with fallthrough', async () => {
      await dig(cli.port, 'A', 'nothere.example');
      expect(upstream.asked).toContain('nothere.example A');
    });

    it('sends the extended error with an EDNS query', async () => {
      const dug = await dig(cli.port, 'A', 'host.invalid', '+edns=0');
      expect(dug.ede).toBe('21 (Not Supported): (Blocked according to RFC2606)');
    });

    it('answers SERVFAIL, and logs the template, when the record it makes does not parse', async () => {
      expect((await dig(cli.port, 'A', 'a.broken.test')).status).toBe('SERVFAIL');
      // Log lines are written asynchronously.
      const logged = 'template answer \\"{{ .Name }} 60 IN A not-an-address\\" gave no record';
      await eventually(() => cli.output().includes(logged), 5000, 'the log line');
      // The server is still answering.
      expect((await dig(cli.port, 'A', 'ip-10-1-2-3.example')).status).toBe('NOERROR');
    });

    // The fast path serves cluster answers compiled on their first asking: a name the template
    // answers must never be compiled from the cluster link, however often it is asked.
    it('keeps answering a cluster name from its template on every asking', async () => {
      for (let i = 0; i < 3; i++) {
        expect((await dig(cli.port, 'A', 'special.shop.svc.cluster.local')).answer).toEqual([
          'special.shop.svc.cluster.local. 5 IN A 10.9.9.9',
        ]);
        expect((await dig(cli.port, 'A', 'web.shop.svc.cluster.local')).answer).toEqual([
          'web.shop.svc.cluster.local. 5 IN A 10.96.45.10',
        ]);
      }
    });
  });

  // As flags, and with the search path: autopath walks a name through the links after it, the
  // template among them, as CoreDNS's autopath asks the plugins after it. The AAAA of a name in the
  // client's namespace is the template's NOERROR at the first step, so no search domain is tried
  // and nothing is forwarded.
  describe('--template with --autopath', () => {
    let port: number;
    let askedBefore: number;
    beforeAll(async () => {
      askedBefore = upstream.asked.length;
      port = await freePort();
      const cli = await startCli([
        '--listen',
        `127.0.0.1:${port}`,
        '--upstream',
        `127.0.0.1:${upstream.port}`,
        '--namespace',
        'shop',
        '--autopath',
        '--template',
        'IN AAAA .',
      ]);
      running.push(cli);
    });

    it.each([
      ['AAAA', 'google.com.shop.svc.cluster.local', 'NOERROR', []],
      [
        'A',
        'google.com.shop.svc.cluster.local',
        'NOERROR',
        ['google.com.shop.svc.cluster.local. 5 IN CNAME google.com.', 'google.com. 300 IN A 192.0.2.10'],
      ],
    ])('%s %s: %s', async (type, name, status, answer) => {
      const dug = await dig(port, type, name);
      expect(dug.status).toBe(status);
      expect(dug.answer).toEqual(answer);
    });

    it('forwards no AAAA question the template answers', () => {
      const asked = upstream.asked.slice(askedBefore);
      expect(asked).toContain('google.com A');
      expect(asked.filter((question) => question.endsWith(' AAAA'))).toEqual([]);
    });
  });

  // A config file's `template` key, changed and reloaded as an operator does: the new answer
  // serves; a template that cannot run is logged naming the file and key, and the last good one
  // keeps answering.
  describe('template in a config file, reloaded', () => {
    let port: number;
    let cli: RunningCli;
    let file: string;
    const write = (answer: string) =>
      writeFileSync(
        file,
        `listen: [127.0.0.1:${port}]\ntemplate:\n  - |\n    IN A example {\n      answer "${answer}"\n    }\n`,
      );

    beforeAll(async () => {
      port = await freePort();
      file = join(dir, 'clusterdns.yaml');
      write('{{ .Name }} 60 IN A 10.0.0.1');
      cli = await startCli(['--config', file]);
      running.push(cli);
    });

    it('answers from the template written, then from the one reloaded, and keeps it over a broken one', async () => {
      expect((await dig(port, 'A', 'x.example')).answer).toEqual(['x.example. 60 IN A 10.0.0.1']);
      write('{{ .Name }} 60 IN A 10.0.0.2');
      cli.child.kill('SIGHUP');
      await eventually(() => cli.output().includes('configuration reloaded'), 5000, 'reload');
      expect((await dig(port, 'A', 'x.example')).answer).toEqual(['x.example. 60 IN A 10.0.0.2']);
      write('{{ .Name }} 60 IN A {{ parseInt .Name 16 8 }}');
      cli.child.kill('SIGHUP');
      await eventually(() => cli.output().includes('configuration rejected'), 5000, 'rejection');
      expect(cli.output()).toContain(
        `${file}: template: template answer: {{ parseInt .Name 16 8 }} is not supported`,
      );
      expect((await dig(port, 'A', 'x.example')).answer).toEqual(['x.example. 60 IN A 10.0.0.2']);
    });
  });
});
