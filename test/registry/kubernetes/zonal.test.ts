// Zone-scoped names and topology-aware answers from the built binary, with --kubernetes against the
// test API server and with the same objects in a zone file: EndpointSlice zones, Services'
// trafficDistribution, Pods' nodes and Nodes' zone labels reach the answers the same way from both,
// a Node relabelled through the watch moves its pods' answers, and no Node is watched unless asked.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunningServers } from '../../helpers/cli.js';
import { type Reply, udpQuery } from '../../helpers/dns-client.js';
import { endpointSlice, list, namespace, node, service } from '../../helpers/manifests.js';
import { makeZonesDir } from '../../helpers/server.js';
import { FakeApiServer } from './fake-apiserver.js';
import { pod, pollUntil } from './helpers.js';

const servers = new RunningServers();
const serve = (args: string[]) => servers.serve(args);
let fake: FakeApiServer | undefined;
afterEach(async () => {
  await servers.stopAll();
  await fake?.close();
  fake = undefined;
});

const grpc = { name: 'grpc', port: 9000 };
const LEDGER = 'ledger.shop.svc.cluster.local';
const NEAR = 'near.shop.svc.cluster.local';
/** Client pods on loopback addresses, so that a query sent from one is a query from that pod. */
const CLIENT_A = '127.0.0.2'; // node-a, us-east-1a
const CLIENT_B = '127.0.0.3'; // node-b, us-east-1b

/** Three zones, a zone-spread headless service, one that prefers the same zone, and two client pods. */
function cluster(): Record<string, unknown>[] {
  const spread = (name: string, base: number) => [
    { ip: `10.244.${base}.1`, hostname: `${name}-0`, nodeName: 'node-a', zone: 'us-east-1a' },
    { ip: `10.244.${base}.2`, hostname: `${name}-1`, nodeName: 'node-b', zone: 'us-east-1b' },
    { ip: `10.244.${base}.3`, hostname: `${name}-2`, nodeName: 'node-c', zone: 'us-east-1b' },
    { ip: `10.244.${base}.4`, hostname: `${name}-3`, nodeName: 'node-d', zone: 'us-east-1c', ready: false },
  ];
  return [
    namespace('shop'),
    node('node-a', 'us-east-1a'),
    node('node-b', 'us-east-1b'),
    node('node-c', 'us-east-1b'),
    node('node-d', 'us-east-1c'),
    service('shop', 'ledger', { headless: true, ports: [grpc] }),
    endpointSlice('shop', 'ledger', spread('ledger', 5), [grpc]),
    service('shop', 'near', { headless: true, ports: [grpc], trafficDistribution: 'PreferSameZone' }),
    endpointSlice('shop', 'near', spread('near', 6), [grpc]),
    pod('shop', 'client-a', CLIENT_A, 'node-a'),
    pod('shop', 'client-b', CLIENT_B, 'node-b'),
  ];
}

/** [asked from, name, type] */
const QUESTIONS: [string, string, string][] = [
  ['127.0.0.1', `us-east-1a.pin._zone.${LEDGER}`, 'A'],
  ['127.0.0.1', `us-east-1b.pin._zone.${LEDGER}`, 'A'],
  ['127.0.0.1', `us-east-1b.pin._zone.${LEDGER}`, 'SRV'],
  ['127.0.0.1', `us-east-1c.pin._zone.${LEDGER}`, 'A'],
  ['127.0.0.1', `us-east-1c.prefer._zone.${LEDGER}`, 'A'],
  ['127.0.0.1', `us-east-1a.pin._zone.nope.shop.svc.cluster.local`, 'A'],
  [CLIENT_A, NEAR, 'A'],
  [CLIENT_B, NEAR, 'A'],
  [CLIENT_B, `_grpc._tcp.${NEAR}`, 'SRV'],
  ['127.0.0.1', NEAR, 'A'],
  [CLIENT_A, LEDGER, 'A'],
];

/** What a reader of the reply checks; the SOA serial (each server's own clock) blanked. */
function comparable(packet: Reply) {
  const show = (records: Reply['answers']) =>
    records.map((r) => JSON.stringify([r.name, r.type, r.type === 'SOA' ? 'SOA' : r.data])).sort();
  return { rcode: packet.rcode, answers: show(packet.answers), additionals: show(packet.additionals) };
}

const addressesOf = (packet: Reply) => packet.answers.map((record) => record.data).sort();

const FLAGS = ['--zone', 'cluster.local', '--zonal', '--topology-aware', '--pods', 'verified'];

describe('zone-scoped and topology-aware names from the Kubernetes API and from zone files', () => {
  it('answer alike from both, as the objects place the endpoints and clients', async () => {
    const objects = cluster();
    fake = await FakeApiServer.start();
    for (const o of objects) fake.apply(o);
    const dir = await makeZonesDir({});
    await writeFile(join(dir, 'cluster.yaml'), list(...objects));
    const fromApi = await serve(['--kubernetes', fake.url, ...FLAGS]);
    const fromFile = await serve(['--zones', dir, ...FLAGS]);

    for (const [from, name, type] of QUESTIONS) {
      const [api, file] = await Promise.all([
        udpQuery(fromApi, name, type, { from }),
        udpQuery(fromFile, name, type, { from }),
      ]);
      expect({ from, name, type, ...comparable(api.packet) }).toEqual({
        from,
        name,
        type,
        ...comparable(file.packet),
      });
    }
    // Not vacuous: zones, nodes and trafficDistribution came through.
    const ask = (name: string, from = '127.0.0.1') => udpQuery(fromApi, name, 'A', { from });
    expect(addressesOf((await ask(`us-east-1b.pin._zone.${LEDGER}`)).packet)).toEqual([
      '10.244.5.2',
      '10.244.5.3',
    ]);
    const drained = (await ask(`us-east-1c.pin._zone.${LEDGER}`)).packet;
    expect([drained.rcode, drained.answers.length, drained.authorities[0]?.type]).toEqual([
      'NOERROR',
      0,
      'SOA',
    ]);
    expect(addressesOf((await ask(NEAR, CLIENT_A)).packet)).toEqual(['10.244.6.1']);
    expect(addressesOf((await ask(NEAR, CLIENT_B)).packet)).toEqual(['10.244.6.2', '10.244.6.3']);
    expect(addressesOf((await ask(NEAR)).packet)).toEqual(['10.244.6.1', '10.244.6.2', '10.244.6.3']);
  });

  it("move a client's answers when its node's zone label changes, through the Node watch", async () => {
    fake = await FakeApiServer.start();
    for (const o of cluster()) fake.apply(o);
    const port = await serve(['--kubernetes', fake.url, ...FLAGS]);
    const nearFromA = () => udpQuery(port, NEAR, 'A', { from: CLIENT_A });
    expect(
      addressesOf((await pollUntil(nearFromA, ({ packet }) => packet.answers.length === 1)).packet),
    ).toEqual(['10.244.6.1']);

    fake.apply(node('node-a', 'us-east-1b'));
    const moved = await pollUntil(nearFromA, ({ packet }) => packet.answers.length === 2);
    expect(addressesOf(moved.packet)).toEqual(['10.244.6.2', '10.244.6.3']);
    // The label gone: the node has no zone, its pods no preference.
    fake.apply(node('node-a'));
    const unplaced = await pollUntil(nearFromA, ({ packet }) => packet.answers.length === 3);
    expect(addressesOf(unplaced.packet)).toEqual(['10.244.6.1', '10.244.6.2', '10.244.6.3']);
  });

  it('watch Nodes only with --topology-aware', async () => {
    fake = await FakeApiServer.start();
    for (const o of cluster()) fake.apply(o);
    const zonalOnly = await serve(['--kubernetes', fake.url, '--zonal', '--pods', 'verified']);
    const pinned = await pollUntil(
      () => udpQuery(zonalOnly, `us-east-1a.pin._zone.${LEDGER}`, 'A'),
      ({ packet }) => packet.rcode === 'NOERROR' && packet.answers.length > 0,
    );
    expect(addressesOf(pinned.packet)).toEqual(['10.244.5.1']);
    // Synced without a Node list; trafficDistribution is not honoured without the option.
    expect(fake.countRequests('nodes', 'list')).toBe(0);
    expect(addressesOf((await udpQuery(zonalOnly, NEAR, 'A', { from: CLIENT_A })).packet)).toHaveLength(3);

    await serve(['--kubernetes', fake.url, ...FLAGS]);
    await pollUntil(
      async () => fake!.openWatches('nodes'),
      (watches) => watches > 0,
    );
    expect(fake.countRequests('nodes', 'list')).toBeGreaterThan(0);
  });
});
