// Instance lists as the Nacos versions send them → endpoints; weights → SRV weights; service names
// → DNS labels; the Nacos flags → config.

import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/config/command.js';
import { ConfigError } from '../../../src/config/values.js';
import { readInstanceList } from '../../../src/registry/nacos/instances.js';
import { bareServiceName, isPublicNamespace, serviceLabel } from '../../../src/registry/nacos/names.js';
import { srvWeight } from '../../../src/registry/nacos/weight.js';

const host2x = (fields: Record<string, unknown> = {}) => ({
  instanceId: '10.0.0.1#8080#DEFAULT#DEFAULT_GROUP@@orders',
  ip: '10.0.0.1',
  port: 8080,
  weight: 1.0,
  healthy: true,
  enabled: true,
  ephemeral: true,
  clusterName: 'DEFAULT',
  serviceName: 'DEFAULT_GROUP@@orders',
  metadata: { 'preserved.register.source': 'SPRING_CLOUD' },
  ...fields,
});

describe('readInstanceList', () => {
  it('reads the 2.x shape, with cacheMillis and the protection flag', () => {
    const list = readInstanceList({
      name: 'DEFAULT_GROUP@@orders',
      groupName: 'DEFAULT_GROUP',
      clusters: '',
      cacheMillis: 10000,
      hosts: [host2x()],
      lastRefTime: 1,
      checksum: '',
      allIPs: false,
      reachProtectionThreshold: true,
      valid: true,
    });
    expect(list).toEqual({
      endpoints: [
        { ip: '10.0.0.1', ready: true, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], weight: 100 },
      ],
      problems: [],
      cacheMillis: 10000,
      reachProtectionThreshold: true,
    });
  });

  it('reads the documented 1.x shape (valid, no enabled) and the 3.x bare array', () => {
    const v1 = readInstanceList({
      dom: 'orders',
      cacheMillis: 3000,
      useSpecifiedURL: false,
      hosts: [
        { valid: false, marked: false, instanceId: 'a', port: 80, ip: '10.0.0.2', weight: 2, metadata: {} },
      ],
      checksum: 'x',
      lastRefTime: 1,
      env: '',
      clusters: '',
    });
    expect(v1.endpoints).toMatchObject([{ ip: '10.0.0.2', ready: false, weight: 200 }]);
    expect(v1.reachProtectionThreshold).toBe(false);
    const v3 = readInstanceList([host2x({ ip: 'fd00::1' })]);
    expect(v3.endpoints).toMatchObject([{ ip: 'fd00::1', ready: true }]);
    expect(v3.cacheMillis).toBeUndefined();
  });

  it.each([
    ['unhealthy', { healthy: false }, false],
    ['disabled', { enabled: false }, false],
    ['weight 0', { weight: 0 }, false],
    ['healthy, enabled, weighted', {}, true],
    ['weight absent (Nacos default 1.0)', { weight: undefined }, true],
  ])('%s → ready %s', (_name, fields, ready) => {
    expect(readInstanceList({ hosts: [host2x(fields)] }).endpoints[0]?.ready).toBe(ready);
  });

  it.each([
    [{ ip: 'orders-1.local' }, 'ip "orders-1.local" is not an IP address'],
    [{ ip: undefined }, 'ip undefined is not an IP address'],
    [{ port: 70000 }, 'port 70000 is not an integer 1-65535'],
    [{ port: '8080' }, 'port "8080" is not an integer 1-65535'],
    [{ healthy: undefined }, 'has neither "healthy" nor "valid"'],
    [{ weight: -1 }, 'weight -1 is not a number 0-10000'],
    [{ weight: 'heavy' }, 'weight "heavy" is not a number 0-10000'],
    [{ enabled: 'yes' }, 'enabled "yes" is not a boolean'],
    [{ metadata: { 'dns.port-name': 'my_port' } }, 'metadata dns.port-name "my_port" is not a DNS label'],
  ])('skips %j: %s', (fields, problem) => {
    const list = readInstanceList({ hosts: [host2x(fields), host2x({ ip: '10.0.0.9', instanceId: 'ok' })] });
    expect(list.problems).toEqual([{ instance: expect.any(String), problem }]);
    expect(list.endpoints.map((e) => e.ip)).toEqual(['10.0.0.9']);
  });

  it('rejects an answer without hosts as a whole (a failed poll keeps the last good list)', () => {
    expect(() => readInstanceList({ code: 500 })).toThrow('no "hosts" array');
    expect(() => readInstanceList('<html>')).toThrow();
  });
});

describe('srvWeight', () => {
  it.each([
    [0, 0],
    [0.001, 1],
    [0.01, 1],
    [0.5, 50],
    [1, 100],
    [2.5, 250],
    [100, 10_000],
    [655.35, 65_535],
    [1000, 65_535],
    [10_000, 65_535],
  ])('Nacos weight %s → SRV weight %s', (nacos, srv) => {
    expect(srvWeight(nacos)).toBe(srv);
  });
});

describe('names', () => {
  it.each([
    ['orders', 'orders'],
    ['Orders-API', 'orders-api'],
    ['DEFAULT_GROUP@@orders', 'orders'],
    ['com.shop.orders', undefined],
    ['orders:v2', undefined],
    ['orders_v2', undefined],
    ['-orders', undefined],
    ['a'.repeat(64), undefined],
  ])('%s → %s', (name, label) => {
    expect(serviceLabel(name)).toBe(label);
  });

  it('knows the public namespace by both of its IDs', () => {
    expect([isPublicNamespace(''), isPublicNamespace('public'), isPublicNamespace('prod')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(bareServiceName('G@@x')).toBe('x');
  });
});

describe('Nacos flags', () => {
  const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const command = parseCommandLine(argv, env);
    if (command.kind !== 'serve') throw new Error('expected serve');
    return command.config;
  };

  it('reads every flag, and serves Nacos alone (no bundled zones)', () => {
    const config = parse([
      '--nacos',
      'http://nacos:8848',
      '--nacos-namespace-map',
      'prod=33ea21bc-0c1f-4d5e-9a8b-7f6e5d4c3b2a, Default=',
      '--nacos-group',
      'SHOP',
      '--nacos-username',
      'dns',
      '--nacos-password-file',
      '/run/secrets/nacos',
      '--nacos-api',
      'v2',
      '--nacos-min-poll',
      '200ms',
      '--nacos-relist',
      '30s',
    ]);
    expect(config.zonesDir).toBeUndefined();
    expect(config.nacos).toEqual({
      url: 'http://nacos:8848',
      api: 'v2',
      namespaces: [
        { dns: 'prod', nacos: '33ea21bc-0c1f-4d5e-9a8b-7f6e5d4c3b2a' },
        { dns: 'default', nacos: '' },
      ],
      group: 'SHOP',
      username: 'dns',
      passwordFile: '/run/secrets/nacos',
      minPollMs: 200,
      relistMs: 30_000,
    });
  });

  it('defaults: default=public, DEFAULT_GROUP, v1, 1 s, 10 s; also from the environment', () => {
    expect(parse([], { CLUSTERDNS_NACOS: 'http://127.0.0.1:8848' }).nacos).toEqual({
      url: 'http://127.0.0.1:8848',
      api: 'v1',
      namespaces: [{ dns: 'default', nacos: 'public' }],
      group: 'DEFAULT_GROUP',
      minPollMs: 1000,
      relistMs: 10_000,
    });
  });

  it('reads several servers and a gRPC port for --nacos-api grpc', () => {
    expect(
      parse([
        '--nacos',
        'http://nacos-0:8848, https://nacos-1:8848',
        '--nacos-api',
        'grpc',
        '--nacos-grpc-port',
        '9849',
      ]).nacos,
    ).toMatchObject({
      url: 'http://nacos-0:8848',
      servers: ['http://nacos-0:8848', 'https://nacos-1:8848'],
      api: 'grpc',
      grpcPort: 9849,
    });
    // One server: no list; no port: each server's HTTP port + 1000.
    const one = parse(['--nacos', 'http://nacos:8848', '--nacos-api', 'grpc']).nacos!;
    expect(one.servers).toBeUndefined();
    expect(one.grpcPort).toBeUndefined();
  });

  it.each([
    [['--nacos', 'not a url'], '--nacos'],
    [['--nacos', 'ftp://n:8848', '--nacos-api', 'grpc'], '"ftp://n:8848": expected an http(s) URL'],
    [['--nacos', 'http://a:8848,http://b:8848'], '--nacos: several servers need --nacos-api grpc'],
    [
      ['--nacos', 'http://n:8848', '--nacos-grpc-port', '9848'],
      '--nacos-grpc-port: only with --nacos-api grpc',
    ],
    [
      ['--nacos', 'http://n:8848', '--nacos-api', 'grpc', '--nacos-grpc-port', '0'],
      'expected a port 1-65535',
    ],
    [
      ['--nacos', 'http://n:8848', '--nacos-api', 'grpc', '--nacos-grpc-port', '9x'],
      'expected a port 1-65535',
    ],
    [['--nacos', 'http://n:8848', '--nacos-namespace-map', 'prod'], 'expected dnsNamespace=nacosNamespaceId'],
    [['--nacos', 'http://n:8848', '--nacos-namespace-map', 'a=1,a=2'], '"a" is mapped twice'],
    [['--nacos', 'http://n:8848', '--nacos-api', 'v4'], 'expected v1, v2, v3 or grpc'],
    [['--nacos', 'http://n:8848', '--nacos-username', 'dns'], 'go together'],
    [['--nacos', 'http://n:8848', '--nacos-min-poll', '1m'], '--nacos-min-poll'],
  ])('rejects %j', (argv, message) => {
    expect(() => parse(argv)).toThrow(ConfigError);
    expect(() => parse(argv)).toThrow(message);
  });
});
