// --workers 2 through the built binary, checked as an operator would: the real dig over UDP and
// TCP, the query log naming the worker that answered, /ready and /metrics, signals to the primary
// and SIGKILL to a worker.
import { execFile, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, endpointUrl, freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { answerLines, udpQuery } from '../helpers/dns-client.js';
import { parseExposition } from '../helpers/prometheus.js';
import { makeZonesDir } from '../helpers/server.js';
import { requireTool } from '../helpers/tools.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);

const SHOP = `namespace: shop
services:
  web:
    clusterIP: 10.96.45.10
    ports: [http:80]
`;
const FRESH = `namespace: shop
services:
  fresh:
    clusterIP: 10.96.77.7
    ports: [http:80]
`;

/** Polls `check` until it returns a value other than undefined; a generous bound for 2 loaded cores. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!hasDig)('--workers 2', { timeout: 60_000 }, () => {
  let cli: RunningCli;
  let port: number;
  let dir: string;
  let configFile: string;
  let batch: string;

  /** The JSON log lines written so far, primary's and workers' alike. */
  const logs = () =>
    cli
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  /** The pid of each worker, by its number, as its latest log line gives it. */
  const workerPids = () => {
    const pids = new Map<number, number>();
    // The primary names a worker in its lines about it too; those carry the primary's pid.
    for (const line of logs())
      if (typeof line.worker === 'number' && line.pid !== cli.child.pid)
        pids.set(line.worker, line.pid as number);
    return pids;
  };
  /** Which processes (pids) logged an answer to `name` with `rcode`. */
  const answeredBy = (name: string, rcode = 'NOERROR') =>
    new Set(
      logs().flatMap((line) => (line.name === name && line.rcode === rcode ? [line.pid as number] : [])),
    );

  /** dig's answers for `count` queries of one name from one dig process (-f), one line each. */
  async function digMany(name: string, count: number, ...options: string[]): Promise<string[]> {
    const type = options.includes('SOA') ? 'SOA' : 'A';
    await writeFile(batch, `${name} ${type}\n`.repeat(count));
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+time=2',
      '+tries=1',
      '+noall',
      '+answer',
      ...options,
      '-f',
      batch,
    ]);
    return stdout.trim().split('\n').filter(Boolean);
  }

  const ready = async () => {
    const response = await fetch(endpointUrl(cli.output(), 'ready'));
    return { status: response.status, body: await response.text() };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(endpointUrl(cli.output(), 'metrics'))).text();
    return parseExposition(text)
      .filter((series) => series.name === name)
      .reduce((sum, series) => sum + series.value, 0);
  };

  beforeAll(async () => {
    dir = await makeZonesDir({ 'shop.yaml': SHOP });
    configFile = join(dir, '..', `${dir.split('/').pop()}.yaml`);
    batch = `${configFile}.batch`;
    await writeFile(configFile, `zones: ${dir}\nttl: 5\n`);
    port = await freePort();
    cli = await startCli([
      '--config',
      configFile,
      '--workers',
      '2',
      '--listen',
      `127.0.0.1:${port}`,
      '--log-queries',
      '--lameduck',
      '2s',
    ]);
    await waitFor('both workers listening', () =>
      cli.output().includes('"every worker is listening"') ? true : undefined,
    );
  });
  afterAll(async () => {
    if (cli?.child.exitCode === null) cli.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    await rm(configFile, { force: true });
    await rm(batch, { force: true });
  });

  it('answers from both workers over UDP and TCP; /metrics counts every query once', async () => {
    expect((await ready()).status).toBe(200);
    const udp = await digMany('web.shop.svc.cluster.local', 100);
    const tcp = await digMany('web.shop.svc.cluster.local', 20, '+tcp');
    for (const line of [...udp, ...tcp])
      expect(line).toMatch(/^web\.shop\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+10\.96\.45\.10$/);
    expect(udp).toHaveLength(100);
    expect(tcp).toHaveLength(20);
    const pids = workerPids();
    expect(pids.size).toBe(2);
    // The kernel hands each datagram to whichever worker reads first: over 100, both take some.
    expect(answeredBy('web.shop.svc.cluster.local')).toEqual(new Set(pids.values()));
    expect(await metric('coredns_dns_requests_total')).toBe(120);
    expect(await metric('clusterdns_worker_restarts_total')).toBe(0);
    expect(await metric('coredns_build_info')).toBe(1);
  });

  it('carries a table change to every worker', async () => {
    await writeFile(join(dir, 'fresh.yaml'), FRESH);
    const pids = [...workerPids().values()];
    await waitFor('both workers answering the new service', async () => {
      await digMany('fresh.shop.svc.cluster.local', 20);
      const by = answeredBy('fresh.shop.svc.cluster.local');
      return pids.every((pid) => by.has(pid)) ? true : undefined;
    });
    const answers = await digMany('fresh.shop.svc.cluster.local', 40);
    expect(answers).toHaveLength(40);
    for (const line of answers) expect(line).toMatch(/\sA\s+10\.96\.77\.7$/);
    // Every copy of the table carries the primary's version: the SOA serial is the metric's value.
    const soa = await digMany('cluster.local', 20, 'SOA');
    const serials = new Set(soa.map((line) => line.split(/\s+/)[6]));
    expect(serials).toEqual(new Set([String(await metric('clusterdns_table_version'))]));
  });

  it('restarts a worker killed with SIGKILL, counts it, and the new one answers from the current table', async () => {
    const before = workerPids();
    const victim = before.get(1)!;
    process.kill(victim, 'SIGKILL');
    const replacement = await waitFor('worker 1 restarted', () => {
      const pid = workerPids().get(1);
      return pid !== victim && cli.output().split(`"pid":${pid}`).length > 1 ? pid : undefined;
    });
    await waitFor('/ready back at 200', async () => ((await ready()).status === 200 ? true : undefined));
    expect(await metric('clusterdns_worker_restarts_total')).toBe(1);
    expect(cli.output()).toMatch(/"msg":"worker 1 died; restarting it"/);
    await waitFor('the new worker answering', async () => {
      const answers = await digMany('fresh.shop.svc.cluster.local', 20);
      for (const line of answers) expect(line).toMatch(/\sA\s+10\.96\.77\.7$/);
      return answeredBy('fresh.shop.svc.cluster.local').has(replacement) ? true : undefined;
    });
    // It started from a replay of the table as it is now, the new service in it.
    expect(answeredBy('fresh.shop.svc.cluster.local', 'NXDOMAIN').has(replacement)).toBe(false);
  });

  it('reloads every worker on SIGHUP, and when the config file changes', async () => {
    const reloads = (worker: number) =>
      logs().filter((line) => line.worker === worker && line.msg === 'configuration reloaded').length;
    const [one, two] = [reloads(1), reloads(2)];
    cli.child.kill('SIGHUP');
    await waitFor('both workers reloaded', () => (reloads(1) > one && reloads(2) > two ? true : undefined));
    await writeFile(configFile, `zones: ${dir}\nttl: 17\n`);
    await waitFor('both workers reloaded again', () =>
      reloads(1) > one + 1 && reloads(2) > two + 1 ? true : undefined,
    );
    const answers = await digMany('web.shop.svc.cluster.local', 40);
    expect(answers).toHaveLength(40);
    for (const line of answers) expect(line).toMatch(/^web\.shop\.svc\.cluster\.local\.\s+17\s+IN\s+A\s/);
  });

  it('SIGTERM: lameduck (/ready 503, still answering), then every worker exits and so does the primary, with 0', async () => {
    const pids = [...workerPids().values()];
    cli.child.kill('SIGTERM');
    const during = await waitFor('/ready at 503', async () => {
      const state = await ready();
      return state.status === 503 ? state : undefined;
    });
    expect(during.body).toContain('lameduck');
    expect(await digMany('web.shop.svc.cluster.local', 10)).toHaveLength(10);
    expect(await cli.exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });
});

describe('--workers, checked at the door', () => {
  it('refuses a count that is not a whole number', async () => {
    const child = spawn(process.execPath, [BIN, '--workers', 'many'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('clusterdns: --workers: "many": expected a whole number from 0 to 256');
  });

  it('stops at start on a forwarding loop, whichever worker the probe comes back to', async () => {
    // The upstream is the server itself: the probe one worker sends reaches the shared socket.
    const port = await freePort();
    const cli = await startCli([
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      `127.0.0.1:${port}`,
      '--workers',
      '2',
    ]);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toContain(
      `forwarding loop: a query sent to the upstreams (127.0.0.1:${port}) came back`,
    );
  });

  it('is one process with --workers 1: no worker to wait for', async () => {
    const port = await freePort();
    const cli = await startCli(['--listen', `127.0.0.1:${port}`, '--workers', '1']);
    try {
      const { packet } = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
      expect(answerLines(packet)).toEqual(['web.shop.svc.cluster.local A 10.96.45.10']);
      expect(cli.output()).not.toContain('"worker"');
    } finally {
      cli.child.kill('SIGTERM');
      await cli.exited;
    }
  });
});
