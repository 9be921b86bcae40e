// tls:// upstreams in the flag form: the address with its default port 853, and the TLS settings
// with the checks that name the flag (the Corefile form is in corefile.test.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConfig, type Config } from '../../src/config/config.js';
import { flagLayer } from '../../src/config/layers.js';
import { ConfigError } from '../../src/config/values.js';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';

const configOf = (...argv: string[]): Config => buildConfig([flagLayer(argv).layer], {});

function error(...argv: string[]): string {
  try {
    configOf(...argv);
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return (caught as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('--upstream with a scheme', () => {
  it.each([
    ['tls://192.0.2.1', { host: '192.0.2.1', port: 853, family: 4, tls: true }],
    ['tls://192.0.2.1:8853', { host: '192.0.2.1', port: 8853, family: 4, tls: true }],
    ['tls://[2001:db8::1]', { host: '2001:db8::1', port: 853, family: 6, tls: true }],
    ['TLS://192.0.2.1', { host: '192.0.2.1', port: 853, family: 4, tls: true }],
    ['dns://192.0.2.1', { host: '192.0.2.1', port: 53, family: 4 }],
    ['192.0.2.1:5353', { host: '192.0.2.1', port: 5353, family: 4 }],
  ])('reads %s', (value, expected) => {
    expect(configOf('--upstream', value).upstreams).toEqual([expected]);
  });

  it('mixes dns:// and tls:// upstreams, and takes tls:// in a stub domain', () => {
    const config = configOf(
      '--upstream',
      'tls://192.0.2.1,192.0.2.2',
      '--stub-domain',
      'consul.local=tls://10.0.0.1',
    );
    expect(config.upstreams.map((u) => [u.port, u.tls === true])).toEqual([
      [853, true],
      [53, false],
    ]);
    expect(config.stubDomains[0]!.upstreams).toEqual([{ host: '10.0.0.1', port: 853, family: 4, tls: true }]);
  });

  it.each([
    [
      ['--upstream', 'https://192.0.2.1'],
      '--upstream: "https://192.0.2.1": https:// upstreams are not supported, only dns:// and tls://',
    ],
    [
      ['--upstream', 'tls://dns.example'],
      '--upstream: "dns.example": expected IP:PORT, with IPv6 in brackets as [::1]:1053',
    ],
    [
      ['--upstream', '192.0.2.1', '--upstream-tls-servername', 'dns.example'],
      '--upstream-tls-servername: "dns.example" applies to tls:// upstreams only, and none is given: write --upstream tls://IP[:PORT]',
    ],
    [
      ['--upstream', 'tls://192.0.2.1', '--upstream-tls-cert', '/client.pem'],
      '--upstream-tls-cert: a client certificate needs both --upstream-tls-cert and --upstream-tls-key; --upstream-tls-key is missing',
    ],
    [
      ['--upstream', 'tls://192.0.2.1', '--upstream-tls-servername', ''],
      '--upstream-tls-servername: expected a value, got an empty one',
    ],
    [
      ['--upstream', 'tls://192.0.2.1', '--upstream-expire', 'soon'],
      '--upstream-expire: "soon": expected a duration such as 2s, 500ms, 5m or 1h',
    ],
    [
      ['--upstream', 'tls://192.0.2.1', '--upstream-tls-ca', '/nonexistent/ca.pem'],
      /^--upstream-tls-ca: cannot read \/nonexistent\/ca\.pem: ENOENT/,
    ],
  ])('refuses %j', (argv, message) => {
    if (typeof message === 'string') expect(error(...argv)).toBe(message);
    else expect(error(...argv)).toMatch(message);
  });
});

const pki = makeTestPki();
afterAll(() => pki?.remove());

describe.runIf(pki)('--upstream-tls-* files', () => {
  const { dir, ca, clientCert, clientKey, serverKey } = pki ?? ({} as TestPki);

  it('takes the CA, client certificate and server name as given', () => {
    const config = configOf(
      '--upstream',
      'tls://192.0.2.1',
      '--upstream-tls-servername',
      'dns.test',
      '--upstream-tls-ca',
      ca,
      '--upstream-tls-cert',
      clientCert,
      '--upstream-tls-key',
      clientKey,
      '--upstream-expire',
      '30s',
    );
    expect(config.upstreamPool.tls).toEqual({
      serverName: 'dns.test',
      caFile: ca,
      certFile: clientCert,
      keyFile: clientKey,
      expireMs: 30_000,
    });
  });

  it("refuses a CA file without a certificate, and a key that is not the certificate's", () => {
    const notPem = join(dir, 'not-a-ca.pem');
    writeFileSync(notPem, 'nameserver 192.0.2.1\n');
    expect(error('--upstream', 'tls://192.0.2.1', '--upstream-tls-ca', notPem)).toBe(
      `--upstream-tls-ca: ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
    expect(
      error(
        '--upstream',
        'tls://192.0.2.1',
        '--upstream-tls-cert',
        clientCert,
        '--upstream-tls-key',
        serverKey,
      ),
    ).toMatch(
      new RegExp(
        `^--upstream-tls-cert: ${clientCert} with --upstream-tls-key ${serverKey}: not a PEM certificate and its private key`,
      ),
    );
  });
});
