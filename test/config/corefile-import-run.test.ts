// k3s's Corefile under `clusterdns --corefile`, its imports reading a custom/ directory as the
// coredns-custom ConfigMap volume does: empty, the server runs the Corefile as written; with a
// `*.server` file, its server block answers; with a `*.override` file, the main block carries it.
// Asked over UDP, as a pod would.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorefile } from '../helpers/cli.js';
import { answerLines, udpQuery } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { eventually, namespace, service, slice } from '../registry/kubernetes/helpers.js';

const K3S = readFileSync(new URL('fixtures/corefiles/real/k3s.Corefile', import.meta.url), 'utf8');

describe('the k3s Corefile and its custom/ imports under --corefile', () => {
  let api: FakeApiServer;
  let upstream: FakeUpstream;
  let consul: FakeUpstream;
  const dirs: string[] = [];

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
    ])
      api.apply(object);
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    consul = await startFakeUpstream({ 'db.service.consul.local': ['10.150.0.7'] });
  });

  afterAll(async () => {
    await Promise.all([upstream?.close(), consul?.close(), api?.close()]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The k3s Corefile with /etc/coredns/ (its ConfigMap volumes) moved to a temporary directory
   * holding NodeHosts and custom/ with `custom`; loopback addresses come from flags, as in
   * corefile-run.test.ts.
   */
  async function run(custom: Record<string, string>) {
    const dir = mkdtempSync(join(tmpdir(), 'clusterdns-k3s-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'custom'));
    writeFileSync(join(dir, 'NodeHosts'), '172.18.0.3 k3d-server-0\n');
    for (const [name, text] of Object.entries(custom)) writeFileSync(join(dir, 'custom', name), text);
    const corefile = join(dir, 'Corefile');
    writeFileSync(corefile, K3S.replaceAll('/etc/coredns/', `${dir}/`));
    const { port, ...cli } = await startCorefile(corefile, api.url, upstream.port);
    const ask = async (name: string) => (await udpQuery(port, name, 'A')).packet;
    return { ask, dir, cli, stop: () => cli.child.kill('SIGKILL') };
  }

  it('runs the Corefile as written when custom/ is empty', async () => {
    const { ask, stop } = await run({});
    try {
      expect(answerLines(await ask('web.shop.svc.cluster.local'))).toEqual([
        'web.shop.svc.cluster.local A 10.96.45.10',
      ]);
      expect(answerLines(await ask('k3d-server-0'))).toEqual(['k3d-server-0 A 172.18.0.3']);
      expect(answerLines(await ask('www.example.com'))).toEqual(['www.example.com A 192.0.2.80']);
      await ask('db.service.consul.local');
      expect(consul.asked).toEqual([]);
    } finally {
      stop();
    }
  });

  it('serves the server block a custom/*.server file adds', async () => {
    const { ask, stop } = await run({
      // The stub domain's cache agrees with the main block's `cache 30`: one cache per port.
      'consul.server': `consul.local:53 {\n  forward . 127.0.0.1:${consul.port}\n  cache 30\n}\n`,
    });
    try {
      expect(answerLines(await ask('db.service.consul.local'))).toEqual([
        'db.service.consul.local A 10.150.0.7',
      ]);
      expect(consul.asked).toEqual(['db.service.consul.local A']);
      expect(answerLines(await ask('web.shop.svc.cluster.local'))).toEqual([
        'web.shop.svc.cluster.local A 10.96.45.10',
      ]);
    } finally {
      stop();
    }
  });

  it('adds what a custom/*.override file says to the main block', async () => {
    // Only 10.0.0.0/8 may ask: this loopback client is refused every name.
    const { ask, stop } = await run({ 'acl.override': 'acl {\n  allow net 10.0.0.0/8\n  block\n}\n' });
    try {
      expect((await ask('web.shop.svc.cluster.local')).rcode).toBe('REFUSED');
      expect((await ask('k3d-server-0')).rcode).toBe('REFUSED');
    } finally {
      stop();
    }
  });

  // A ConfigMap edit lands in custom/ while the server runs: the glob's directory and every file
  // it imported are watched, so the Corefile reloads with no SIGHUP, keeping the other blocks.
  it('reloads when a file is added to an imported glob, or an imported file changes', async () => {
    const { ask, dir, cli, stop } = await run({});
    try {
      expect(answerLines(await ask('db.service.consul.local'))).toEqual([]);
      const consulServer = (port: number) => `consul.local:53 {\n  forward . 127.0.0.1:${port}\n}\n`;
      writeFileSync(join(dir, 'custom', 'consul.server'), consulServer(consul.port));
      await eventually(() => cli.output().includes('configuration reloaded'), 5000, 'reload on a new file');
      expect(answerLines(await ask('db.service.consul.local'))).toEqual([
        'db.service.consul.local A 10.150.0.7',
      ]);
      const other = await startFakeUpstream({ 'db.service.consul.local': ['10.150.0.8'] });
      try {
        const reloads = cli.output().split('configuration reloaded').length;
        writeFileSync(join(dir, 'custom', 'consul.server'), consulServer(other.port));
        await eventually(
          () => cli.output().split('configuration reloaded').length > reloads,
          5000,
          'reload on a changed file',
        );
        expect(answerLines(await ask('db.service.consul.local'))).toEqual([
          'db.service.consul.local A 10.150.0.8',
        ]);
      } finally {
        await other.close();
      }
    } finally {
      stop();
    }
  });
});
