// CoreDNS's multicluster conformance cases through the built binary, as the external suite runs
// them: `--zone cluster.local --multicluster cluster.local` against the Kubernetes test API server
// and against a zones/ directory holding the same ServiceImports and imported EndpointSlices, each
// asked over UDP and TCP. Answers are compared sorted, as CoreDNS's test.SortAndCheck compares.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RunningServers, startCorefile } from '../helpers/cli.js';
import { type AnyRecord, type Reply, tcpQuery, udpQuery } from '../helpers/dns-client.js';
import { list } from '../helpers/manifests.js';
import { makeZonesDir } from '../helpers/server.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { multiclusterCases, type Expected } from '../resolve/cluster-zone-cases.js';
import { multiclusterObjects } from '../resolve/multicluster-fixture.js';

const servers = new RunningServers();
let fake: FakeApiServer;
const ports: Record<'kubernetes' | 'zone files', number> = { kubernetes: 0, 'zone files': 0 };
const FLAGS = ['--zone', 'cluster.local', '--multicluster', 'cluster.local', '--ttl', '5'];

const serve = (args: string[]) => servers.serve([...args, ...FLAGS]);

beforeAll(async () => {
  const objects = multiclusterObjects();
  fake = await FakeApiServer.start();
  for (const object of objects) fake.apply(object as Record<string, unknown>);
  const dir = await makeZonesDir({});
  await writeFile(join(dir, 'multicluster.yaml'), list(...objects));
  ports.kubernetes = await serve(['--kubernetes', fake.url]);
  ports['zone files'] = await serve(['--zones', dir]);
});

afterAll(async () => {
  await servers.stopAll();
  await fake?.close();
});

/** A record as the case table writes it: `name ttl TYPE rdata`, the SOA serial as SERIAL. */
function show(record: AnyRecord): string {
  const data = record.data as Record<string, unknown> | string | Buffer[];
  const rdata = (() => {
    switch (record.type) {
      case 'SRV': {
        const srv = data as Record<string, unknown>;
        return `${srv.priority} ${srv.weight} ${srv.port} ${srv.target}`;
      }
      case 'TXT':
        return (data as Buffer[]).map((text) => `"${text.toString()}"`).join(' ');
      case 'SOA': {
        const soa = data as Record<string, unknown>;
        return `${soa.mname} ${soa.rname} SERIAL ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`;
      }
      default:
        return String(data);
    }
  })();
  return `${record.name} ${record.ttl} ${record.type} ${rdata}`;
}

function comparable(packet: Reply) {
  return {
    rcode: packet.rcode,
    answer: packet.answers.map(show).sort(),
    additional: packet.additionals
      .filter((r) => r.type !== 'OPT')
      .map(show)
      .sort(),
    authority: packet.authorities.map((r) => `${r.name} ${r.type}`),
  };
}

function wanted(expected: Expected) {
  return {
    rcode: expected.rcode,
    answer: [...(expected.answer ?? [])].sort(),
    additional: [...(expected.additional ?? [])].sort(),
    authority: expected.soa === undefined ? [] : [`${expected.soa} SOA`],
  };
}

describe.each(['kubernetes', 'zone files'] as const)('--multicluster cluster.local from %s', (backend) => {
  it.each([
    ['UDP', udpQuery],
    ['TCP', tcpQuery],
  ] as const)('answers the 43 conformance cases over %s', async (_transport, query) => {
    expect(multiclusterCases).toHaveLength(43);
    for (const [name, type, expected] of multiclusterCases) {
      // With EDNS, as dig asks: a 512-byte reply would leave glue out (RFC 1035 §4.2.1).
      const { packet } = await query(ports[backend], name, type, { udpSize: 1232 });
      expect({ name, type, ...comparable(packet) }).toEqual({ name, type, ...wanted(expected) });
    }
  });
});

describe('kubernetes { multicluster } in a Corefile', () => {
  it('serves clusterset.local from the imports beside cluster.local from the Services', async () => {
    const dir = await makeZonesDir({
      Corefile: [
        '.:53 {',
        '    kubernetes cluster.local clusterset.local in-addr.arpa {',
        '        multicluster clusterset.local',
        '    }',
        '}',
        '',
      ].join('\n'),
    });
    const cli = await startCorefile(join(dir, 'Corefile'), fake.url, await freePort());
    servers.started.push(cli);
    const ask = async (name: string, type = 'A') =>
      comparable((await udpQuery(cli.port, name, type, { udpSize: 1232 })).packet).answer;
    expect(await ask('svc1.testns.svc.clusterset.local')).toEqual([
      'svc1.testns.svc.clusterset.local 5 A 10.0.0.1',
    ]);
    expect(await ask('svc1.testns.svc.cluster.local')).toEqual([
      'svc1.testns.svc.cluster.local 5 A 10.96.0.1',
    ]);
    expect(await ask('web-0.cluster2.spread.testns.svc.clusterset.local')).toEqual([
      'web-0.cluster2.spread.testns.svc.clusterset.local 5 A 10.2.0.1',
    ]);
    expect(await ask('2.0.2.10.in-addr.arpa', 'PTR')).toEqual([]);
    expect(await ask('1.0.2.10.in-addr.arpa', 'PTR')).toEqual([
      '1.0.2.10.in-addr.arpa 5 PTR web-0.cluster2.spread.testns.svc.clusterset.local',
    ]);
  });
});
