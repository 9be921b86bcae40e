import { describe, expect, it } from 'vitest';
import { convertKubernetesObjects, joinKubernetesObjects } from '../../../src/registry/kubernetes/objects.js';
import { namespace, pod, service, slice } from '../helpers.js';

function join(...docs: unknown[]) {
  const result = convertKubernetesObjects(docs);
  expect(result.problems).toEqual([]);
  return joinKubernetesObjects(result.objects);
}

const http = { name: 'http', port: 8080, protocol: 'TCP' };
const metrics = { name: 'metrics', port: 9100, protocol: 'TCP' };

describe('joinKubernetesObjects', () => {
  it('attaches slices to the service named by their label, in the same namespace only', () => {
    const content = join(
      slice('shop', 'web-aaaaa', 'web', { ports: [http], endpoints: [{ addresses: ['10.244.1.5'] }] }),
      service('shop', 'web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80 }] }),
      service('other', 'web', { clusterIP: '10.96.0.20' }),
      slice('shop', 'web-bbbbb', 'web', {
        ports: [http],
        endpoints: [{ addresses: ['10.244.2.6'], conditions: { ready: false } }],
      }),
      slice('shop', 'api-ccccc', 'api', { endpoints: [{ addresses: ['10.244.3.7'] }] }), // api has no Service
    );
    expect(content.services).toEqual([
      {
        namespace: 'other',
        name: 'web',
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.20'],
        ports: [],
        endpoints: [],
      },
      {
        namespace: 'shop',
        name: 'web',
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.10'],
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
        endpoints: [
          { ip: '10.244.1.5', ready: true, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] },
          { ip: '10.244.2.6', ready: false, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] },
        ],
      },
    ]);
  });

  it('counts an address found in several slices once, merging ports and details', () => {
    const content = join(
      service('shop', 'db', { clusterIP: 'None' }),
      slice('shop', 'db-old', 'db', {
        ports: [http],
        endpoints: [
          { addresses: ['10.244.1.5'], conditions: { ready: false } },
          { addresses: ['10.244.1.6'] },
        ],
      }),
      slice('shop', 'db-new', 'db', {
        ports: [http, metrics],
        endpoints: [
          {
            addresses: ['10.244.1.5'],
            hostname: 'db-0',
            nodeName: 'node-a',
            targetRef: { kind: 'Pod', name: 'db-0' },
          },
        ],
      }),
    );
    expect(content.services[0]?.endpoints).toEqual([
      {
        ip: '10.244.1.5',
        hostname: 'db-0',
        nodeName: 'node-a',
        podName: 'db-0',
        ready: true,
        ports: [
          { name: 'http', protocol: 'TCP', port: 8080 },
          { name: 'metrics', protocol: 'TCP', port: 9100 },
        ],
      },
      { ip: '10.244.1.6', ready: true, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] },
    ]);
  });

  it('keeps ports that differ only in protocol or number', () => {
    const content = join(
      service('kube-system', 'dns', { clusterIP: '10.96.0.10' }),
      slice('kube-system', 'dns-a', 'dns', {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns', port: 53, protocol: 'TCP' },
        ],
        endpoints: [{ addresses: ['10.244.0.2'] }],
      }),
      slice('kube-system', 'dns-b', 'dns', {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns', port: 5353, protocol: 'UDP' },
        ],
        endpoints: [{ addresses: ['10.244.0.2'] }],
      }),
    );
    expect(content.services[0]?.endpoints[0]?.ports).toEqual([
      { name: 'dns', protocol: 'UDP', port: 53 },
      { name: 'dns', protocol: 'TCP', port: 53 },
      { name: 'dns', protocol: 'UDP', port: 5353 },
    ]);
  });

  it('collects namespaces from Namespace objects and from everything that lives in one', () => {
    const content = join(
      namespace('empty'),
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.0.10' }),
      service('billing', 'api', { clusterIP: '10.96.0.11' }),
      pod('batch', 'job-1', {}),
      slice('orphans', 'gone-xxxxx', 'gone', {}),
    );
    expect(content.namespaces).toEqual(['batch', 'billing', 'empty', 'orphans', 'shop']);
  });

  it('sorts services and pods by namespace and name; the first definition wins', () => {
    const content = join(
      service('shop', 'web', { clusterIP: '10.96.0.10' }),
      service('default', 'kubernetes', { clusterIP: '10.96.0.1' }),
      service('shop', 'api', { clusterIP: '10.96.0.11' }),
      service('shop', 'web', { clusterIP: '10.96.0.99' }),
      pod('shop', 'web-1', { podIP: '10.244.1.6' }),
      pod('shop', 'web-0', { podIP: '10.244.1.5' }),
      pod('shop', 'web-0', { podIP: '10.244.9.9' }),
    );
    expect(content.services.map((s) => `${s.namespace}/${s.name} ${s.clusterIPs[0]}`)).toEqual([
      'default/kubernetes 10.96.0.1',
      'shop/api 10.96.0.11',
      'shop/web 10.96.0.10',
    ]);
    expect(content.pods).toEqual([
      { namespace: 'shop', name: 'web-0', ips: ['10.244.1.5'], nodeName: 'node-a' },
      { namespace: 'shop', name: 'web-1', ips: ['10.244.1.6'], nodeName: 'node-a' },
    ]);
  });

  it('does not alias the input objects', () => {
    const converted = convertKubernetesObjects([
      service('shop', 'web', { clusterIP: '10.96.0.10' }),
      slice('shop', 'web-a', 'web', { ports: [http], endpoints: [{ addresses: ['10.244.1.5'] }] }),
      slice('shop', 'web-b', 'web', { ports: [metrics], endpoints: [{ addresses: ['10.244.1.5'] }] }),
    ]).objects;
    joinKubernetesObjects(converted);
    const again = joinKubernetesObjects(converted);
    expect(again.services[0]?.endpoints[0]?.ports).toHaveLength(2);
    expect(converted[1]).toMatchObject({ endpoints: [{ ports: [{ name: 'http' }] }] });
  });
});

describe('pods and their nodes', () => {
  const node = (name: string, zone?: string) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: zone ? { 'topology.kubernetes.io/zone': zone } : {} },
  });

  it("gives each pod its node's zone, and a pod on an unknown or unzoned node none", () => {
    const onNode = (name: string, nodeName: string) => ({
      ...pod('shop', name, { podIP: '10.244.1.5' }),
      spec: { nodeName },
    });
    const content = join(
      onNode('a', 'node-a'),
      node('node-a', 'us-east-1a'),
      onNode('b', 'node-b'),
      node('node-b'),
      onNode('c', 'node-gone'),
    );
    expect(content.pods.map((p) => [p.name, p.nodeName, p.zone])).toEqual([
      ['a', 'node-a', 'us-east-1a'],
      ['b', 'node-b', undefined],
      ['c', 'node-gone', undefined],
    ]);
  });
});
