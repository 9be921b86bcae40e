// Corefile syntax and its translation to options: the Corefiles Kubernetes and kubeadm ship, the
// directives and sub-directives supported, and errors that name what is not, with its line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigError } from '../../src/config/config.js';
import { parseCorefile } from '../../src/config/corefile/parse.js';
import { tokenize } from '../../src/config/corefile/tokenize.js';
import { translateCorefile } from '../../src/config/corefile/translate.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

function configsOf(text: string) {
  return translateCorefile(text, 'Corefile', {}).servers.map((layer) => buildConfig([layer], {}));
}

function error(text: string): string {
  try {
    configsOf(text);
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return (caught as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Corefile tokens and syntax', () => {
  it('splits words, keeps quoted strings whole, drops comments and keeps line numbers', () => {
    const tokens = tokenize('.:53 { # a comment\n  hosts {\n    "10.0.0.1" `a b`\n  }\n}\n', 'Corefile', {});
    expect(tokens.map((t) => [t.text, t.line])).toEqual([
      ['.:53', 1],
      ['{', 1],
      ['hosts', 2],
      ['{', 2],
      ['10.0.0.1', 3],
      ['a b', 3],
      ['}', 4],
      ['}', 5],
    ]);
  });

  it('replaces {$VAR} from the environment, empty when unset', () => {
    const tokens = tokenize('kubernetes {$DOMAIN} x{$NONE}y', 'Corefile', { DOMAIN: 'example.local' });
    expect(tokens.map((t) => t.text)).toEqual(['kubernetes', 'example.local', 'xy']);
  });

  it('builds server blocks of directives with their arguments, blocks and lines', () => {
    const blocks = parseCorefile(
      '.:53 cluster.local:53 {\n  health { lameduck 5s }\n  cache 30\n}\n',
      'Corefile',
      {},
    );
    expect(blocks).toEqual([
      {
        keys: ['.:53', 'cluster.local:53'],
        line: 1,
        where: 'Corefile:1',
        directives: [
          {
            name: 'health',
            args: [],
            line: 2,
            where: 'Corefile:2',
            block: [{ name: 'lameduck', args: ['5s'], line: 2, where: 'Corefile:2', block: [] }],
          },
          { name: 'cache', args: ['30'], line: 3, where: 'Corefile:3', block: [] },
        ],
      },
    ]);
  });

  it('names the line of a syntax error', () => {
    expect(() => parseCorefile('.:53 {\n  errors\n', 'Corefile', {})).toThrow(
      'Corefile:1: the { opened here is never closed',
    );
    expect(() => parseCorefile('.:53 {\n  log "unterminated\n}\n', 'Corefile', {})).toThrow(
      'Corefile:2: unterminated quoted string',
    );
  });
});

describe('Corefiles Kubernetes ships', () => {
  for (const name of ['kubernetes-addon.Corefile', 'kubeadm.Corefile']) {
    it(`translates ${name} into the options it means`, () => {
      const { servers, notices } = translateCorefile(fixture(name), name, {});
      expect(servers).toHaveLength(1);
      const config = buildConfig(servers, {});
      expect(config.listen).toEqual([{ host: '0.0.0.0', port: 53, family: 4 }]);
      expect(config.zones).toEqual(['cluster.local', 'in-addr.arpa', 'ip6.arpa']);
      expect(config.kubernetes).toEqual({});
      expect(config.zonesDir).toBeUndefined();
      expect(config.pods).toBe('insecure');
      expect(config.fallthrough).toEqual(['in-addr.arpa', 'ip6.arpa']);
      expect(config.ttl).toBe(30);
      expect(config.resolvConf).toBe('/etc/resolv.conf');
      expect(config.upstreams).toEqual([]);
      expect(config.maxConcurrent).toBe(1000);
      expect(config.cache).toEqual({
        maxEntries: 10000,
        maxDenialEntries: 10000,
        maxBytes: 16777216,
        successMaxTtl: 30,
        denialMaxTtl: 30,
        staleWindow: 0,
      });
      expect(config.loadbalance).toBe(true);
      expect(config.logQueries).toBe(false);
      // health (with lameduck), ready and prometheus become the ops options.
      expect(config.health).toEqual({ port: 8080 });
      expect(config.lameduckMs).toBe(5000);
      expect(config.ready).toEqual({ port: 8181 });
      expect(config.metrics).toEqual({ port: 9153 });
      expect(notices).toEqual([]);
    });
  }
});

describe('Corefile directives', () => {
  const block = (body: string, key = '.:1053') => `${key} {\n  kubernetes cluster.local\n${body}\n}\n`;

  it('reads the kubernetes sub-directives', () => {
    const [config] = configsOf(`.:53 {
      bind 127.0.0.1 ::1
      kubernetes cluster.local 10.in-addr.arpa {
        endpoint http://127.0.0.1:6443
        kubeconfig /etc/kube/config admin
        namespaces shop other
        labels app=web
        namespace_labels team=a
        pods verified
        ttl 0
        fallthrough
        ignore empty_service
        noendpoints
        startup_timeout 10s
      }
    }`);
    expect(config!.listen.map((l) => `${l.host}:${l.port}`)).toEqual(['127.0.0.1:53', '::1:53']);
    expect(config!.zones).toEqual(['cluster.local', '10.in-addr.arpa']);
    expect(config!.kubernetes).toEqual({
      url: 'http://127.0.0.1:6443',
      kubeconfig: '/etc/kube/config',
      context: 'admin',
      labels: 'app=web',
      namespaceLabels: 'team=a',
      noEndpoints: true,
    });
    expect(config!.namespaces).toEqual(['shop', 'other']);
    expect(config!.pods).toBe('verified');
    expect(config!.ttl).toBe(0);
    expect(config!.fallthrough).toEqual(['.']);
    expect(config!.ignoreEmptyService).toBe(true);
    expect(config!.startupTimeoutMs).toBe(10_000);
  });

  it('reads forward, cache, log, autopath and hosts', () => {
    const [config] = configsOf(
      block(`
      forward . 192.0.2.1 dns://192.0.2.2:5353 {
        max_concurrent 50
        policy sequential
        except example.com internal
        read_timeout 3s
      }
      cache 60 {
        success 5000 120
        denial 1000
        serve_stale 30m verify
      }
      log
      autopath @kubernetes
      hosts /etc/extra-hosts {
        10.0.0.9 gateway.example gw
        ttl 60
        reload 5s
        fallthrough
      }`),
    );
    expect(config!.upstreams.map((u) => `${u.host}:${u.port}`)).toEqual(['192.0.2.1:53', '192.0.2.2:5353']);
    expect(config!.maxConcurrent).toBe(50);
    expect(config!.forwardExcept).toEqual(['example.com', 'internal']);
    expect(config!.upstreamTimeoutMs).toBe(3000);
    expect(config!.cache).toEqual({
      // success and denial capacities bound their own stores, as in CoreDNS.
      maxEntries: 5000,
      maxDenialEntries: 1000,
      maxBytes: 16777216,
      successMaxTtl: 120,
      denialMaxTtl: 60,
      staleWindow: 1800,
    });
    expect(config!.logQueries).toBe(true);
    expect(config!.autopath).toBe(true);
    expect(config!.hosts).toEqual({
      lines: ['10.0.0.9 gateway.example gw'],
      file: '/etc/extra-hosts',
      ttl: 60,
    });
    // No forward: nothing outside the zones is answered.
    expect(configsOf(block(''))[0]!.allowRecursion).toEqual([]);
    // No cache: nothing cached, nothing served stale.
    expect(configsOf(block('forward . 192.0.2.1'))[0]!.cache).toMatchObject({
      maxEntries: 0,
      maxDenialEntries: 0,
      staleWindow: 0,
    });
  });

  // https://coredns.io/plugins/forward/: without options, the client's transport and random order.
  it.each([
    ['', { policy: 'random', transport: 'client', maxFails: 2, probeIntervalMs: 500 }],
    ['policy sequential', { policy: 'sequential' }],
    ['policy round_robin', { policy: 'round_robin' }],
    ['policy random', { policy: 'random' }],
    ['force_tcp', { transport: 'tcp' }],
    ['prefer_udp', { transport: 'udp' }],
    ['prefer_udp\n    force_tcp', { transport: 'tcp' }],
    ['force_tcp\n    prefer_udp', { transport: 'tcp' }],
    ['max_fails 0', { maxFails: 0 }],
    ['max_fails 5', { maxFails: 5 }],
    ['health_check 5s', { probeIntervalMs: 5000, probe: { name: '', recursion: true } }],
    ['health_check 100ms no_rec', { probeIntervalMs: 100, probe: { name: '', recursion: false } }],
    [
      'health_check 1s domain Example.ORG. no_rec',
      { probeIntervalMs: 1000, probe: { name: 'example.org', recursion: false } },
    ],
    // No connection is kept open between queries, so an idle expiry changes nothing.
    ['expire 30s', { transport: 'client' }],
  ])('reads forward { %s }', (option, expected) => {
    const [config] = configsOf(block(`  forward . 192.0.2.1 {\n    ${option}\n  }`));
    expect(config!.upstreamPool).toMatchObject(expected);
  });

  it.each([
    [
      'policy weighted',
      /^Corefile:4 \(forward policy\): "weighted": expected sequential, round_robin, random/,
    ],
    ['force_tcp yes', /^Corefile:4: forward force_tcp: expected force_tcp with no arguments/],
    ['max_fails -1', /^Corefile:4 \(forward max_fails\): "-1": expected a whole number from 0/],
    ['health_check', /^Corefile:4: forward health_check: expected health_check DURATION \[no_rec\]/],
    ['health_check 0s', /^Corefile:4 \(forward health_check\): "0s": expected a duration of at least 1ms/],
    ['health_check 1s domain', /^Corefile:4: forward health_check domain: expected health_check DURATION/],
    ['health_check 1s often', /^Corefile:4: forward health_check often: expected/],
    ['expire soon', /^Corefile:4: forward expire: "soon": expected a duration/],
  ])('refuses forward { %s } naming its line', (option, message) => {
    expect(error(block(`  forward . 192.0.2.1 {\n    ${option}\n  }`))).toMatch(message);
  });

  it.each([
    ['', 1232],
    ['bufsize', 1232],
    ['bufsize 512', 512],
    ['bufsize 4096', 4096],
  ])('reads "%s" as our EDNS payload size %i', (line, size) => {
    expect(configsOf(block(`  ${line}`))[0]!.bufsize).toBe(size);
  });

  it('takes bufsize once per port: blocks on one port must agree, naming the one that does not', () => {
    const twoBlocks = (a: string, b: string, stub = '') =>
      `cluster.local:53 {\n  kubernetes\n  ${a}\n}\n.:53 {\n  forward . 192.0.2.1\n  ${b}\n}\n${stub}`;
    expect(configsOf(twoBlocks('bufsize 512', 'bufsize 512'))[0]!.bufsize).toBe(512);
    expect(error(twoBlocks('bufsize 512', 'bufsize 1232'))).toMatch(
      /^Corefile:5: bufsize is set by two server blocks on one port \(also Corefile:3 \(bufsize\)\)/,
    );
    const stub = (line: string) => `example.org:53 {\n  forward . 10.0.0.1\n  ${line}\n}\n`;
    expect(configsOf(twoBlocks('bufsize 512', '', stub('bufsize 512')))[0]!.bufsize).toBe(512);
    expect(error(twoBlocks('bufsize 512', '', stub('')))).toMatch(
      /^Corefile:9: the server block for example\.org sets bufsize to "1232", the one on its port to "512"/,
    );
    expect(error(block('  bufsize 511'))).toMatch(
      /^Corefile:3 \(bufsize\): "511": expected a whole number from 512 to 4096/,
    );
    expect(error(block('  bufsize 512 1024'))).toMatch(/^Corefile:3: bufsize: expected bufsize \[SIZE\]/);
  });

  it.each([
    ['chaos', '.:1053', { zones: ['.'], authors: [] }],
    [
      'chaos CoreDNS-001 "Miek Gieben" miek@miek.nl',
      '.:1053',
      { zones: ['.'], version: 'CoreDNS-001', authors: ['Miek Gieben', 'miek@miek.nl'] },
    ],
    [
      'chaos',
      'version.bind:1053 hostname.bind:1053',
      { zones: ['version.bind', 'hostname.bind'], authors: [] },
    ],
  ])('reads "%s" in a block for %s', (line, key, chaos) => {
    const [config] = configsOf(`${key} {\n  kubernetes cluster.local\n  ${line}\n}\n`);
    expect(config!.chaos).toEqual(chaos);
  });

  it("joins a block of chaos alone to its port's chain, for that block's names (OpenShift)", () => {
    const corefile = (extra: string) =>
      `.:5353 {\n  kubernetes cluster.local\n  forward . 192.0.2.1\n}\nhostname.bind:5353 {\n  chaos\n${extra}}\n`;
    const [config, ...others] = configsOf(corefile(''));
    expect(others).toEqual([]);
    expect(config!.chaos).toEqual({ zones: ['hostname.bind'], authors: [] });
    expect(config!.stubDomains).toEqual([]);
    expect(error(corefile('  log\n'))).toMatch(
      /^Corefile:7: log in a chaos server block \(only chaos, errors, reload, loop, bind, bufsize\): clusterdns runs one chain per port/,
    );
    expect(error(corefile('  forward . 10.0.0.1\n'))).toMatch(
      /^Corefile:6: chaos in a stub-domain server block/,
    );
    expect(error(block('  chaos {\n    extra\n  }'))).toMatch(
      /^Corefile:4: chaos option "extra" is not supported/,
    );
    expect(error(block(`  chaos ${'v'.repeat(256)}`))).toMatch(
      /^Corefile:3 \(chaos VERSION\): "v+": longer than 255 bytes/,
    );
  });

  // https://coredns.io/plugins/cache/: disable without zones is every zone the cache holds.
  it.each([
    ['disable denial', { maxEntries: 10000, maxDenialEntries: 0 }],
    ['disable success', { maxEntries: 0, maxDenialEntries: 10000 }],
    ['disable denial .', { maxEntries: 10000, maxDenialEntries: 0 }],
    ['denial 5000 30\n    disable denial', { maxEntries: 10000, maxDenialEntries: 0 }],
    ['disable success cluster.local', { maxEntries: 10000, maxDenialEntries: 10000 }],
    ['prefetch 10', { prefetch: { amount: 10, windowMs: 60_000, percentage: 10 } }],
    ['prefetch 2 30s', { prefetch: { amount: 2, windowMs: 30_000, percentage: 10 } }],
    ['prefetch 2 30s 50%', { prefetch: { amount: 2, windowMs: 30_000, percentage: 50 } }],
    ['prefetch 0', { prefetch: undefined }],
  ])('reads cache { %s }', (option, cache) => {
    expect(configsOf(block(`  cache 30 {\n    ${option}\n  }`))[0]!.cache).toMatchObject(cache);
  });

  it.each([
    ['prefetch', /^Corefile:4: cache prefetch: expected prefetch AMOUNT \[\[DURATION\] \[PERCENTAGE%\]\]/],
    ['prefetch 1 1m 10% 4', /^Corefile:4: cache prefetch: expected prefetch AMOUNT/],
    ['prefetch many', /^Corefile:4 \(cache prefetch\): "many": expected a whole number/],
    ['prefetch 2 10%', /^Corefile:4 \(cache prefetch\): "10%": expected a duration/],
    ['prefetch 2 1m 5%', /^Corefile:4 \(cache prefetch\): "5%": expected a percentage from 10% to 90%/],
    ['prefetch 2 1m 50', /^Corefile:4 \(cache prefetch\): "50": expected a percentage/],
  ])('refuses cache { %s } naming its line', (option, message) => {
    expect(error(block(`  cache 30 {\n    ${option}\n  }`))).toMatch(message);
  });

  it('accepts the obsolete kubernetes upstream with a warning naming its line', () => {
    for (const upstream of ['upstream', 'upstream 10.0.0.10 /etc/resolv.conf']) {
      const corefile = `.:53 {\n  kubernetes cluster.local {\n    ${upstream}\n  }\n  forward . 192.0.2.1\n}\n`;
      const { notices } = translateCorefile(corefile, 'Corefile', {});
      expect(notices).toEqual([
        'Corefile:3: kubernetes upstream is obsolete and ignored: ExternalName targets are resolved through forward; remove it',
      ]);
      expect(configsOf(corefile)[0]!.upstreams.map((u) => u.host)).toEqual(['192.0.2.1']);
    }
  });

  it('serves no HTTP endpoint and waits no lameduck that the Corefile does not name', () => {
    const [config] = configsOf(block(''));
    expect(config!.health).toBeUndefined();
    expect(config!.ready).toBeUndefined();
    expect(config!.metrics).toBeUndefined();
    expect(config!.lameduckMs).toBe(0);
    const [local] = configsOf(block('  health 127.0.0.1:8080\n  prometheus 127.0.0.1:9153'));
    expect(local!.health).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(local!.metrics).toEqual({ host: '127.0.0.1', port: 9153 });
  });

  it('runs one server per block on its own port', () => {
    const configs = configsOf(`${block('', '.:1053')}${block('log', 'cluster.local:2053')}`);
    expect(configs.map((c) => c.listen[0]!.port)).toEqual([1053, 2053]);
    expect(configs.map((c) => c.logQueries)).toEqual([false, true]);
  });

  it('serves blocks on one port as one server: kubernetes, the root block and stub domains', () => {
    const [config, ...others] = configsOf(`
      cluster.local:53 {
        kubernetes
      }
      .:53 {
        forward . 192.0.2.1
        cache 30
        log
      }
      consul.local:53 example.org:53 {
        forward . 10.150.0.1 10.150.0.2:5353
        cache 30
        log
      }
    `);
    expect(others).toEqual([]);
    expect(config!.zones).toEqual(['cluster.local']);
    expect(config!.upstreams.map((u) => u.host)).toEqual(['192.0.2.1']);
    expect(config!.cache.successMaxTtl).toBe(30);
    expect(config!.logQueries).toBe(true);
    expect(config!.stubDomains.map(({ zone, upstreams }) => [zone, upstreams.map((u) => u.port)])).toEqual([
      ['consul.local', [53, 5353]],
      ['example.org', [53, 5353]],
    ]);
    // A stub block must agree with its port on what clusterdns keeps once per server.
    expect(
      error(
        '.:53 {\n  kubernetes cluster.local\n  forward . 192.0.2.1\n  cache 30\n}\nconsul.local:53 {\n  forward . 10.0.0.1\n}\n',
      ),
    ).toMatch(
      /^Corefile:6: the server block for consul\.local sets cache-size to "0", the one on its port to "10000"/,
    );
    expect(
      error(
        '.:53 {\n  kubernetes cluster.local\n  forward . 192.0.2.1\n}\nconsul.local:53 {\n  hosts {\n    fallthrough\n  }\n  forward . 10.0.0.1\n}\n',
      ),
    ).toMatch(/^Corefile:6: hosts in a stub-domain server block/);
    expect(
      error('.:53 {\n  kubernetes cluster.local\n}\nconsul.local:53 {\n  forward . 10.0.0.1\n}\n'),
    ).toMatch(/^Corefile:4: stub-domain server blocks need a forward/);
  });

  it('names an unsupported directive, sub-directive or form with its line', () => {
    // Each says what clusterdns runs instead.
    expect(error(block('  rewrite name foo bar'))).toBe(
      'Corefile:3: directive "rewrite" is not supported by clusterdns: remove it; the directives clusterdns runs are ' +
        'acl, autopath, bind, bufsize, cache, chaos, errors, forward, health, hosts, kubernetes, loadbalance, log, loop, prometheus, ready, reload, template',
    );
    expect(error('.:53 {\n  kubernetes cluster.local {\n    noendpointz\n  }\n}\n')).toBe(
      'Corefile:3: kubernetes option "noendpointz" is not supported: remove it; the kubernetes options clusterdns runs are ' +
        'endpoint, kubeconfig, namespaces, labels, namespace_labels, pods, ttl, startup_timeout, fallthrough, noendpoints, upstream, ignore',
    );
    expect(error(block('  ready {\n    extra\n  }'))).toBe(
      'Corefile:4: ready option "extra" is not supported: write ready without a block',
    );
    expect(error(block('  forward . tls://1.1.1.1'))).toMatch(
      /^Corefile:3: forward tls:\/\/1\.1\.1\.1: tls:\/\//,
    );
    expect(error(block('  forward example.com 1.1.1.1'))).toMatch(/^Corefile:3: forward example\.com:/);
    expect(error(block('  hosts {\n    10.0.0.1 a.example\n  }'))).toMatch(
      /^Corefile:3: hosts without fallthrough/,
    );
    expect(error(block('  loadbalance weighted /w'))).toMatch(/^Corefile:3: loadbalance weighted/);
    expect(error(block('  autopath /etc/resolv.conf'))).toMatch(/^Corefile:3: autopath/);
    expect(error('.:53 {\n  errors\n}\n')).toMatch(/^Corefile:1: a server without kubernetes/);
    expect(error(`${block('')}${block('', 'example.com:1053')}`)).toMatch(
      /^Corefile:5: a second kubernetes on the same port \(the first is at Corefile:1\)/,
    );
    expect(
      error('.:53 {\n  kubernetes cluster.local\n  cache 30 {\n    disable success example.com\n  }\n}\n'),
    ).toMatch(/^Corefile:4: cache disable example\.com/);
  });

  it('reads acl as --allow-query: allow nets, then a block of the rest', () => {
    const [config] = configsOf(
      block('  acl {\n    allow net 10.0.0.0/8 192.168.0.0/16\n    allow net fd00::/8\n    block\n  }'),
    );
    expect(config!.allowQuery).toEqual(['10.0.0.0/8', '192.168.0.0/16', 'fd00::/8']);
    expect(configsOf(block(''))[0]!.allowQuery).toBeUndefined();
    // Forms --allow-query cannot say: a block list, query types, drop, no catch-all, a zone.
    expect(error(block('  acl {\n    block net 10.0.0.0/8\n  }'))).toMatch(/^Corefile:4: acl: expected/);
    expect(error(block('  acl {\n    allow type A net 10.0.0.0/8\n    block\n  }'))).toMatch(
      /^Corefile:4: acl allow type A/,
    );
    expect(error(block('  acl {\n    allow net 10.0.0.0/8\n    drop\n  }'))).toMatch(
      /^Corefile:5: acl: expected/,
    );
    expect(error(block('  acl {\n    allow net 10.0.0.0/8\n  }'))).toMatch(/^Corefile:4: acl: expected/);
    expect(error(block('  acl example.com {\n    block\n  }'))).toMatch(
      /^Corefile:3: acl: clusterdns applies/,
    );
    expect(error(block('  acl {\n    allow net 10.0.0.300/8\n    block\n  }'))).toMatch(
      /^Corefile:3 \(acl\): "10.0.0.300\/8": expected an address range/,
    );
  });

  it('checks values as options are checked, naming the Corefile line', () => {
    expect(error('.:53 {\n  kubernetes cluster.local {\n    ttl 9000\n  }\n}\n')).toBe(
      'Corefile:3 (kubernetes ttl): "9000": expected a whole number from 0 to 3600',
    );
    expect(error('.:53 {\n  kubernetes cluster.local {\n    pods maybe\n  }\n}\n')).toBe(
      'Corefile:3 (kubernetes pods): "maybe": expected disabled, insecure or verified',
    );
  });
});
