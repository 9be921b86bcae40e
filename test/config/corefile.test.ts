// Corefile syntax and its translation to options: the Corefiles Kubernetes and kubeadm ship, the
// directives and sub-directives supported, and errors that name what is not, with its line.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/values.js';
import { parseCorefile } from '../../src/config/corefile/parse.js';
import { tokenize } from '../../src/config/corefile/tokenize.js';
import { translateCorefile } from '../../src/config/corefile/translate.js';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

/** Each server's primary block's config, with its port's other blocks, as `clusterdns --corefile` builds them. */
function configsOf(text: string) {
  return translateCorefile(text, 'Corefile', {}).servers.map(({ blocks }) => {
    const [primary, ...others] = blocks.map((block) => ({
      ...buildConfig([block.layer], {}),
      blockZones: block.zones,
    }));
    return { ...primary!, blocks: others };
  });
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
      expect(servers[0]!.blocks).toHaveLength(1);
      const config = buildConfig([servers[0]!.blocks[0]!.layer], {});
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
      // The block's zones, and fallthrough for every name.
      zones: ['.'],
      fallthrough: ['.'],
    });
    // Without FILE, /etc/hosts; with ZONES, those; without fallthrough, none.
    expect(
      configsOf(block('  hosts {\n    10.0.0.1 a.example\n  }', 'example.org:1053'))[0]!.hosts,
    ).toMatchObject({ file: '/etc/hosts', zones: ['example.org'], fallthrough: [] });
    expect(
      configsOf(block('  hosts /h example.org {\n    fallthrough sub.example.org\n  }'))[0]!.hosts,
    ).toMatchObject({ file: '/h', zones: ['example.org'], fallthrough: ['sub.example.org'] });
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
    [
      '',
      { policy: 'random', transport: 'client', maxFails: 2, probeIntervalMs: 500, tls: { expireMs: 10_000 } },
    ],
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
    // Idle connections to tls:// upstreams close after expire (default 10s).
    ['expire 30s', { tls: { expireMs: 30_000 } }],
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
    ['expire soon', /^Corefile:4 \(forward expire\): "soon": expected a duration/],
  ])('refuses forward { %s } naming its line', (option, message) => {
    expect(error(block(`  forward . 192.0.2.1 {\n    ${option}\n  }`))).toMatch(message);
  });

  // https://coredns.io/plugins/forward/ and plugin/pkg/tls: tls with no file trusts the system
  // roots, one file is the CA, two a client certificate and key, three both.
  it.each([
    ['tls_servername dns.quad9.net', { 'upstream-tls-servername': 'dns.quad9.net' }],
    ['tls', {}],
    ['tls ca.pem', { 'upstream-tls-ca': 'ca.pem' }],
    ['tls cert.pem key.pem', { 'upstream-tls-cert': 'cert.pem', 'upstream-tls-key': 'key.pem' }],
    [
      'tls cert.pem key.pem ca.pem',
      { 'upstream-tls-cert': 'cert.pem', 'upstream-tls-key': 'key.pem', 'upstream-tls-ca': 'ca.pem' },
    ],
    ['expire 30s', { 'upstream-expire': '30s' }],
  ])('reads forward tls://... { %s }', (option, expected) => {
    const text = block(`  forward . tls://9.9.9.9 {\n    ${option}\n  }`);
    const { values } = translateCorefile(text, 'Corefile', {}).servers[0]!.blocks[0]!.layer;
    const tlsValues = Object.fromEntries(
      Object.entries(values).filter(
        ([name]) => name.startsWith('upstream-tls') || name === 'upstream-expire',
      ),
    );
    expect(tlsValues).toEqual(expected);
    expect(values.upstream).toEqual(['tls://9.9.9.9']);
  });

  it('forwards to tls:// and dns:// upstreams of one forward, port 853 by default', () => {
    const [config] = configsOf(
      block(
        '  forward . tls://9.9.9.9 dns://192.0.2.1 tls://[2620:fe::9]:8853 {\n    tls_servername dns.quad9.net\n  }',
      ),
    );
    expect(config!.upstreams).toEqual([
      { host: '9.9.9.9', port: 853, family: 4, tls: true },
      { host: '192.0.2.1', port: 53, family: 4 },
      { host: '2620:fe::9', port: 8853, family: 6, tls: true },
    ]);
    expect(config!.upstreamPool.tls).toEqual({ serverName: 'dns.quad9.net', expireMs: 10_000 });
  });

  it('takes tls settings without a tls:// upstream, as CoreDNS does, with a notice naming the line', () => {
    const text = block('  forward . 192.0.2.1 {\n    tls_servername dns.quad9.net\n  }');
    const { servers, notices } = translateCorefile(text, 'Corefile', {});
    expect(notices).toEqual([
      'Corefile:4: forward tls_servername is ignored: no upstream of this forward is tls://',
    ]);
    expect(buildConfig([servers[0]!.blocks[0]!.layer], {}).upstreamPool.tls).toEqual({ expireMs: 10_000 });
  });

  it.each([
    ['tls a.pem b.pem c.pem d.pem', 'Corefile:4: forward tls: expected tls [CA] or tls CERT KEY [CA]'],
    ['tls_servername', 'Corefile:4: forward tls_servername: expected tls_servername NAME'],
    ['tls_servername a b', 'Corefile:4: forward tls_servername: expected tls_servername NAME'],
    ['tls /nonexistent/ca.pem', /^Corefile:4 \(forward tls\): cannot read \/nonexistent\/ca\.pem: ENOENT/],
  ])('refuses forward tls://... { %s } naming its line', (option, message) => {
    const text = block(`  forward . tls://9.9.9.9 {\n    ${option}\n  }`);
    if (typeof message === 'string') expect(error(text)).toBe(message);
    else expect(error(text)).toMatch(message);
  });

  it.each([
    ['', 1232],
    ['bufsize', 1232],
    ['bufsize 512', 512],
    ['bufsize 4096', 4096],
  ])('reads "%s" as our EDNS payload size %i', (line, size) => {
    expect(configsOf(block(`  ${line}`))[0]!.bufsize).toBe(size);
  });

  it('takes bufsize per server block, as each block is its own chain', () => {
    const [config] = configsOf(
      `cluster.local:53 {\n  kubernetes\n  bufsize 512\n}\n.:53 {\n  forward . 192.0.2.1\n  bufsize 1232\n}\n`,
    );
    expect(config!.bufsize).toBe(512);
    expect(config!.blocks.map((b) => [b.blockZones, b.bufsize])).toEqual([[['.'], 1232]]);
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

  it("serves a block of chaos alone as a chain of its own, for that block's names (OpenShift)", () => {
    const [config, ...others] = configsOf(
      `.:5353 {\n  kubernetes cluster.local\n  forward . 192.0.2.1\n}\nhostname.bind:5353 {\n  chaos\n  log\n}\n`,
    );
    expect(others).toEqual([]);
    expect(config!.chaos).toBeUndefined();
    const [chaos] = config!.blocks;
    expect(chaos!.blockZones).toEqual(['hostname.bind']);
    expect(chaos!.chaos).toEqual({ zones: ['hostname.bind'], authors: [] });
    expect(chaos!.logQueries).toBe(true);
    // It reads no registry and forwards nothing: other names of its zone are REFUSED.
    expect(chaos!.kubernetes).toBeUndefined();
    expect(chaos!.zonesDir).toBeUndefined();
    expect(chaos!.zones).toEqual([]);
    expect(chaos!.allowRecursion).toEqual([]);
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

  // https://coredns.io/plugins/k8s_external/ (setup.go): zones default to the block's keys.
  it.each([
    ['k8s_external example.org', '.:1053', { zones: ['example.org'], ttl: 5, apex: 'dns', headless: false }],
    [
      'k8s_external Example.org. example.net {\n    apex ext\n    ttl 60\n    headless\n    fallthrough\n  }',
      '.:1053',
      { zones: ['example.org', 'example.net'], ttl: 60, apex: 'ext', headless: true, fallthrough: ['.'] },
    ],
    [
      'k8s_external {\n    fallthrough example.org\n  }',
      'example.org:1053',
      { zones: ['example.org'], ttl: 5, apex: 'dns', headless: false, fallthrough: ['example.org'] },
    ],
  ])('reads "%s" in a block for %s', (line, key, external) => {
    expect(configsOf(block(`  ${line}`, key))[0]!.external).toEqual(external);
  });

  it.each([
    [
      'k8s_external',
      'Corefile:3: k8s_external: name its ZONE: the root zone . would take every name from the chain',
    ],
    [
      'k8s_external example.org {\n    ttl 3601\n  }',
      /^Corefile:4 \(k8s_external ttl\): "3601": expected a whole number from 0 to 3600/,
    ],
    ['k8s_external example.org {\n    ttl\n  }', 'Corefile:4: k8s_external ttl: expected ttl TTL'],
    [
      'k8s_external example.org {\n    apex a.b\n  }',
      /^Corefile:4 \(k8s_external apex\): "a\.b": expected a DNS label/,
    ],
    [
      'k8s_external example.org {\n    headless yes\n  }',
      'Corefile:4: k8s_external headless: expected headless with no arguments',
    ],
    [
      'k8s_external example.org {\n    transfer\n  }',
      /^Corefile:4: k8s_external option "transfer" is not supported/,
    ],
    [
      'k8s_external 10.in-addr.arpa',
      /^Corefile:3 \(k8s_external\): zone "10.in-addr.arpa": expected a forward zone/,
    ],
  ])('refuses "%s" naming its line', (line, message) => {
    if (typeof message === 'string') expect(error(block(`  ${line}`))).toBe(message);
    else expect(error(block(`  ${line}`))).toMatch(message);
  });

  it('refuses k8s_external in a block without kubernetes: it serves what that kubernetes reads', () => {
    expect(error('.:53 {\n  kubernetes cluster.local\n}\nexample.org:53 {\n  k8s_external\n}\n')).toBe(
      'Corefile:5: k8s_external needs kubernetes in the same server block: it serves the external addresses of the services that kubernetes reads',
    );
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

  it('serves each server block on a port as its own chain: kubernetes, the root block and stub domains', () => {
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
        forward . 10.150.0.1 10.150.0.2:5353 {
          policy sequential
        }
        hosts {
          10.0.0.1 a.consul.local
          fallthrough
        }
        log . {
          class error
        }
      }
    `);
    expect(others).toEqual([]);
    // The block with kubernetes is the primary: it reads the registry and forwards nothing itself.
    expect(config!.blockZones).toEqual(['cluster.local']);
    expect(config!.zones).toEqual(['cluster.local']);
    expect(config!.kubernetes).toEqual({});
    expect(config!.upstreams).toEqual([]);
    expect(config!.logQueries).toBe(false);
    const [root, stub] = config!.blocks;
    expect(root!.blockZones).toEqual(['.']);
    expect(root!.upstreams.map((u) => u.host)).toEqual(['192.0.2.1']);
    expect(root!.cache.successMaxTtl).toBe(30);
    expect(root!.logQueries).toBe(true);
    expect(root!.kubernetes).toBeUndefined();
    expect(stub!.blockZones).toEqual(['consul.local', 'example.org']);
    expect(stub!.upstreams.map((u) => `${u.host}:${u.port}`)).toEqual(['10.150.0.1:53', '10.150.0.2:5353']);
    expect(stub!.upstreamPool.policy).toBe('sequential');
    expect(stub!.cache.maxEntries).toBe(0);
    expect(stub!.hosts.lines).toEqual(['10.0.0.1 a.consul.local']);
    expect(stub!.queryLog.classes).toEqual(['error']);
    // CoreDNS forwards for every client unless an acl says otherwise.
    expect(root!.allowRecursion).toEqual(['0.0.0.0/0', '::/0']);
    // CoreDNS refuses a zone two blocks on one port both name ("already defined").
    expect(
      error('cluster.local:53 {\n  kubernetes\n}\ncluster.local:53 {\n  forward . 10.0.0.1\n}\n'),
    ).toMatch(/^Corefile:4: zone cluster\.local is served twice on one port \(also Corefile:1\)/);
  });

  it('runs a port without kubernetes as caching forwarders, one chain per block (NodeLocal DNSCache)', () => {
    const [config] = configsOf(fixture('corefiles/real/nodelocaldns.Corefile'));
    expect(config!.blockZones).toEqual(['.']);
    expect(config!.kubernetes).toBeUndefined();
    expect(config!.zonesDir).toBeUndefined();
    expect(config!.resolvConf).toBe('/etc/resolv.conf');
    expect(config!.metrics).toEqual({ port: 9253 });
    // The server's health comes from the block that names it.
    expect(config!.health).toEqual({ host: '169.254.20.10', port: 8080 });
    expect(
      config!.blocks.map((b) => [b.blockZones.join(' '), b.upstreamPool.transport, b.cache.successMaxTtl]),
    ).toEqual([
      ['cluster.local', 'tcp', 30],
      ['in-addr.arpa', 'tcp', 30],
      ['ip6.arpa', 'tcp', 30],
    ]);
    expect(config!.blocks[0]!.cache.maxEntries).toBe(9984);
    expect(config!.blocks[0]!.cache.denialMaxTtl).toBe(5);
  });

  it('runs a block with keys on several ports on each of them', () => {
    const configs = configsOf('.:1053 .:2053 {\n  kubernetes cluster.local\n  log\n}\n');
    expect(configs.map((c) => [c.listen[0]!.port, c.logQueries, c.zones])).toEqual([
      [1053, true, ['cluster.local']],
      [2053, true, ['cluster.local']],
    ]);
  });

  it('accepts the directives that change nothing a client sees, and says so of those it does not run', () => {
    const corefile = block(
      '  any\n  debug\n  metadata\n  cancel 5001ms\n  pprof localhost:6053\n  nsid node-1',
    );
    const { notices } = translateCorefile(corefile, 'Corefile', {});
    expect(notices).toEqual([
      'Corefile:7: pprof is a Go profiler endpoint clusterdns does not have; not served',
      'Corefile:8: nsid: clusterdns adds no NSID option to its replies (RFC 5001); the rest of the block runs',
    ]);
    expect(error(block('  cancel soon'))).toMatch(/^Corefile:3: cancel: /);
    const [config] = configsOf(block('  local\n  whoami'));
    expect([config!.local, config!.whoami]).toEqual([true, true]);
  });

  it.each([
    ['file db.example.org example.org', 'serve the zone from zone files (--zones DIR'],
    ['etcd skydns.local', 'run clusterdns with --etcd URL'],
    ['grpc . 127.0.0.1:9005', 'forward . tls://ADDRESS'],
    ['multisocket 4', '--workers N'],
    ['geoip /db.mmdb', 'directive "geoip" is not supported by clusterdns: remove it'],
  ])('refuses "%s" saying what to write instead', (line, instead) => {
    expect(error(block(`  ${line}`))).toContain(instead);
  });

  it('names an unsupported directive, sub-directive or form with its line', () => {
    // Each says what clusterdns runs instead.
    expect(error(block('  dnssec'))).toBe(
      'Corefile:3: directive "dnssec" is not supported by clusterdns: clusterdns signs no answers: remove it; the directives clusterdns runs are ' +
        'acl, any, autopath, bind, bufsize, cache, cancel, chaos, debug, dns64, errors, forward, health, hosts, k8s_external, kubernetes, loadbalance, local, log, loop, metadata, nsid, pprof, prometheus, ready, reload, rewrite, template, whoami',
    );
    expect(error('.:53 {\n  kubernetes cluster.local {\n    noendpointz\n  }\n}\n')).toBe(
      'Corefile:3: kubernetes option "noendpointz" is not supported: remove it; the kubernetes options clusterdns runs are ' +
        'endpoint, kubeconfig, namespaces, labels, namespace_labels, pods, ttl, startup_timeout, fallthrough, endpoint_pod_names, noendpoints, zonal, upstream, multicluster, ignore',
    );
    expect(error(block('  ready {\n    extra\n  }'))).toBe(
      'Corefile:4: ready option "extra" is not supported: write ready without a block',
    );
    expect(error(block('  forward . grpc://1.1.1.1'))).toBe(
      'Corefile:3: forward grpc://1.1.1.1: grpc:// upstreams are not supported: write dns://IP or tls://IP',
    );
    expect(error(block('  forward example.com 1.1.1.1'))).toMatch(/^Corefile:3: forward example\.com:/);
    expect(error(block('  loadbalance weighted /w'))).toMatch(/^Corefile:3: loadbalance weighted/);
    expect(error(block('  autopath /etc/resolv.conf'))).toMatch(/^Corefile:3: autopath/);
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
      /^Corefile:3: acl ZONES: clusterdns applies acl to every query of its server block/,
    );
    expect(error(block('  acl {\n    allow net 10.0.0.300/8\n    block\n  }'))).toMatch(
      /^Corefile:3 \(acl\): "10.0.0.300\/8": expected an address range/,
    );
  });

  it('reads dns64 in its short and block forms, as CoreDNS 1.14 does', () => {
    const dns64 = (body: string) => configsOf(block(body))[0]!.dns64;
    expect(dns64('')).toBeUndefined();
    expect(dns64('  dns64')).toEqual({ prefix: '64:ff9b::/96', translateAll: false, allowIPv4: false });
    expect(dns64('  dns64 64:1337::/96')).toEqual({
      prefix: '64:1337::/96',
      translateAll: false,
      allowIPv4: false,
    });
    expect(dns64('  dns64 {\n    prefix 64:1337::/64\n    translate_all\n    allow_ipv4\n  }')).toEqual({
      prefix: '64:1337::/64',
      translateAll: true,
      allowIPv4: true,
    });
    expect(error(block('  dns64 64:ff9b::/95'))).toBe(
      'Corefile:3 (dns64): "64:ff9b::/95": expected an IPv6 prefix of length 32, 40, 48, 56, 64, 96 (RFC 6052), such as 64:ff9b::/96',
    );
    expect(error(block('  dns64 {\n    prefix 10.0.0.0/96\n  }'))).toMatch(
      /^Corefile:4 \(dns64 prefix\): "10\.0\.0\.0\/96": expected an IPv6 prefix/,
    );
    expect(error(block('  dns64 64:ff9b::/96 64:1337::/96'))).toBe(
      'Corefile:3: dns64: expected dns64 [PREFIX]',
    );
    expect(error(block('  dns64 {\n    translate_all yes\n  }'))).toBe(
      'Corefile:4: dns64 translate_all: expected translate_all with no arguments',
    );
    expect(error(block('  dns64 {\n    upstream 1.1.1.1\n  }'))).toMatch(
      /^Corefile:4: dns64 option "upstream" is not supported: remove it; the dns64 options clusterdns runs are prefix, translate_all, allow_ipv4/,
    );
  });

  it('reads rewrite lines as one list of rules, in order, a block as one rule', () => {
    const [config] = configsOf(
      block(
        '  rewrite name regex .*\\.nodes\\.vcluster\\.com kubernetes.default.svc.cluster.local\n' +
          '  rewrite continue {\n    name regex (.*)-(us-west-1)\\.coredns\\.rocks {1}.service.{2}.consul\n' +
          '    answer name (.*)\\.service\\.(us-west-1)\\.consul {1}-{2}.coredns.rocks\n  }\n' +
          '  rewrite stop type ANY HINFO',
      ),
    );
    expect(config!.rewrite).toEqual([
      ['name', 'regex', '.*\\.nodes\\.vcluster\\.com', 'kubernetes.default.svc.cluster.local'],
      [
        'continue',
        'name',
        'regex',
        '(.*)-(us-west-1)\\.coredns\\.rocks',
        '{1}.service.{2}.consul',
        'answer',
        'name',
        '(.*)\\.service\\.(us-west-1)\\.consul',
        '{1}-{2}.coredns.rocks',
      ],
      ['stop', 'type', 'ANY', 'HINFO'],
    ]);
    expect(configsOf(block(''))[0]!.rewrite).toEqual([]);
  });

  it('refuses a rewrite rule clusterdns does not run, naming its line and what it runs', () => {
    const ROWS: [string, string][] = [
      [
        '  rewrite edns0 local set 0xffee abcd',
        'Corefile:3: rewrite edns0 local set 0xffee abcd: edns0 rules are not supported by clusterdns; the rules it runs are name, type, class, ttl; ' +
          'write rewrite [continue|stop] name|type|class|ttl ... (see https://coredns.io/plugins/rewrite/)',
      ],
      [
        '  rewrite cname exact a.example b.example',
        'Corefile:3: rewrite cname exact a.example b.example: cname rules are not supported',
      ],
      [
        '  rewrite continue {\n    rcode a.example SERVFAIL NOERROR\n  }',
        'Corefile:3: rewrite continue rcode a.example',
      ],
      [
        '  rewrite name regex (.*\\.a b',
        'Corefile:3: rewrite name regex (.*\\.a b: invalid regex matching pattern',
      ],
      [
        '  rewrite name a.example b.example {\n    answer auto\n  }',
        'Corefile:4: rewrite option "answer" is not supported',
      ],
      [
        '  rewrite {\n    name {\n      x\n    }\n  }',
        "Corefile:4: rewrite: a block inside a rule's block is not supported",
      ],
      [
        '  rewrite name "a b.example" c.example',
        'Corefile:3: rewrite: "a b.example": a rule\'s words hold no spaces',
      ],
    ];
    for (const [body, message] of ROWS) expect(error(block(body))).toContain(message);
    // A stub-domain block runs its own rules, as each block is its own chain.
    const [config] = configsOf(
      '.:53 {\n  kubernetes cluster.local\n  forward . 10.0.0.1\n}\nconsul.local:53 {\n  rewrite name a.consul.local b.consul.local\n  forward . 10.0.0.2\n}\n',
    );
    expect(config!.rewrite).toEqual([]);
    expect(config!.blocks[0]!.rewrite).toEqual([['name', 'a.consul.local', 'b.consul.local']]);
  });

  it('checks values as options are checked, naming the Corefile line', () => {
    expect(error('.:53 {\n  kubernetes cluster.local {\n    ttl 9000\n  }\n}\n')).toBe(
      'Corefile:3 (kubernetes ttl): "9000": expected a whole number from 0 to 3600',
    );
    expect(error('.:53 {\n  kubernetes cluster.local {\n    pods maybe\n  }\n}\n')).toBe(
      'Corefile:3 (kubernetes pods): "maybe": expected disabled, insecure or verified',
    );
    // A namespaced watch cannot list the cluster's Namespace objects a label selector picks from.
    expect(
      error(
        '.:53 {\n  kubernetes cluster.local {\n    namespaces shop\n    namespace_labels team=a\n  }\n}\n',
      ),
    ).toMatch(
      /^Corefile:4 \(kubernetes namespace_labels\): cannot go with Corefile:3 \(kubernetes namespaces\)/,
    );
    const [labelled] = configsOf(
      '.:53 {\n  kubernetes cluster.local {\n    namespace_labels team=a\n  }\n}\n',
    );
    expect(labelled!.kubernetes?.namespaceLabels).toBe('team=a');
  });

  it('reads zonal, and refuses it with noendpoints as CoreDNS does', () => {
    const [zonal] = configsOf('.:53 {\n  kubernetes cluster.local {\n    zonal\n  }\n}\n');
    expect(zonal!.zonal).toBe(true);
    const [plain] = configsOf('.:53 {\n  kubernetes cluster.local\n}\n');
    expect(plain!.zonal).toBeUndefined();
    expect(error('.:53 {\n  kubernetes cluster.local {\n    zonal\n    noendpoints\n  }\n}\n')).toMatch(
      /^Corefile:3 \(kubernetes zonal\): cannot go with Corefile:4 \(kubernetes noendpoints\): zone-scoped names are answered from EndpointSlices/,
    );
    expect(error('.:53 {\n  kubernetes cluster.local {\n    zonal us-west-2a\n  }\n}\n')).toBe(
      'Corefile:3: kubernetes zonal: expected zonal with no arguments',
    );
  });

  it('reads multicluster ZONES, each a zone the kubernetes line serves (CoreDNS README)', () => {
    const [config] = configsOf(
      '.:53 {\n  kubernetes cluster.local clusterset.local {\n    multicluster clusterset.local.\n  }\n}\n',
    );
    expect(config!.zones).toEqual(['cluster.local', 'clusterset.local']);
    expect(config!.multiclusterZones).toEqual(['clusterset.local']);
    expect(configsOf(block(''))[0]!.multiclusterZones).toEqual([]);
    expect(error('.:53 {\n  kubernetes cluster.local {\n    multicluster clusterset.local\n  }\n}\n')).toBe(
      'Corefile:3 (kubernetes multicluster): "clusterset.local" is not a served zone (cluster.local): add --zone clusterset.local (in a Corefile, list it on the kubernetes line)',
    );
    expect(error('.:53 {\n  kubernetes cluster.local {\n    multicluster\n  }\n}\n')).toMatch(
      /^Corefile:3: kubernetes multicluster: expected multicluster ZONE/,
    );
    expect(
      error(
        '.:53 {\n  kubernetes cluster.local 10.in-addr.arpa {\n    multicluster 10.in-addr.arpa\n  }\n}\n',
      ),
    ).toMatch(/a multicluster zone is a forward zone/);
  });
});
