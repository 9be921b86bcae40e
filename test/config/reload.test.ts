// Reload as an operator does it: edit the config file (or Corefile), send SIGHUP or just wait for
// the change to be seen; the new settings serve, a broken file is logged and the old ones stay,
// and only what changed is rebuilt.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { answerLines, udpExchange, udpQuery, buildQuery } from '../helpers/dns-client.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { makeZonesDir } from '../helpers/server.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { basicCluster, eventually } from '../registry/kubernetes/helpers.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
);
const OTHER = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.99.99'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.9.9' }], [{ name: 'http', port: 80 }]),
);

async function ttlOf(port: number): Promise<number | undefined> {
  const { packet } = await udpQuery(port, 'web.shop.svc.cluster.local', 'A');
  return packet.answers[0]?.ttl;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('reload of a config file', () => {
  let work: string;
  let zones: string;
  let otherZones: string;
  let file: string;
  let port: number;
  let cli: RunningCli;
  const write = (lines: string[]) => writeFile(file, `${lines.join('\n')}\n`);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clusterdns-reload-'));
    zones = await makeZonesDir({ 'shop.yaml': SHOP });
    otherZones = await makeZonesDir({ 'shop.yaml': OTHER });
    file = join(work, 'clusterdns.yaml');
    port = await freePort();
    await write([`zones: ${zones}`, `listen: [127.0.0.1:${port}]`, 'ttl: 5']);
    cli = await startCli(['--config', file]);
  });

  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
    await rm(zones, { recursive: true, force: true });
    await rm(otherZones, { recursive: true, force: true });
  });

  it('serves a changed TTL after SIGHUP, without restarting the backend or the listener', async () => {
    expect(await ttlOf(port)).toBe(5);
    const tablesBefore = count(cli.output(), 'service table updated');
    const listensBefore = count(cli.output(), '"listening"');
    await write([`zones: ${zones}`, `listen: [127.0.0.1:${port}]`, 'ttl: 60']);
    cli.child.kill('SIGHUP');
    await eventually(() => cli.output().includes('configuration reloaded'), 5000, 'reload');
    expect(await ttlOf(port)).toBe(60);
    expect(count(cli.output(), 'service table updated')).toBe(tablesBefore);
    expect(count(cli.output(), '"listening"')).toBe(listensBefore);
  });

  it('logs a broken file and keeps serving the running configuration', async () => {
    await write([`zones: ${zones}`, `listen: [127.0.0.1:${port}]`, 'ttl: 9000']);
    cli.child.kill('SIGHUP');
    await eventually(() => cli.output().includes('configuration rejected'), 5000, 'rejection');
    expect(cli.output()).toContain(`${file}: ttl: \\"9000\\": expected a whole number from 0 to 3600`);
    expect(await ttlOf(port)).toBe(60);
    expect(cli.child.exitCode).toBeNull();
  });

  it('sees the file change without a signal', async () => {
    await write([`zones: ${zones}`, `listen: [127.0.0.1:${port}]`, 'ttl: 61']);
    const deadline = Date.now() + 5000;
    while ((await ttlOf(port)) !== 61 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await ttlOf(port)).toBe(61);
  });

  it('restarts the backend when its settings change, and moves the listener when its address does', async () => {
    const newPort = await freePort();
    const reloads = count(cli.output(), 'configuration reloaded');
    await write([`zones: ${otherZones}`, `listen: [127.0.0.1:${newPort}]`, 'ttl: 61']);
    cli.child.kill('SIGHUP');
    await eventually(() => count(cli.output(), 'configuration reloaded') > reloads, 5000, 'reload');
    const { packet } = await udpQuery(newPort, 'web.shop.svc.cluster.local', 'A');
    expect(answerLines(packet)).toEqual(['web.shop.svc.cluster.local A 10.96.99.99']);
    // The old address is closed: nothing answers there any more.
    expect(
      await udpExchange(port, buildQuery('web.shop.svc.cluster.local', 'A'), '127.0.0.1', 300),
    ).toBeFalsy();
    port = newPort;
  });

  it('keeps the running listener when the new address cannot be bound', async () => {
    const taken = await startCli(['--zones', zones, '--listen', `127.0.0.1:${await freePort()}`]);
    try {
      const takenPort = Number(/"listen":"127\.0\.0\.1:(\d+)"/.exec(taken.output())![1]);
      await write([`zones: ${otherZones}`, `listen: [127.0.0.1:${takenPort}]`, 'ttl: 7']);
      cli.child.kill('SIGHUP');
      await eventually(() => cli.output().includes('reload failed'), 5000, 'failed reload');
      expect(await ttlOf(port)).toBe(61);
    } finally {
      taken.child.kill('SIGKILL');
    }
  });
});

describe('reload of a Corefile', () => {
  it('serves the Corefile TTL changed and reloaded', async () => {
    const work = await mkdtemp(join(tmpdir(), 'clusterdns-reload-'));
    const api = await FakeApiServer.start();
    for (const object of basicCluster()) api.apply(object);
    const path = join(work, 'Corefile');
    const port = await freePort();
    const corefile = (ttl: number) =>
      writeFile(
        path,
        `.:${port} {\n  bind 127.0.0.1\n  kubernetes cluster.local {\n    ttl ${ttl}\n  }\n  reload\n}\n`,
      );
    await corefile(10);
    const cli = await startCli(['--corefile', path, '--kubernetes', api.url]);
    try {
      expect(await ttlOf(port)).toBe(10);
      await corefile(20);
      cli.child.kill('SIGHUP');
      await eventually(() => cli.output().includes('configuration reloaded'), 5000, 'reload');
      expect(await ttlOf(port)).toBe(20);
    } finally {
      cli.child.kill('SIGKILL');
      await rm(work, { recursive: true, force: true });
      await api.close();
    }
  });
});

describe('reload of a hosts file', () => {
  it('answers the new entries once the hosts file changes, without a signal', async () => {
    const work = await mkdtemp(join(tmpdir(), 'clusterdns-reload-'));
    const zones = await makeZonesDir({ 'shop.yaml': SHOP });
    const hosts = join(work, 'hosts');
    await writeFile(hosts, '10.0.0.9 gateway.example\n');
    const port = await freePort();
    const cli = await startCli(['--zones', zones, '--listen', `127.0.0.1:${port}`, '--hosts-file', hosts]);
    const gateway = async () => answerLines((await udpQuery(port, 'gateway.example', 'A')).packet).join();
    try {
      expect(await gateway()).toBe('gateway.example A 10.0.0.9');
      await writeFile(hosts, '10.0.0.10 gateway.example\n');
      const deadline = Date.now() + 5000;
      while ((await gateway()) !== 'gateway.example A 10.0.0.10' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await gateway()).toBe('gateway.example A 10.0.0.10');
    } finally {
      cli.child.kill('SIGKILL');
      await rm(work, { recursive: true, force: true });
      await rm(zones, { recursive: true, force: true });
    }
  });
});
