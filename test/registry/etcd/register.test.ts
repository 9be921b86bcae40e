// End to end, as a user runs it: the built `clusterdns --etcd` serving DNS, `clusterdns register`
// processes keeping instances alive under leases, queried over real UDP and with dig, against a
// real etcd that is also killed and restarted.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, freePort, startCli, type RunningCli } from '../../helpers/cli.js';
import { udpQuery } from '../../helpers/dns-client.js';
import { requireTool } from '../../helpers/tools.js';
import { type EtcdServer, hasEtcd, startEtcd } from './etcd-server.js';

const run = promisify(execFile);
const haveEtcd = hasEtcd();
const haveDig = haveEtcd && requireTool('dig', ['-v']);

interface Registered {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** performance.now() when its first "registered" log line arrived; 0 before. */
  registeredAt: number;
  spawnedAt: number;
}

describe.skipIf(!haveEtcd)('clusterdns register with clusterdns --etcd', () => {
  let etcd: EtcdServer;
  let writer: Etcd3;
  let server: RunningCli;
  let port: number;
  const registered: Registered[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    writer = new Etcd3({ hosts: etcd.url });
    port = await freePort();
    server = await startCli(['--etcd', etcd.url, '--listen', `127.0.0.1:${port}`, '--log-level', 'debug']);
  });
  afterEach(async () => {
    for (const r of registered.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await r.exited;
    }
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    writer?.close();
    await etcd?.stop();
  });

  /** Starts `clusterdns register` and waits for its "registered" line. */
  async function register(...args: string[]): Promise<Registered> {
    const entry = spawnRegister(...args);
    await until(
      'registration',
      () => entry.registeredAt !== 0,
      10_000,
      () => entry.output(),
    );
    return entry;
  }

  /** Starts `clusterdns register` and returns at once (etcd may not be there yet). */
  function spawnRegister(...args: string[]): Registered {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [BIN, 'register', '--etcd', etcd.url, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const entry: Registered = { child, output: () => output, exited, spawnedAt, registeredAt: 0 };
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (entry.registeredAt === 0 && /"msg":"registered[" ]/.test(output))
        entry.registeredAt = performance.now();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    registered.push(entry);
    return entry;
  }

  async function addresses(name: string): Promise<string[]> {
    const { packet } = await udpQuery(port, name, 'A');
    return packet.answers
      .filter((a) => a.type === 'A')
      .map((a) => String(a.data))
      .sort();
  }

  async function until(
    what: string,
    check: () => boolean | Promise<boolean>,
    timeoutMs: number,
    context: () => string = () => server.output().slice(-3000),
  ): Promise<number> {
    const start = performance.now();
    while (!(await check())) {
      if (performance.now() - start > timeoutMs)
        throw new Error(`timed out waiting for ${what}\n${context()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return performance.now() - start;
  }

  it('makes a registration resolvable within 1 s, with SRV for the named port', async () => {
    const r = await register(
      ...['--namespace', 'shop', '--service', 'web', '--ip', '10.0.0.5', '--port', '8080'],
      ...['--port-name', 'http', '--ttl', '5'],
    );
    await until(
      'the A record',
      async () => (await addresses('web.shop.svc.cluster.local')).includes('10.0.0.5'),
      5000,
    );
    const visible = performance.now();
    const fromRegistered = visible - r.registeredAt;
    console.log(
      `register → DNS: ${Math.round(fromRegistered)} ms after "registered", ${Math.round(visible - r.spawnedAt)} ms after spawn`,
    );
    expect(fromRegistered).toBeLessThan(1000);
    const { packet } = await udpQuery(port, '_http._tcp.web.shop.svc.cluster.local', 'SRV');
    expect(packet.answers.map((a) => a.data)).toEqual([
      { priority: 0, weight: 100, port: 8080, target: '10-0-0-5.web.shop.svc.cluster.local' },
    ]);
    expect(await addresses('10-0-0-5.web.shop.svc.cluster.local')).toEqual(['10.0.0.5']);
    if (haveDig) {
      const dig = async (...args: string[]) =>
        (
          await run('dig', ['@127.0.0.1', '-p', String(port), '+short', '+time=2', '+tries=1', ...args])
        ).stdout.trim();
      expect(await dig('web.shop.svc.cluster.local', 'A')).toBe('10.0.0.5');
      expect(await dig('_http._tcp.web.shop.svc.cluster.local', 'SRV')).toBe(
        '0 100 8080 10-0-0-5.web.shop.svc.cluster.local.',
      );
    }
  });

  it('SIGTERM revokes the lease: the instance goes at once and the process exits 0, even signalled twice', async () => {
    const r = await register(
      ...['--namespace', 'shop', '--service', 'cart', '--ip', '10.0.1.5', '--port', '80', '--ttl', '30'],
    );
    await until(
      'the A record',
      async () => (await addresses('cart.shop.svc.cluster.local')).length === 1,
      5000,
    );
    // Twice, as an impatient supervisor does: the second must not cut the revoke short.
    r.child.kill('SIGTERM');
    await until(
      'the stop to begin',
      () => r.output().includes('stopping: revoking the lease'),
      2000,
      r.output,
    );
    if (r.child.exitCode === null) r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(r.output()).toContain('deregistered: lease revoked');
    const gone = await until(
      'removal',
      async () => (await addresses('cart.shop.svc.cluster.local')).length === 0,
      1000,
    );
    console.log(`SIGTERM → gone from DNS: ${Math.round(gone)} ms after exit`);
  });

  it('SIGKILL leaves the lease to expire: the instance goes within TTL + 2 s', async () => {
    const ttl = 3;
    const r = await register(
      ...[
        '--namespace',
        'shop',
        '--service',
        'pay',
        '--ip',
        '10.0.2.5',
        '--port',
        '80',
        '--ttl',
        String(ttl),
      ],
    );
    await until(
      'the A record',
      async () => (await addresses('pay.shop.svc.cluster.local')).length === 1,
      5000,
    );
    r.child.kill('SIGKILL');
    await r.exited;
    const killedAt = performance.now();
    // Nothing deregistered it: it is still served until etcd expires the lease.
    expect(await addresses('pay.shop.svc.cluster.local')).toEqual(['10.0.2.5']);
    await until(
      'lease expiry',
      async () => (await addresses('pay.shop.svc.cluster.local')).length === 0,
      (ttl + 2) * 1000,
    );
    const gone = performance.now() - killedAt;
    console.log(`SIGKILL → gone from DNS: ${Math.round(gone)} ms (TTL ${ttl} s)`);
    expect(gone).toBeLessThan((ttl + 2) * 1000);
  });

  it('registers again when its lease is lost', async () => {
    const r = await register(
      ...['--namespace', 'shop', '--service', 'mail', '--ip', '10.0.3.5', '--port', '25', '--ttl', '3'],
    );
    await until(
      'the A record',
      async () => (await addresses('mail.shop.svc.cluster.local')).length === 1,
      5000,
    );
    const [kv] = (await writer.getAll().prefix('/skydns/local/cluster/svc/shop/mail/').exec()).kvs;
    await writer.leaseClient.leaseRevoke({ ID: kv!.lease });
    await until(
      'the loss to be noticed',
      () => r.output().includes('lease lost; registering again'),
      5000,
      r.output,
    );
    await until(
      'the A record again',
      async () => (await addresses('mail.shop.svc.cluster.local')).length === 1,
      3000,
    );
    const [again] = (await writer.getAll().prefix('/skydns/local/cluster/svc/shop/mail/').exec()).kvs;
    expect(again!.lease).not.toBe(kv!.lease);
  });

  it('keeps serving while etcd is down; after its restart, changes and registrations carry on', async () => {
    const r = await register(
      ...['--namespace', 'ops', '--service', 'db', '--ip', '10.0.4.5', '--port', '5432', '--ttl', '3'],
    );
    await writer.put('/skydns/local/cluster/svc/ops/cache/c1').value('{"host":"10.0.5.1"}');
    await until('both', async () => (await addresses('cache.ops.svc.cluster.local')).length === 1, 5000);
    await etcd.kill();
    await until('the server to notice', () => server.output().includes('etcd watch disconnected'), 5000);
    // Longer than the lease TTL: the last good table still answers.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(await addresses('db.ops.svc.cluster.local')).toEqual(['10.0.4.5']);
    expect(await addresses('cache.ops.svc.cluster.local')).toEqual(['10.0.5.1']);

    await etcd.restart();
    const restartedAt = performance.now();
    await writer.put('/skydns/local/cluster/svc/ops/cache/c2').value('{"host":"10.0.5.2"}');
    await writer.delete().key('/skydns/local/cluster/svc/ops/cache/c1');
    await until(
      'the change made after the restart',
      async () => (await addresses('cache.ops.svc.cluster.local')).join() === '10.0.5.2',
      10_000,
    );
    console.log(`etcd restart → change in DNS: ${Math.round(performance.now() - restartedAt)} ms`);
    // The registration outlives the outage: kept alive again (or granted anew), past another TTL.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await addresses('db.ops.svc.cluster.local')).toEqual(['10.0.4.5']);
    expect(r.child.exitCode).toBeNull();
  });

  it('a TLS or password file that cannot be read is a bad flag: exit 2, naming it', async () => {
    const r = spawnRegister(
      ...['--namespace', 'late', '--service', 'tls', '--ip', '10.0.9.5', '--port', '80'],
      ...['--etcd-username', 'u', '--etcd-password-file', '/nonexistent/password'],
    );
    expect(await r.exited).toBe(2);
    expect(r.output()).toContain(
      'clusterdns register: --etcd-password-file: cannot read /nonexistent/password',
    );
  });

  /** The lease a key is held by, or undefined while the key does not exist. */
  async function leaseOf(key: string): Promise<string | undefined> {
    const [kv] = (await writer.getAll().prefix(key).exec()).kvs;
    return kv?.lease;
  }

  it('registers once etcd starts listening after it, without exiting meanwhile', async () => {
    await etcd.kill();
    let restarted = false;
    try {
      const r = spawnRegister(
        ...['--namespace', 'late', '--service', 'web', '--ip', '10.0.6.5', '--port', '80', '--ttl', '2'],
      );
      await until('the outage to be logged', () => r.output().includes('etcd unreachable'), 5000, r.output);
      // Long enough for several retries: each attempt is not logged, and none ends the process.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(r.child.exitCode, r.output()).toBeNull();
      expect(r.output().match(/etcd unreachable/g)).toHaveLength(1);
      await etcd.restart();
      restarted = true;
      const startedAt = performance.now();
      await until(
        'the A record',
        async () => (await addresses('web.late.svc.cluster.local')).includes('10.0.6.5'),
        15_000,
        () => `${r.output()}\n${server.output().slice(-2000)}`,
      );
      console.log(`etcd started → registered and in DNS: ${Math.round(performance.now() - startedAt)} ms`);
      expect(await leaseOf('/skydns/local/cluster/svc/late/web/10-0-6-5')).toBeDefined();
    } finally {
      if (!restarted) await etcd.restart();
    }
  });

  it('registers again under a new lease after etcd was down for longer than the lease', async () => {
    const ttl = 2;
    const key = '/skydns/local/cluster/svc/late/api/10-0-7-5';
    const r = await register(
      ...['--namespace', 'late', '--service', 'api', '--ip', '10.0.7.5', '--port', '80'],
      ...['--ttl', String(ttl)],
    );
    const before = await leaseOf(key);
    expect(before).toBeDefined();
    await etcd.kill();
    try {
      // Past twice the TTL: no keep-alive could save the lease, so it counts as lost.
      await until('the loss', () => r.output().includes('lease lost'), (3 * ttl + 2) * 1000, r.output);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(r.child.exitCode, r.output()).toBeNull();
    } finally {
      await etcd.restart();
    }
    const restartedAt = performance.now();
    await until(
      'the key under a new lease',
      async () => ((await leaseOf(key)) ?? before) !== before,
      10_000,
      r.output,
    );
    const back = performance.now() - restartedAt;
    console.log(`etcd restarted → key under a new lease: ${Math.round(back)} ms`);
    // The old lease expires with etcd's clock restarted; the key, now under the new one, stays.
    await new Promise((resolve) => setTimeout(resolve, (ttl + 1) * 1000));
    expect(await addresses('api.late.svc.cluster.local')).toEqual(['10.0.7.5']);
    expect(r.child.exitCode).toBeNull();
  });

  it.each([
    { state: 'never registered', registered: false, ip: '10.0.8.5' },
    { state: 'registered, then etcd went away', registered: true, ip: '10.0.8.6' },
  ])('SIGTERM with etcd down ($state) exits 0 within 3 s', async ({ registered: first, ip }) => {
    const args = ['--namespace', 'late', '--service', 'gone', '--ip', ip, '--port', '80', '--ttl', '2'];
    const r = first ? await register(...args) : undefined;
    await etcd.kill();
    try {
      const s = r ?? spawnRegister(...args);
      await until('the outage to be logged', () => s.output().includes('etcd unreachable'), 5000, s.output);
      const signalledAt = performance.now();
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      const took = performance.now() - signalledAt;
      console.log(
        `SIGTERM with etcd down (${first ? 'registered' : 'never registered'}): exit 0 in ${Math.round(took)} ms`,
      );
      expect(took).toBeLessThan(3000);
    } finally {
      await etcd.restart();
    }
  });
});
