import { describe, expect, it } from 'vitest';
import { parseZoneText } from '../../../src/registry/file/parse.js';
import { joinKubernetesObjects } from '../../../src/registry/kubernetes/objects.js';

describe('parseZoneText', () => {
  it('reads multi-document YAML mixing both formats', () => {
    const result = parseZoneText(`
namespace: shop
services:
  web: { clusterIP: 10.96.0.10, ports: [http:80] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abcde
  namespace: shop
  labels: { kubernetes.io/service-name: web }
addressType: IPv4
endpoints:
- addresses: [10.244.1.5]
  conditions: { ready: true }
ports:
- { name: http, port: 8080, protocol: TCP }
---
# an empty document
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
`);
    expect(result.problems).toEqual([]);
    expect(result.skipped).toEqual([
      { object: 'Deployment shop/web', reason: 'apps/v1 Deployment is not used by DNS' },
    ]);
    const web = joinKubernetesObjects(result.objects).services[0];
    expect(web?.endpoints).toEqual([
      { ip: '10.244.1.5', ready: true, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] },
    ]);
  });

  it('inline endpoints and slices of the same service add up', () => {
    const result = parseZoneText(`
namespace: shop
services:
  web: { clusterIP: 10.96.0.10, ports: [http:80], endpoints: [10.244.1.5] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-x, namespace: shop, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
endpoints: [{ addresses: [10.244.1.5, 10.244.1.6] }]
ports: [{ name: http, port: 8080 }]
`);
    expect(result.problems).toEqual([]);
    expect(joinKubernetesObjects(result.objects).services[0]?.endpoints).toEqual([
      {
        ip: '10.244.1.5',
        ready: true,
        ports: [
          { name: 'http', protocol: 'TCP', port: 80 },
          { name: 'http', protocol: 'TCP', port: 8080 },
        ],
      },
      { ip: '10.244.1.6', ready: true, ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] },
    ]);
  });

  it('reads JSON, including a v1 List', () => {
    const json = JSON.stringify(
      {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'web', namespace: 'shop' },
            spec: { clusterIP: '10.96.0.10' },
          },
        ],
      },
      null,
      '\t',
    );
    const result = parseZoneText(json);
    expect(result.problems).toEqual([]);
    expect(result.objects).toMatchObject([
      { kind: 'Service', service: { name: 'web', clusterIPs: ['10.96.0.10'] } },
    ]);
  });

  it('names the document, line and column of a YAML error', () => {
    const result = parseZoneText(
      'namespace: a\n---\nnamespace: b\nservices:\n  web: { clusterIP: [10.96.0.1 }\n',
    );
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]?.object).toBe('document 2');
    expect(result.problems[0]?.problem).toBe(
      'missed comma between flow collection entries at line 5, column 32',
    );
  });

  it('reports duplicate keys and undefined aliases', () => {
    expect(parseZoneText('namespace: a\nnamespace: b\n').problems).toEqual([
      { object: 'document 1', problem: 'duplicated mapping key at line 2, column 1' },
    ]);
    expect(parseZoneText('namespace: *ns\n').problems).toEqual([
      { object: 'document 1', problem: 'unidentified alias "ns" at line 1, column 15' },
    ]);
  });

  it('rejects a document that is not a mapping', () => {
    expect(parseZoneText('- namespace: a\n').problems).toEqual([
      {
        object: 'document 1',
        problem:
          'expected a mapping (a Kubernetes object with apiVersion and kind, or a native document with namespace), got a list',
      },
    ]);
  });

  it('accepts an empty file', () => {
    expect(parseZoneText('')).toEqual({ objects: [], skipped: [], problems: [] });
    expect(parseZoneText('# nothing here yet\n')).toEqual({ objects: [], skipped: [], problems: [] });
  });
  it('rejects an alias bomb without expanding it, and reads modest aliases', () => {
    // The "billion laughs": nine levels of nine aliases, 1 KB of text and 9^9 nodes as a tree.
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) {
      const [previous, name] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: laughs }\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`;
    const began = performance.now();
    expect(parseZoneText(bomb).problems).toEqual([
      {
        object: 'document 1',
        problem: expect.stringMatching(/^aliases expand to more than \d+ nodes \(an alias bomb\?\)/),
      },
    ]);
    expect(performance.now() - began).toBeLessThan(1000);

    const shared = parseZoneText(
      '# ports & defaults\nnamespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: &p [http:80] }\n  api: { clusterIP: 10.96.0.11, ports: *p }\n',
    );
    expect(shared.problems).toEqual([]);
    expect(shared.objects).toMatchObject([
      { kind: 'Namespace' },
      { kind: 'Service', service: { name: 'web', ports: [{ name: 'http', port: 80 }] } },
      { kind: 'Service', service: { name: 'api', ports: [{ name: 'http', port: 80 }] } },
    ]);
  });
});
