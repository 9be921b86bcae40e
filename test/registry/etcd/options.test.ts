// The etcd flags of the server and of `clusterdns register`: what they accept and the messages a
// user gets for what they do not.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../src/config/command.js';
import { parseRegisterCommand } from '../../../src/registry/etcd/register-command.js';

function serve(...argv: string[]) {
  const command = parseCommandLine(argv, {});
  if (command.kind !== 'serve') throw new Error('expected serve');
  return command.config;
}

describe('server etcd flags', () => {
  it('reads endpoints, prefix, TLS and user settings; no bundled zones alongside', () => {
    const config = serve(
      ...['--etcd', 'https://10.0.0.1:2379, https://10.0.0.2:2379', '--etcd-prefix', '/dns/'],
      ...['--etcd-ca-file', '/ca', '--etcd-cert-file', '/crt', '--etcd-key-file', '/key'],
      ...['--etcd-username', 'dns', '--etcd-password-file', '/pw'],
    );
    expect(config.etcd).toEqual({
      endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'],
      prefix: '/dns',
      caFile: '/ca',
      certFile: '/crt',
      keyFile: '/key',
      username: 'dns',
      passwordFile: '/pw',
    });
    expect(config.zonesDir).toBeUndefined();
    expect(serve('--etcd', 'http://127.0.0.1:2379').etcd?.prefix).toBe('/skydns');
    expect(parseCommandLine([], { CLUSTERDNS_ETCD: 'http://127.0.0.1:2379' })).toMatchObject({
      config: { etcd: { endpoints: ['http://127.0.0.1:2379'] } },
    });
  });

  it.each([
    [
      ['--etcd', '127.0.0.1:2379'],
      '--etcd: "127.0.0.1:2379" has no scheme; expected e.g. http://127.0.0.1:2379',
    ],
    [['--etcd', 'unix://a:1'], '--etcd: "unix://a:1" must start with http:// or https://'],
    [['--etcd', 'http://a:1/v3'], '--etcd: "http://a:1/v3" must be only a scheme, host and port'],
    [['--etcd', 'http://a:1', '--etcd-prefix', 'skydns'], '--etcd-prefix: "skydns": expected a key prefix'],
    [['--etcd-prefix', '/x'], '--etcd-prefix needs --etcd URL'],
    [['--etcd', 'https://a:1', '--etcd-cert-file', '/c'], '--etcd-cert-file and --etcd-key-file go together'],
    [
      ['--etcd', 'http://a:1', '--etcd-username', 'u'],
      '--etcd-username and --etcd-password-file go together',
    ],
    [['--etcd', 'http://a:1', '--etcd-ca-file', '/ca'], 'need https:// --etcd URLs'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCommandLine(argv, {})).toThrow(message);
  });
});

describe('clusterdns register flags', () => {
  const base = [
    '--etcd',
    'http://127.0.0.1:2379',
    '--namespace',
    'Shop',
    '--service',
    'web',
    '--ip',
    '10.0.0.5',
  ];

  it('reads a registration, with defaults', () => {
    expect(parseRegisterCommand([...base, '--port', '8080'], {})).toEqual({
      kind: 'register',
      config: {
        etcd: { endpoints: ['http://127.0.0.1:2379'], prefix: '/skydns' },
        zone: 'cluster.local',
        namespace: 'shop',
        service: 'web',
        instance: '10-0-0-5',
        ip: '10.0.0.5',
        port: 8080,
        protocol: 'TCP',
        ttlSeconds: 10,
        priority: 0,
        weight: 0,
        logLevel: 'info',
      },
    });
    const full = parseRegisterCommand(
      [...base, '--port', '53', '--port-name', 'dns', '--protocol', 'udp', '--ttl', '3', '--instance', 'a1'],
      {},
    );
    expect(full).toMatchObject({
      config: { portName: 'dns', protocol: 'UDP', ttlSeconds: 3, instance: 'a1' },
    });
    expect(
      parseRegisterCommand([], {
        CLUSTERDNS_ETCD: 'http://127.0.0.1:2379',
        CLUSTERDNS_NAMESPACE: 'shop',
        CLUSTERDNS_SERVICE: 'web',
        CLUSTERDNS_IP: 'fd00::5',
        CLUSTERDNS_PORT: '80',
      }),
    ).toMatchObject({ config: { ip: 'fd00::5', instance: 'fd00--5' } });
  });

  it.each([
    [['--namespace', 'shop'], '--etcd is required'],
    [base, '--port is required: the port this instance serves on'],
    [[...base, '--port', '0'], '--port "0": expected a whole number from 1 to 65535'],
    [[...base, '--port', '80', '--ttl', '0'], '--ttl "0": expected a whole number from 1 to 86400'],
    [[...base, '--port', '80', '--ip', 'web-1'], '--ip "web-1": expected an IPv4 or IPv6 address'],
    [[...base, '--port', '80', '--service', 'Web_1'], '--service "Web_1": expected a DNS label'],
    [[...base, '--port', '80', '--port-name', 'h_t'], '--port-name "h_t": expected a DNS label'],
    [[...base, '--port', '80', '--protocol', 'quic'], '--protocol "quic": expected tcp, udp or sctp'],
    [
      [...base, '--port', '80', '--zone', 'in-addr.arpa'],
      '--zone: zone "in-addr.arpa": expected a forward zone',
    ],
    [[...base, '--port', '80', '--bogus'], "Unknown option '--bogus'"],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseRegisterCommand(argv, {})).toThrow(message);
  });
});
