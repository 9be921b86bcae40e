import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError } from '../../../src/config/values.js';
import { FileBackend } from '../../../src/registry/file/backend.js';
import type { TableContent } from '../../../src/table/types.js';
import { WARN, capturingLogger, sinkOf } from '../helpers.js';

const INFO = 30;

const SHOP = `
namespace: shop
services:
  web: { clusterIP: 10.96.45.10, ports: [http:80], endpoints: [10.244.1.5] }
`;

const SHOP_CHANGED = `
namespace: shop
services:
  web: { clusterIP: 10.96.45.11, ports: [http:80], endpoints: [10.244.1.5, 10.244.1.6] }
`;

const DB_SERVICE = `
apiVersion: v1
kind: Service
metadata: { name: db, namespace: shop, resourceVersion: "7", uid: 2f5a7b8c }
spec: { clusterIP: None, clusterIPs: [None], ports: [{ name: postgres, port: 5432, protocol: TCP }] }
`;

const DB_SLICE = `
apiVersion: v1
kind: List
items:
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata:
    name: db-9xk2d
    namespace: shop
    labels: { kubernetes.io/service-name: db }
  addressType: IPv4
  endpoints:
  - { addresses: [10.244.1.20], hostname: db-0, conditions: { ready: true } }
  - { addresses: [10.244.3.22], hostname: db-2, conditions: { ready: false } }
  ports: [{ name: postgres, port: 5432, protocol: TCP }]
`;

/** Records every content the backend delivers and lets a test wait for the next one. */
function recorder() {
  const contents: TableContent[] = [];
  const waiting: ((content: TableContent) => void)[] = [];
  return {
    contents,
    onContent(content: TableContent) {
      contents.push(content);
      for (const resolve of waiting.splice(0)) resolve(content);
    },
    next(timeoutMs = 1000): Promise<TableContent> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no new content within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((content) => {
          clearTimeout(timer);
          resolve(content);
        });
      });
    },
  };
}

async function waitFor<T>(find: () => T | undefined, timeoutMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = (content: TableContent | undefined) => content?.services.map((s) => `${s.namespace}/${s.name}`);

describe('FileBackend', () => {
  let dir: string;
  let backend: FileBackend | undefined;
  let log: ReturnType<typeof capturingLogger>;
  const warnings = () => log.lines.filter((l) => l.level === WARN);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clusterdns-zones-'));
    log = capturingLogger();
  });

  afterEach(async () => {
    await backend?.close();
    backend = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(): Promise<ReturnType<typeof recorder>> {
    const rec = recorder();
    backend = new FileBackend({ dir, logger: log.logger });
    await backend.start(sinkOf((c) => rec.onContent(c)));
    return rec;
  }

  it('fails to start on a missing directory, naming it', async () => {
    const missing = join(dir, 'nope');
    const b = new FileBackend({ dir: missing, logger: log.logger });
    await expect(b.start(sinkOf(() => {}))).rejects.toThrow(
      `--zones ${missing}: the zone directory does not exist`,
    );
  });

  it('loads every zone file once before start() resolves, joining across files and formats', async () => {
    await writeFile(join(dir, 'a-shop.yaml'), SHOP);
    await writeFile(join(dir, 'b-db.yml'), DB_SERVICE);
    await writeFile(join(dir, 'c-slices.json'), JSON.stringify(parse(DB_SLICE)));
    // None of these are zone files.
    await writeFile(join(dir, '.hidden.yaml'), 'namespace: hidden');
    await writeFile(join(dir, 'a-shop.yaml~'), 'namespace: backup');
    await writeFile(join(dir, '#a-shop.yaml#'), 'namespace: autosave');
    await writeFile(join(dir, 'notes.txt'), 'namespace: notes');
    await mkdir(join(dir, 'nested.yaml'));
    await writeFile(join(dir, 'nested.yaml', 'inner.yaml'), 'namespace: nested');

    const rec = await start();
    expect(rec.contents).toHaveLength(1);
    const content = rec.contents[0]!;
    expect(content.namespaces).toEqual(['shop']);
    expect(names(content)).toEqual(['shop/db', 'shop/web']);
    expect(content.services[0]).toEqual({
      namespace: 'shop',
      name: 'db',
      type: 'Headless',
      clusterIPs: [],
      ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
      endpoints: [
        {
          ip: '10.244.1.20',
          hostname: 'db-0',
          ready: true,
          ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
        },
        {
          ip: '10.244.3.22',
          hostname: 'db-2',
          ready: false,
          ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
        },
      ],
    });
    expect(warnings()).toEqual([]);
  });

  it('serves an empty directory as an empty table', async () => {
    const rec = await start();
    expect(rec.contents).toEqual([{ namespaces: [], services: [], pods: [] }]);
  });

  it('serves an in-place edit within a second', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    const began = Date.now();
    const next = rec.next();
    await writeFile(join(dir, 'shop.yaml'), SHOP_CHANGED);
    const content = await next;
    expect(Date.now() - began).toBeLessThan(1000);
    expect(content.services[0]?.clusterIPs).toEqual(['10.96.45.11']);
    expect(content.services[0]?.endpoints.map((e) => e.ip)).toEqual(['10.244.1.5', '10.244.1.6']);
  });

  it('serves a write-to-temp-then-rename within a second', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    const began = Date.now();
    const next = rec.next();
    await writeFile(join(dir, '.shop.yaml.tmp'), SHOP_CHANGED);
    await rename(join(dir, '.shop.yaml.tmp'), join(dir, 'shop.yaml'));
    const content = await next;
    expect(Date.now() - began).toBeLessThan(1000);
    expect(content.services[0]?.clusterIPs).toEqual(['10.96.45.11']);
  });

  it('serves a new file within a second', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    const next = rec.next();
    await writeFile(join(dir, 'db.yaml'), DB_SERVICE);
    expect(names(await next)).toEqual(['shop/db', 'shop/web']);
  });

  it('drops a deleted file’s services', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    await writeFile(join(dir, 'db.yaml'), DB_SERVICE);
    const rec = await start();
    expect(names(rec.contents[0])).toEqual(['shop/db', 'shop/web']);
    const next = rec.next();
    await rm(join(dir, 'db.yaml'));
    expect(names(await next)).toEqual(['shop/web']);
  });

  it.each([
    {
      title: 'broken YAML',
      text: 'namespace: shop\nservices:\n  web: { clusterIP: [10.96.45.12 }\n',
      object: 'document 1',
      problem: /^missed comma between flow collection entries at line 3, column \d+$/,
    },
    {
      title: 'valid YAML with a bad IP',
      text: 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.45.300 }\n',
      object: 'service shop/web',
      problem: /^clusterIP: expected an IPv4 or IPv6 address, got "10\.96\.45\.300"$/,
    },
  ])(
    'rejects $title with one warning and keeps serving the last good content',
    async ({ text, object, problem }) => {
      await writeFile(join(dir, 'shop.yaml'), SHOP);
      await writeFile(join(dir, 'db.yaml'), DB_SERVICE);
      const rec = await start();

      await writeFile(join(dir, 'shop.yaml'), text);
      const warning = await waitFor(() => warnings()[0]);
      expect(warning).toMatchObject({
        file: join(dir, 'shop.yaml'),
        object,
        problem: expect.stringMatching(problem),
        msg: 'zone file rejected; keeping its last good content',
      });
      // A further unrelated change re-assembles the table: the broken file still contributes its old web.
      const next = rec.next();
      await writeFile(join(dir, 'db.yaml'), DB_SERVICE.replace('5432', '5433'));
      const content = await next;
      expect(names(content)).toEqual(['shop/db', 'shop/web']);
      expect(content.services[1]?.clusterIPs).toEqual(['10.96.45.10']);
      expect(warnings()).toHaveLength(1); // the unchanged broken file is not reported again

      // Fixing the file serves the fix.
      const fixed = rec.next();
      await writeFile(join(dir, 'shop.yaml'), SHOP_CHANGED);
      expect((await fixed).services[1]?.clusterIPs).toEqual(['10.96.45.11']);
    },
  );

  it('does not call onContent when a file is rejected', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    await writeFile(join(dir, 'shop.yaml'), 'namespace: shop\nservices:\n  web: { clusterIP: nope }\n');
    await waitFor(() => warnings()[0]);
    await sleep(300);
    expect(rec.contents).toHaveLength(1);
  });

  it('lets a file that was never valid contribute nothing', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    await writeFile(
      join(dir, 'broken.yaml'),
      DB_SERVICE + '---\nnamespace: extra\nservices:\n  x: { clusterIP: 1.2.3 }\n',
    );
    const rec = await start();
    expect(rec.contents[0]?.namespaces).toEqual(['shop']);
    expect(names(rec.contents[0])).toEqual(['shop/web']);
    expect(warnings()).toEqual([
      expect.objectContaining({
        file: join(dir, 'broken.yaml'),
        object: 'service extra/x',
        problem: 'clusterIP: expected an IPv4 or IPv6 address, got "1.2.3"',
        msg: 'zone file rejected; it serves nothing until fixed',
      }),
    ]);
  });

  it('counts the other problems of a rejected file in the same warning', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      'namespace: a\nservices:\n  x: { clusterIP: 1 }\n  y: { clusterIP: 2 }\n  z: {}\n',
    );
    await start();
    expect(warnings()).toEqual([expect.objectContaining({ object: 'service a/x', otherProblems: 2 })]);
  });

  it('lets the first file in name order win a service defined twice, warning once', async () => {
    await writeFile(join(dir, 'b.yaml'), SHOP);
    await writeFile(join(dir, 'a.yaml'), SHOP_CHANGED);
    const rec = await start();
    expect(rec.contents[0]?.services.map((s) => s.clusterIPs[0])).toEqual(['10.96.45.11']);
    expect(warnings()).toEqual([
      expect.objectContaining({
        file: join(dir, 'b.yaml'),
        object: 'service shop/web',
        firstFile: join(dir, 'a.yaml'),
      }),
    ]);
    // An unrelated no-op event re-scans but does not repeat the warning.
    await writeFile(join(dir, 'notes.txt'), 'x');
    await sleep(300);
    expect(warnings()).toHaveLength(1);
    expect(rec.contents).toHaveLength(1);
  });

  it('does not call onContent again when files are rewritten unchanged', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    await writeFile(join(dir, 'ignored.txt'), 'hello');
    await sleep(400);
    expect(rec.contents).toHaveLength(1);
  });

  it('keeps the current content when the directory disappears', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    await rm(dir, { recursive: true, force: true });
    const warning = await waitFor(() => warnings()[0]);
    expect(warning).toMatchObject({ dir, msg: 'cannot read zone directory; keeping the current content' });
    expect(warning.problem).toMatch(/ENOENT/);
    await sleep(200);
    expect(rec.contents).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
  });

  it('picks changes up by periodic rescan as well', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = recorder();
    backend = new FileBackend({ dir, logger: log.logger, debounceMs: 5_000, rescanMs: 100 });
    await backend.start(sinkOf((c) => rec.onContent(c)));
    const began = Date.now();
    const next = rec.next(1000);
    await writeFile(join(dir, 'shop.yaml'), SHOP_CHANGED);
    expect((await next).services[0]?.clusterIPs).toEqual(['10.96.45.11']);
    expect(Date.now() - began).toBeLessThan(1000); // well before the 5 s debounce would fire
  });

  it('logs, rather than throws, when the consumer fails', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    let calls = 0;
    backend = new FileBackend({ dir, logger: log.logger });
    await backend.start(
      sinkOf(() => {
        calls += 1;
        if (calls > 1) throw new Error('consumer exploded');
      }),
    );
    await writeFile(join(dir, 'shop.yaml'), SHOP_CHANGED);
    const error = await waitFor(() => log.lines.find((l) => l.level === 50));
    expect(error).toMatchObject({
      msg: 'zone rescan failed; keeping the current content',
      err: { message: 'consumer exploded' },
    });
  });

  it('stops delivering after close()', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    await backend!.close();
    await writeFile(join(dir, 'shop.yaml'), SHOP_CHANGED);
    await sleep(300);
    expect(rec.contents).toHaveLength(1);
  });
  // What is in the directory where a zone file was: none of it is a deletion, and none of it may
  // hold up the other files or later reloads. The old code froze on a FIFO for good, read
  // /dev/zero until memory ran out, and dropped a dangling link's services.
  it.each([
    {
      title: 'a FIFO',
      make: (path: string) => execFileSync('mkfifo', [path]),
      problem: 'not a regular file (a FIFO)',
    },
    {
      title: 'a link to /dev/zero',
      make: (path: string) => symlink('/dev/zero', path),
      problem: 'not a regular file (a device)',
    },
    {
      title: 'a dangling link',
      make: (path: string) => symlink(join(dir, 'nowhere.yaml'), path),
      problem: 'a symbolic link to nothing',
    },
  ])(
    'keeps the last good content of a file replaced by $title, and goes on reloading',
    async ({ make, problem }) => {
      await writeFile(join(dir, 'shop.yaml'), SHOP);
      await writeFile(join(dir, 'db.yaml'), DB_SERVICE);
      const rec = await start();
      await rm(join(dir, 'shop.yaml'));
      await make(join(dir, 'shop.yaml'));
      const warning = await waitFor(() => warnings()[0]);
      expect(warning).toMatchObject({
        file: join(dir, 'shop.yaml'),
        problem,
        msg: 'zone file unreadable; keeping its last good content',
      });
      // Later changes to other files are still taken, with the last good web beside them.
      for (const port of ['5433', '5434']) {
        const next = rec.next(2000);
        await writeFile(join(dir, 'db.yaml'), DB_SERVICE.replace('5432', port));
        const content = await next;
        expect(names(content)).toEqual(['shop/db', 'shop/web']);
        expect(content.services[0]?.ports[0]?.port).toBe(Number(port));
      }
      expect(warnings()).toHaveLength(1); // logged once, not on every scan
    },
  );

  it('rejects a file over the size cap, naming it and the cap, and serves the others', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    await writeFile(join(dir, 'big.yaml'), `${DB_SERVICE}# ${'x'.repeat(2000)}\n`);
    const rec = recorder();
    backend = new FileBackend({ dir, logger: log.logger, maxBytes: 1000 });
    await backend.start(sinkOf((c) => rec.onContent(c)));
    expect(names(rec.contents.at(-1))).toEqual(['shop/web']);
    expect(warnings()).toMatchObject([
      {
        file: join(dir, 'big.yaml'),
        problem: expect.stringMatching(/^\d+ bytes, over the 1000-byte cap \(--zones-max-bytes\)$/),
        msg: 'zone file rejected; it serves nothing until fixed',
      },
    ]);
  });

  it('keeps the last good content of a file truncated to 0 bytes (a write in progress)', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    await writeFile(join(dir, 'db.yaml'), DB_SERVICE);
    const rec = await start();
    await truncate(join(dir, 'shop.yaml'), 0);
    const notice = await waitFor(() => log.lines.find((l) => l.level === INFO && l.file !== undefined), 2000);
    expect(notice).toMatchObject({
      file: join(dir, 'shop.yaml'),
      msg: 'zone file is empty, taken as a write in progress; keeping its last good content',
    });
    const next = rec.next(2000);
    await writeFile(join(dir, 'db.yaml'), DB_SERVICE.replace('5432', '5433'));
    expect(names(await next)).toEqual(['shop/db', 'shop/web']);
  });

  it('does not serve a file a slow writer is still writing in place', async () => {
    const services = (ip: string) =>
      Array.from({ length: 40 }, (_, i) => `  s${i}: { clusterIP: 10.96.${ip}.${i + 1} }\n`);
    await writeFile(join(dir, 'shop.yaml'), ['namespace: shop\nservices:\n', ...services('1')].join(''));
    const rec = await start();
    // As `producer > shop.yaml` does: truncate, then whole lines with pauses shorter than the settle time.
    const file = await open(join(dir, 'shop.yaml'), 'w');
    const lines = ['namespace: shop\nservices:\n', ...services('2')];
    for (let i = 0; i < lines.length; i += 5) {
      await file.write(lines.slice(i, i + 5).join(''));
      await sleep(150);
    }
    await file.close();
    await waitFor(
      () => (rec.contents.at(-1)?.services[0]?.clusterIPs[0]?.startsWith('10.96.2.') ? true : undefined),
      3000,
    );
    // Every view delivered had all 40 services, the old ones or the new ones, never a mix.
    for (const content of rec.contents) {
      expect(content.services).toHaveLength(40);
      expect(new Set(content.services.map((s) => s.clusterIPs[0]!.split('.')[2])).size).toBe(1);
    }
  });

  it('watches a deleted and re-created directory again within a second', async () => {
    await writeFile(join(dir, 'shop.yaml'), SHOP);
    const rec = await start();
    await rm(dir, { recursive: true, force: true });
    await waitFor(() => warnings()[0]);
    await mkdir(dir);
    const began = Date.now();
    await writeFile(join(dir, 'db.yaml'), DB_SERVICE);
    await waitFor(() => (names(rec.contents.at(-1))?.includes('shop/db') ? true : undefined), 3000);
    expect(Date.now() - began).toBeLessThan(1500);
  });

  it('at start, with strictStart, stops on a file that does not parse, naming it, the line and the problem', async () => {
    await writeFile(
      join(dir, 'shop.yaml'),
      'namespace: shop\nservices:\n  web: { clusterIP: [10.96.45.12 }\n',
    );
    backend = new FileBackend({ dir, logger: log.logger, strictStart: true });
    const started = backend.start(sinkOf(() => {}));
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(
      `zone file ${join(dir, 'shop.yaml')}: document 1: missed comma between flow collection entries at line 3, column 34`,
    );
  });
});
