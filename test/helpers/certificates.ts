// Certificates made by openssl when a test starts, in a fresh temporary directory: a test CA, a
// server certificate it signs for dns.test and 127.0.0.1, a client certificate it signs, and a
// self-signed server certificate no CA vouches for. Nothing private is checked in; all expire in a
// day. Undefined when openssl is missing (requireTool says why, and fails under CI).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './tools.js';

export interface TestPki {
  dir: string;
  /** Paths. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Self-signed, for dns.test and 127.0.0.1 too. */
  untrustedCert: string;
  untrustedKey: string;
  /** The PEM text of a path. */
  pem(path: string): string;
  remove(): void;
}

/** The name the server certificates carry, beside the IP 127.0.0.1. */
export const TEST_SERVER_NAME = 'dns.test';

export function makeTestPki(): TestPki | undefined {
  if (!requireTool('openssl', ['version'], 'openssl')) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'clusterdns-pki-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const serverNames = `subjectAltName=DNS:${TEST_SERVER_NAME},IP:127.0.0.1`;
  openssl(
    'req',
    '-x509',
    ...key,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=clusterdns test CA',
  );
  const signed = (name: string, subject: string, extensions: string) => {
    openssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    writeFileSync(path(`${name}.ext`), `${extensions}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  };
  signed('server', `/CN=${TEST_SERVER_NAME}`, `${serverNames}\nextendedKeyUsage=serverAuth`);
  signed('client', '/CN=clusterdns test client', 'extendedKeyUsage=clientAuth');
  openssl(
    'req',
    '-x509',
    ...key,
    '-keyout',
    'untrusted.key',
    '-out',
    'untrusted.pem',
    '-days',
    '1',
    '-subj',
    `/CN=${TEST_SERVER_NAME}`,
    '-addext',
    serverNames,
  );
  return {
    dir,
    ca: path('ca.pem'),
    serverCert: path('server.pem'),
    serverKey: path('server.key'),
    clientCert: path('client.pem'),
    clientKey: path('client.key'),
    untrustedCert: path('untrusted.pem'),
    untrustedKey: path('untrusted.key'),
    pem: (file) => readFileSync(file, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
