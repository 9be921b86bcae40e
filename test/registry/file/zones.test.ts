import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadZoneFiles } from '../../../src/registry/file/load.js';
import { parseZoneText } from '../../../src/registry/file/parse.js';
import type { Service } from '../../../src/table/types.js';

const ZONES = fileURLToPath(new URL('../../../zones/', import.meta.url));

describe('the shipped zones/ directory', () => {
  let loaded: Awaited<ReturnType<typeof loadZoneFiles>>;
  beforeAll(async () => {
    loaded = await loadZoneFiles(ZONES);
  });
  const svc = (ns: string, name: string): Service => {
    const found = loaded.content.services.find((s) => s.namespace === ns && s.name === name && !s.imported);
    expect(found, `${ns}/${name}`).toBeDefined();
    return found!;
  };

  it('loads with no problems and no duplicates, using both formats', async () => {
    const { files, duplicates } = loaded;
    expect(files.map((f) => f.file.slice(ZONES.length))).toEqual([
      'cluster.yaml',
      'clusterset.yaml',
      'ledger.yaml',
      'shop.yaml',
    ]);
    expect(files.flatMap((f) => f.problems)).toEqual([]);
    expect(files.flatMap((f) => f.skipped)).toEqual([]);
    expect(duplicates).toEqual([]);
    const cluster = await readFile(`${ZONES}cluster.yaml`, 'utf8');
    expect(cluster).toMatch(/^apiVersion: v1\nitems:/m);
    expect(cluster).toMatch(/^kind: List$/m);
    expect(parseZoneText(await readFile(`${ZONES}shop.yaml`, 'utf8')).objects[0]).toEqual({
      kind: 'Namespace',
      name: 'shop',
    });
  });

  it('has the namespaces and services described', () => {
    expect(loaded.content.namespaces).toEqual(['default', 'shop']);
    const services = loaded.content.services.filter((s) => !s.imported);
    expect(services.map((s) => `${s.namespace}/${s.name} ${s.type}`)).toEqual([
      'default/kubernetes ClusterIP',
      'shop/api ClusterIP',
      'shop/db Headless',
      'shop/ledger Headless',
      'shop/search ExternalName',
      'shop/web ClusterIP',
    ]);
  });

  it('imports shop/web and shop/db from the clusters east and west (clusterset.yaml)', () => {
    const imports = loaded.content.services.filter((s) => s.imported);
    expect(imports.map((s) => `${s.namespace}/${s.name} ${s.type} ${s.clusterIPs.join(',')}`)).toEqual([
      'shop/db Headless ',
      'shop/web ClusterIP 10.97.45.10',
    ]);
    const db = imports.find((s) => s.name === 'db')!;
    expect(db.endpoints.map((e) => `${e.hostname}.${e.clusterId} ${e.ip} ${e.ready}`)).toEqual([
      'db-0.east 10.245.1.20 true',
      'db-1.east 10.245.2.21 true',
      'db-0.west 10.246.1.20 true',
      'db-1.west 10.246.2.21 false',
    ]);
  });

  it('kubernetes: https 443 backed by the API server', () => {
    const kubernetes = svc('default', 'kubernetes');
    expect(kubernetes.clusterIPs).toEqual(['10.96.0.1']);
    expect(kubernetes.ports).toEqual([{ name: 'https', protocol: 'TCP', port: 443 }]);
    expect(kubernetes.endpoints).toEqual([
      { ip: '192.0.2.10', ready: true, ports: [{ name: 'https', protocol: 'TCP', port: 6443 }] },
    ]);
  });

  it('web: http and https with two ready endpoints', () => {
    const web = svc('shop', 'web');
    expect(web.clusterIPs).toEqual(['10.96.45.10']);
    expect(web.ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80 },
      { name: 'https', protocol: 'TCP', port: 443 },
    ]);
    expect(web.endpoints.map((e) => [e.ip, e.ready, e.nodeName, e.podName])).toEqual([
      ['10.244.1.5', true, 'node-a', 'web-7d9c5b6f4-x2x8k'],
      ['10.244.2.7', true, 'node-b', 'web-7d9c5b6f4-qr6tz'],
    ]);
  });

  it('api: dual-stack with endpoints in both families', () => {
    const api = svc('shop', 'api');
    expect(api.clusterIPs).toEqual(['10.96.120.15', 'fd00:10:96::7c1f']);
    expect(api.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`)).toEqual([
      'grpc:9090/TCP',
      'metrics:9100/TCP',
    ]);
    expect(api.endpoints.map((e) => e.ip)).toEqual([
      '10.244.1.12',
      '10.244.2.14',
      'fd00:10:244:1::c',
      'fd00:10:244:2::e',
    ]);
    expect(api.endpoints.every((e) => e.ready && e.ports.length === 2)).toBe(true);
  });

  it('db: headless StatefulSet with hostnames, db-2 not ready', () => {
    const db = svc('shop', 'db');
    expect(db.clusterIPs).toEqual([]);
    expect(db.ports).toEqual([{ name: 'postgres', protocol: 'TCP', port: 5432 }]);
    expect(db.endpoints.map((e) => [e.hostname, e.ip, e.ready, e.podName])).toEqual([
      ['db-0', '10.244.1.20', true, 'db-0'],
      ['db-1', '10.244.2.21', true, 'db-1'],
      ['db-2', '10.244.3.22', false, 'db-2'],
    ]);
  });

  it('ledger: headless over three zones, preferring the same zone; toolbox a client on node-b', () => {
    const ledger = svc('shop', 'ledger');
    expect(ledger.trafficDistribution).toBe('PreferSameZone');
    expect(ledger.endpoints.map((e) => [e.hostname, e.ip, e.nodeName, e.zone])).toEqual([
      ['ledger-0', '10.244.1.30', 'node-a', 'us-east-1a'],
      ['ledger-1', '10.244.2.31', 'node-b', 'us-east-1b'],
      ['ledger-2', '10.244.3.32', 'node-c', 'us-east-1c'],
      ['ledger-3', '10.244.2.33', 'node-b', 'us-east-1b'],
    ]);
    const toolbox = loaded.content.pods.find((p) => p.name === 'toolbox');
    expect([toolbox?.nodeName, toolbox?.zone]).toEqual(['node-b', 'us-east-1b']);
  });

  it('search: an ExternalName to www.example.com', () => {
    expect(svc('shop', 'search')).toEqual({
      namespace: 'shop',
      name: 'search',
      type: 'ExternalName',
      clusterIPs: [],
      externalName: 'www.example.com',
      ports: [],
      endpoints: [],
    });
  });

  it('has the pods behind the services', () => {
    expect(loaded.content.pods.map((p) => `${p.namespace}/${p.name} ${p.ips.join(',')}`)).toEqual([
      'shop/api-5f8b7c9d6-lm4pq 10.244.1.12,fd00:10:244:1::c',
      'shop/api-5f8b7c9d6-zt7wk 10.244.2.14,fd00:10:244:2::e',
      'shop/db-0 10.244.1.20',
      'shop/db-1 10.244.2.21',
      'shop/db-2 10.244.3.22',
      'shop/toolbox 127.0.0.2',
      'shop/web-7d9c5b6f4-qr6tz 10.244.2.7',
      'shop/web-7d9c5b6f4-x2x8k 10.244.1.5',
    ]);
  });
});
