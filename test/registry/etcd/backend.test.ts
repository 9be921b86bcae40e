// The etcd backend against a real etcd: one read then a watch, SkyDNS values mapped onto the table,
// bad values skipped, a connection cut (changes made meanwhile arrive), and a compaction during the
// cut that forces a new read.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETCD_MAX_VALUE_BYTES } from '../../../src/registry/etcd/view.js';
import { WARN } from '../helpers.js';
import { type EtcdServer, hasEtcd, startEtcd } from './etcd-server.js';
import { startBackend as startBackendAt, waitFor } from './helpers.js';
import { startTcpProxy } from './tcp-proxy.js';

const haveEtcd = hasEtcd();

describe.skipIf(!haveEtcd)('etcd backend', () => {
  let etcd: EtcdServer;
  let writer: Etcd3;

  beforeAll(async () => {
    etcd = await startEtcd();
    writer = new Etcd3({ hosts: etcd.url });
  });
  afterAll(async () => {
    writer?.close();
    await etcd?.stop();
  });

  const startBackend = (prefix: string, url = etcd.url, freshIntervalMs?: number) =>
    startBackendAt(prefix, { endpoints: [url] }, { freshIntervalMs });

  it('maps SkyDNS data onto the table: addresses, SRV ports, aliases; then follows the watch', async () => {
    const p = '/t1/local/cluster/svc';
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1","port":8080,"portname":"http"}');
    await writer
      .put(`${p}/shop/web/x2`)
      .value('{"host":"10.0.0.2","port":8080,"portname":"http","priority":5,"weight":30}');
    await writer.put(`${p}/shop/search`).value('{"host":"www.example.com."}');
    await writer.put('/t1/com/example/www').value('{"host":"192.0.2.1"}');
    const b = await startBackend('/t1');
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      expect(b.fresh()).toBeGreaterThan(0);
      const content = b.last()!;
      expect(content.namespaces).toEqual(['shop']);
      expect(b.summary()).toEqual(['shop/search -> www.example.com', 'shop/web 10.0.0.1,10.0.0.2']);
      const web = content.services.find((s) => s.name === 'web')!;
      expect(web.type).toBe('Headless');
      expect(web.endpoints).toEqual([
        {
          ip: '10.0.0.1',
          hostname: 'x1',
          ready: true,
          ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
        },
        {
          ip: '10.0.0.2',
          hostname: 'x2',
          ready: true,
          ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
          priority: 5,
          weight: 30,
        },
      ]);
      expect(b.lines.some((l) => l.msg === 'etcd key skipped: not in a served cluster zone')).toBe(true);

      const freshBefore = b.fresh();
      await writer.put(`${p}/shop/web/x3`).value('{"host":"10.0.0.3"}');
      await writer.delete().key(`${p}/shop/web/x1`);
      await waitFor('the watch to deliver', () => b.summary()[1] === 'shop/web 10.0.0.2,10.0.0.3');
      expect(b.fresh()).toBeGreaterThan(freshBefore);
      // One read only: the changes came by the watch.
      expect(b.lines.filter((l) => l.msg === 'etcd prefix read')).toHaveLength(1);
    } finally {
      await b.backend.close();
    }
  });

  it('skips a malformed value with a log line naming its key while the others serve', async () => {
    const p = '/t2/local/cluster/svc';
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1"}');
    await writer.put(`${p}/shop/web/bad`).value('{"host":"10.0.0.2",');
    const b = await startBackend('/t2');
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
      const warned = () => b.lines.filter((l) => l.level === WARN).map((l) => l.msg);
      expect(warned()).toEqual([
        expect.stringMatching(
          /^etcd key \/t2\/local\/cluster\/svc\/shop\/web\/bad skipped: value is not JSON/,
        ),
      ]);
      // One arriving by the watch, too.
      await writer.put(`${p}/shop/web/worse`).value('{"host":"10.0.0.3","port":99999}');
      await writer.put(`${p}/shop/web/x4`).value('{"host":"10.0.0.4"}');
      await waitFor('x4', () => b.summary()[0] === 'shop/web 10.0.0.1,10.0.0.4');
      expect(warned()[1]).toBe(
        'etcd key /t2/local/cluster/svc/shop/web/worse skipped: port: expected an integer 0-65535, got 99999',
      );
    } finally {
      await b.backend.close();
    }
  });

  it('skips a value over the size limit, naming its key, on the read and on the watch', async () => {
    const p = '/t7/local/cluster/svc';
    // Valid JSON: the size alone is why it is skipped.
    const huge = (ip: string) => `{"host":"${ip}"${' '.repeat(ETCD_MAX_VALUE_BYTES)}}`;
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1"}');
    await writer.put(`${p}/shop/web/huge`).value(huge('10.0.0.2'));
    const b = await startBackend('/t7');
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
      const warned = () => b.lines.filter((l) => l.level === WARN).map((l) => l.msg);
      const size = huge('10.0.0.2').length;
      expect(warned()).toEqual([
        `etcd key ${p}/shop/web/huge skipped: value is ${size} bytes, over the limit of ${ETCD_MAX_VALUE_BYTES}`,
      ]);
      await writer.put(`${p}/shop/web/huge2`).value(huge('10.0.0.3'));
      await writer.put(`${p}/shop/web/x4`).value('{"host":"10.0.0.4"}');
      await waitFor('x4', () => b.summary()[0] === 'shop/web 10.0.0.1,10.0.0.4');
      expect(warned()[1]).toBe(
        `etcd key ${p}/shop/web/huge2 skipped: value is ${size} bytes, over the limit of ${ETCD_MAX_VALUE_BYTES}`,
      );
    } finally {
      await b.backend.close();
    }
  });

  it('keeps the last good view while etcd answers more than the response limit, and retries', async () => {
    const p = '/t8/local/cluster/svc';
    const limit = 64 * 1024;
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1"}');
    const b = await startBackendAt('/t8', { endpoints: [etcd.url], maxResponseBytes: limit });
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      // One transaction, so one watch response: 8 values of 10 KiB, each under the value limit.
      const big = (i: number) =>
        writer.put(`${p}/shop/api/a${i}`).value(`{"host":"10.0.2.${i}"${' '.repeat(10 * 1024)}}`);
      await writer
        .if(`${p}/shop/api/a1`, 'Create', '==', 0)
        .then(...[1, 2, 3, 4, 5, 6, 7, 8].map(big))
        .commit();
      const over = () => b.lines.filter((l) => /over the size limit/.test(l.msg));
      await waitFor('two failed reads', () => over().length >= 3, 10_000);
      expect(over()[0]!.msg).toBe('etcd watch response over the size limit; reading the prefix again');
      const failed = over().slice(1);
      expect(failed.map((l) => l.msg)).toEqual([
        'etcd read failed: the response is over the size limit; serving the last good view',
        'etcd read failed: the response is over the size limit; serving the last good view',
      ]);
      expect(failed.map((l) => l.failures)).toEqual([1, 2]);
      expect(b.oversized()).toBeGreaterThanOrEqual(3);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
      // Back under the limit: the next read serves what is there.
      for (const i of [3, 4, 5, 6, 7, 8]) await writer.delete().key(`${p}/shop/api/a${i}`);
      await waitFor('the read to fit', () => b.summary()[0] === 'shop/api 10.0.2.1,10.0.2.2', 10_000);
      expect(b.summary()).toEqual(['shop/api 10.0.2.1,10.0.2.2', 'shop/web 10.0.0.1']);
    } finally {
      await b.backend.close();
    }
  });

  it("reads a prefix larger than gRPC's default 4 MiB message limit", async () => {
    const p = '/t9/local/cluster/svc';
    // 320 values of 14 KiB, each under the value limit: about 4.6 MB in one range response.
    const ips = Array.from({ length: 320 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const padding = ' '.repeat(14 * 1024);
    for (let i = 0; i < ips.length; i += 40) {
      await Promise.all(
        ips
          .slice(i, i + 40)
          .map((ip, j) => writer.put(`${p}/big/web/i${i + j}`).value(`{"host":"${ip}"${padding}}`)),
      );
    }
    const b = await startBackend('/t9');
    try {
      expect(await b.backend.whenSynced(10_000)).toBe(true);
      expect(b.last()!.services[0]!.endpoints).toHaveLength(ips.length);
    } finally {
      await b.backend.close();
      await writer.delete().prefix('/t9/');
    }
  });

  it('confirms a quiet prefix as fresh while etcd answers, and stops when it does not', async () => {
    await writer.put('/t6/local/cluster/svc/shop/web/x1').value('{"host":"10.0.0.1"}');
    const proxy = await startTcpProxy(new URL(etcd.url));
    const b = await startBackend('/t6', proxy.url, 100);
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      const before = b.fresh();
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(b.fresh()).toBeGreaterThanOrEqual(before + 3);
      proxy.cut();
      await waitFor('the watch to notice', () =>
        b.lines.some((l) => l.msg === 'etcd watch disconnected; serving the last good view'),
      );
      const cutAt = b.fresh();
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(b.fresh()).toBe(cutAt);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
    } finally {
      await b.backend.close();
      await proxy.close();
    }
  });

  it('keeps the last view through a cut connection; changes made meanwhile arrive after it', async () => {
    const p = '/t3/local/cluster/svc';
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1"}');
    const proxy = await startTcpProxy(new URL(etcd.url));
    const b = await startBackend('/t3', proxy.url);
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      proxy.cut();
      await waitFor('the watch to notice', () =>
        b.lines.some((l) => l.msg === 'etcd watch disconnected; serving the last good view'),
      );
      const delivered = b.contents.length;
      await writer.put(`${p}/shop/web/x2`).value('{"host":"10.0.0.2"}');
      await writer.delete().key(`${p}/shop/web/x1`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(b.contents).toHaveLength(delivered);
      expect(b.summary()).toEqual(['shop/web 10.0.0.1']);
      proxy.restore();
      await waitFor('the changes', () => b.summary()[0] === 'shop/web 10.0.0.2', 10_000);
      // The watch resumed where it stopped: no second read was needed.
      expect(b.lines.filter((l) => l.msg === 'etcd prefix read')).toHaveLength(1);
      expect(b.lines.some((l) => l.msg === 'etcd watch resumed')).toBe(true);
    } finally {
      await b.backend.close();
      await proxy.close();
    }
  });

  it('reads the prefix again when a compaction removed the revisions its watch would resume from', async () => {
    const p = '/t4/local/cluster/svc';
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1"}');
    await writer.put(`${p}/shop/api/a1`).value('{"host":"10.0.2.1"}');
    const proxy = await startTcpProxy(new URL(etcd.url));
    const b = await startBackend('/t4', proxy.url);
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      proxy.cut();
      await writer.put(`${p}/shop/web/x2`).value('{"host":"10.0.0.2"}');
      await writer.delete().key(`${p}/shop/api/a1`);
      const { header } = await writer.put(`${p}/shop/web/x3`).value('{"host":"10.0.0.3"}').exec();
      await writer.kv.compact({ revision: header.revision, physical: true });
      proxy.restore();
      await waitFor(
        'the re-read',
        () => b.summary().join(' ') === 'shop/web 10.0.0.1,10.0.0.2,10.0.0.3',
        10_000,
      );
      expect(b.lines.some((l) => l.msg === 'etcd watch cancelled; reading the prefix again')).toBe(true);
      expect(b.lines.filter((l) => l.msg === 'etcd prefix read')).toHaveLength(2);
      // And it watches again from the new read.
      await writer.put(`${p}/shop/api/a2`).value('{"host":"10.0.2.2"}');
      await waitFor('the new watch', () => b.summary()[0] === 'shop/api 10.0.2.2');
    } finally {
      await b.backend.close();
      await proxy.close();
    }
  });

  // Last: it replaces this file's etcd with an empty one.
  it('reads again when etcd comes back with other data (revision gone backwards)', async () => {
    const p = '/t5/local/cluster/svc';
    await writer.put(`${p}/shop/web/x1`).value('{"host":"10.0.0.1"}');
    const b = await startBackend('/t5');
    try {
      expect(await b.backend.whenSynced(5000)).toBe(true);
      await etcd.restart({ wipe: true });
      await writer.put(`${p}/shop/web/n1`).value('{"host":"10.9.0.1"}');
      await waitFor('the new data', () => b.summary()[0] === 'shop/web 10.9.0.1', 15_000);
      expect(
        b.lines.some(
          (l) => l.msg === 'etcd revision went backwards (data replaced); reading the prefix again',
        ),
      ).toBe(true);
    } finally {
      await b.backend.close();
    }
  });
});
