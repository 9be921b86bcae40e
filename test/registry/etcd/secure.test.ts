// The etcd backend against a real etcd that demands TLS client certificates, and one that demands
// a user and password: it syncs with the right credentials, and without them it keeps trying
// without ever putting the password in a log line.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdServer, hasEtcd, startEtcd } from './etcd-server.js';
import { startBackend, waitFor } from './helpers.js';

const haveEtcd = hasEtcd();
const fixture = (name: string) => fileURLToPath(new URL(`../kubernetes/fixtures/${name}`, import.meta.url));
const TLS = {
  certFile: fixture('server.crt'),
  keyFile: fixture('server.key'),
  caFile: fixture('ca.crt'),
  clientCertFile: fixture('client.crt'),
  clientKeyFile: fixture('client.key'),
};

describe.skipIf(!haveEtcd)('etcd over TLS with client certificates', () => {
  let etcd: EtcdServer;

  beforeAll(async () => {
    etcd = await startEtcd({ tls: TLS });
    const writer = new Etcd3({
      hosts: etcd.url,
      credentials: {
        rootCertificate: readFileSync(TLS.caFile),
        certChain: readFileSync(TLS.clientCertFile),
        privateKey: readFileSync(TLS.clientKeyFile),
      },
    });
    await writer.put('/skydns/local/cluster/svc/shop/web/x1').value('{"host":"10.0.0.1"}');
    writer.close();
  });
  afterAll(() => etcd?.stop());

  it('syncs with --etcd-ca-file, --etcd-cert-file and --etcd-key-file', async () => {
    const b = await startBackend('/skydns', {
      endpoints: [etcd.url],
      caFile: TLS.caFile,
      certFile: TLS.clientCertFile,
      keyFile: TLS.clientKeyFile,
    });
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
    } finally {
      await b.backend.close();
    }
  });

  it('does not sync without a client certificate, and says why', async () => {
    const b = await startBackend('/skydns', { endpoints: [etcd.url], caFile: TLS.caFile });
    try {
      expect(await b.backend.whenSynced(1500)).toBe(false);
      await waitFor('a failure log line', () => b.lines.some((l) => l.msg === 'etcd read failed'));
    } finally {
      await b.backend.close();
    }
  });
});

describe.skipIf(!haveEtcd)('etcd with a user and password', () => {
  const password = 'correct horse battery staple';
  let etcd: EtcdServer;
  let dir: string;

  beforeAll(async () => {
    etcd = await startEtcd();
    dir = await mkdtemp(join(tmpdir(), 'clusterdns-etcd-auth-'));
    await writeFile(join(dir, 'good'), `${password}\n`);
    await writeFile(join(dir, 'bad'), 'wrong password\n');
    const admin = new Etcd3({ hosts: etcd.url });
    await admin.put('/skydns/local/cluster/svc/shop/web/x1').value('{"host":"10.0.0.1"}');
    await (await admin.user('root').create(password)).addRole('root');
    await admin.auth.authEnable();
    admin.close();
  });
  afterAll(async () => {
    await etcd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('syncs with --etcd-username and --etcd-password-file', async () => {
    const b = await startBackend('/skydns', {
      endpoints: [etcd.url],
      username: 'root',
      passwordFile: join(dir, 'good'),
    });
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
    } finally {
      await b.backend.close();
    }
  });

  it('with a wrong password does not sync, and logs no password', async () => {
    const b = await startBackend('/skydns', {
      endpoints: [etcd.url],
      username: 'root',
      passwordFile: join(dir, 'bad'),
    });
    try {
      expect(await b.backend.whenSynced(1500)).toBe(false);
      await waitFor('a failure log line', () => b.lines.some((l) => l.msg === 'etcd read failed'));
      const logged = JSON.stringify(b.lines);
      expect(logged).not.toContain('wrong password');
      expect(logged).not.toContain(password);
    } finally {
      await b.backend.close();
    }
  });
});
