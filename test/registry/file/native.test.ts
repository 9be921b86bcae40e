import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertNativeDocument, isNativeDocument } from '../../../src/registry/file/native.js';
import { parseZoneText } from '../../../src/registry/file/parse.js';
import { joinKubernetesObjects } from '../../../src/registry/kubernetes/objects.js';

function content(yaml: string) {
  const result = convertNativeDocument(parse(yaml), 'document 1');
  expect(result.problems).toEqual([]);
  return joinKubernetesObjects(result.objects);
}

function problems(yaml: string) {
  return convertNativeDocument(parse(yaml), 'document 1').problems;
}

const tcp = (name: string, port: number) => ({ name, protocol: 'TCP', port });

describe('native format', () => {
  it('reads the example from the brief', () => {
    const table = content(`
namespace: shop
services:
  web:
    clusterIP: 10.96.0.10
    ports: [http:80, https:443/tcp, dns:53/udp, 8080]
    endpoints:
      - 10.244.1.5
      - { ip: 10.244.1.6, hostname: web-1, ready: false, node: node-a, pod: web-1 }
  db:
    headless: true
    ports: [postgres:5432]
    endpoints: [{ ip: 10.244.2.5, hostname: db-0 }]
  search:
    externalName: Search.Example.com.
pods:
  web-0: 10.244.1.5
  web-1: [10.244.1.6, fd00:10:244::6]
  pending: []
`);
    const webPorts = [
      tcp('http', 80),
      tcp('https', 443),
      { name: 'dns', protocol: 'UDP', port: 53 },
      tcp('', 8080),
    ];
    expect(table).toEqual({
      namespaces: ['shop'],
      services: [
        {
          namespace: 'shop',
          name: 'db',
          type: 'Headless',
          clusterIPs: [],
          ports: [tcp('postgres', 5432)],
          endpoints: [{ ip: '10.244.2.5', hostname: 'db-0', ready: true, ports: [tcp('postgres', 5432)] }],
        },
        {
          namespace: 'shop',
          name: 'search',
          type: 'ExternalName',
          clusterIPs: [],
          externalName: 'search.example.com',
          ports: [],
          endpoints: [],
        },
        {
          namespace: 'shop',
          name: 'web',
          type: 'ClusterIP',
          clusterIPs: ['10.96.0.10'],
          ports: webPorts,
          endpoints: [
            { ip: '10.244.1.5', ready: true, ports: webPorts },
            {
              ip: '10.244.1.6',
              hostname: 'web-1',
              ready: false,
              nodeName: 'node-a',
              podName: 'web-1',
              ports: webPorts,
            },
          ],
        },
      ],
      pods: [
        { namespace: 'shop', name: 'pending', ips: [] },
        { namespace: 'shop', name: 'web-0', ips: ['10.244.1.5'] },
        { namespace: 'shop', name: 'web-1', ips: ['10.244.1.6', 'fd00:10:244::6'] },
      ],
    });
  });

  it.each([
    [
      'clusterIPs: [10.96.0.10, "fd00:10:96::a"]',
      { type: 'ClusterIP', clusterIPs: ['10.96.0.10', 'fd00:10:96::a'] },
    ],
    ['clusterIP: None', { type: 'Headless', clusterIPs: [] }],
    ['headless: true', { type: 'Headless', clusterIPs: [] }],
    ['{ headless: false, clusterIP: 10.96.0.12 }', { type: 'ClusterIP', clusterIPs: ['10.96.0.12'] }],
    ['externalName: www.example.com', { type: 'ExternalName', externalName: 'www.example.com' }],
    [
      'clusterIP: 10.96.0.13, externalIPs: [192.0.2.10, "2001:db8::a"]',
      { type: 'ClusterIP', externalIPs: ['192.0.2.10', '2001:db8::a'] },
    ],
  ])('service %s', (spec, expected) => {
    const yaml = spec.startsWith('{')
      ? `namespace: a\nservices:\n  s: ${spec}`
      : `namespace: a\nservices:\n  s: { ${spec} }`;
    expect(content(yaml).services[0]).toMatchObject(expected);
  });

  it.each([
    ['80', tcp('', 80)],
    ['"http:80"', tcp('http', 80)],
    ['"HTTP:80/TCP"', tcp('http', 80)],
    ['"dns:53/udp"', { name: 'dns', protocol: 'UDP', port: 53 }],
    ['"443/tcp"', tcp('', 443)],
    ['":8443"', tcp('', 8443)],
    ['"sig:3868/sctp"', { name: 'sig', protocol: 'SCTP', port: 3868 }],
    ['{ name: metrics, port: 9100 }', tcp('metrics', 9100)],
    ['{ port: 53, protocol: UDP }', { name: '', protocol: 'UDP', port: 53 }],
  ])('port %s', (port, expected) => {
    expect(
      content(`namespace: a\nservices:\n  s: { clusterIP: 10.96.0.1, ports: [${port}] }`).services[0]?.ports,
    ).toEqual([expected]);
  });

  it('gives endpoints their own ports when listed', () => {
    const table = content(`
namespace: a
services:
  s:
    headless: true
    ports: [http:80]
    endpoints: [{ ip: 10.244.1.5, ports: [http:8080, 9090] }]
`);
    expect(table.services[0]?.endpoints[0]?.ports).toEqual([tcp('http', 8080), tcp('', 9090)]);
  });

  it('reads an endpoint zone and a trafficDistribution', () => {
    const table = content(`
namespace: a
services:
  s:
    headless: true
    trafficDistribution: PreferSameZone
    ports: [http:80]
    endpoints: [{ ip: 10.244.1.5, node: node-a, zone: us-east-1a }, 10.244.1.6]
`);
    expect(table.services[0]?.trafficDistribution).toBe('PreferSameZone');
    expect(table.services[0]?.endpoints.map((e) => e.zone)).toEqual(['us-east-1a', undefined]);
  });

  it('allows a namespace with nothing in it', () => {
    expect(content('namespace: empty')).toEqual({ namespaces: ['empty'], services: [], pods: [] });
    expect(content('namespace: Empty\nservices:\npods:')).toEqual({
      namespaces: ['empty'],
      services: [],
      pods: [],
    });
  });

  it('tells native and Kubernetes documents apart by apiVersion', () => {
    expect(isNativeDocument({ namespace: 'shop' })).toBe(true);
    expect(isNativeDocument({ apiVersion: 'v1', kind: 'Service' })).toBe(false);
    expect(isNativeDocument(null)).toBe(false);
  });

  const LABEL =
    'a DNS label (1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit)';
  it.each([
    ['services: {}', 'document 1', 'namespace: expected ' + LABEL + ', got nothing'],
    ['namespace: shop_eu', 'document 1', `namespace: expected ${LABEL}, got "shop_eu"`],
    [
      'namespace: shop\nservice: {}',
      'namespace shop',
      'service: unknown key; expected one of namespace, services, pods',
    ],
    ['namespace: shop\nservices: [web]', 'namespace shop', 'services: expected a mapping, got a list'],
    [
      'namespace: shop\nservices:\n  web:',
      'service shop/web',
      'expected one of clusterIP, clusterIPs, headless: true or externalName',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIp: 10.96.0.10 }',
      'service shop/web',
      'clusterIp: unknown key; expected one of clusterIP, clusterIPs, headless, externalName, externalIPs, trafficDistribution, ports, endpoints',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, headless: true }',
      'service shop/web',
      'clusterIP(s), headless: true and externalName exclude each other; keep one',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, clusterIPs: [10.96.0.11] }',
      'service shop/web',
      'clusterIP and clusterIPs exclude each other; keep one',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.300 }',
      'service shop/web',
      'clusterIP: expected an IPv4 or IPv6 address, got "10.96.0.300"',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIPs: [] }',
      'service shop/web',
      'clusterIPs: expected at least one IP address, got a list',
    ],
    [
      'namespace: shop\nservices:\n  web: { headless: yes }',
      'service shop/web',
      'headless: expected true or false, got "yes"',
    ],
    [
      'namespace: shop\nservices:\n  Web_1: { headless: true }',
      'service shop/Web_1',
      `name: expected ${LABEL}, got "Web_1"`,
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:80, https:abc] }',
      'service shop/web',
      'ports[1]: expected an integer 1-65535 as the port, got "https:abc"',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:70000] }',
      'service shop/web',
      'ports[0]: expected an integer 1-65535 as the port, got "http:70000"',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [0] }',
      'service shop/web',
      'ports[0]: expected an integer 1-65535, got 0',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: ["dns:53/icmp"] }',
      'service shop/web',
      'ports[0]: expected TCP, UDP or SCTP, got "icmp"',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: ["a:b:80"] }',
      'service shop/web',
      'ports[0]: expected "name:port/protocol" (name and protocol optional, e.g. http:80, dns:53/udp or 8080), got "a:b:80"',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: ["web_ui:80"] }',
      'service shop/web',
      `ports[0]: expected ${LABEL}, got "web_ui"`,
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http: 80] }',
      'service shop/web',
      'ports[0]: expected "name:port/protocol" (name and protocol optional, e.g. http:80, dns:53/udp or 8080) (write it without a space after ":"), got a mapping',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [{ port: 80, proto: udp }] }',
      'service shop/web',
      'ports[0].proto: unknown key; expected one of name, port, protocol',
    ],
    [
      'namespace: shop\nservices:\n  web: { headless: true, endpoints: [10.244.1.x] }',
      'service shop/web',
      'endpoints[0]: expected an IPv4 or IPv6 address, got "10.244.1.x"',
    ],
    [
      'namespace: shop\nservices:\n  web: { headless: true, endpoints: [{ hostname: web-0 }] }',
      'service shop/web',
      'endpoints[0].ip: expected an IPv4 or IPv6 address, got nothing',
    ],
    [
      'namespace: shop\nservices:\n  web: { headless: true, endpoints: [{ ip: 10.244.1.5, ready: "no" }] }',
      'service shop/web',
      'endpoints[0].ready: expected true or false, got "no"',
    ],
    [
      'namespace: shop\nservices:\n  web: { headless: true, endpoints: [{ ip: 10.244.1.5, hostname: web.0 }] }',
      'service shop/web',
      `endpoints[0].hostname: expected ${LABEL}, got "web.0"`,
    ],
    [
      'namespace: shop\nservices:\n  web: { headless: true, endpoints: [{ ip: 10.244.1.5, nodeName: a }] }',
      'service shop/web',
      'endpoints[0].nodeName: unknown key; expected one of ip, hostname, ready, node, pod, zone, ports',
    ],
    [
      'namespace: shop\nservices:\n  web: { externalName: "www..example.com" }',
      'service shop/web',
      'externalName: expected a domain name (dot-separated DNS labels, at most 253 characters), got "www..example.com"',
    ],
    [
      'namespace: shop\nservices:\n  web: { externalName: www.example.com, endpoints: [10.244.1.5] }',
      'service shop/web',
      'endpoints: an externalName service has no endpoints',
    ],
    [
      'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, externalIPs: [192.0.2.1, lb.example.net] }',
      'service shop/web',
      'externalIPs[1]: expected an IPv4 or IPv6 address, got "lb.example.net"',
    ],
    [
      'namespace: shop\npods:\n  web-0: 10.244.1.256',
      'pod shop/web-0',
      'ip: expected an IPv4 or IPv6 address, got "10.244.1.256"',
    ],
    [
      'namespace: shop\npods:\n  web-0: [10.244.1.5, nope]',
      'pod shop/web-0',
      'ips[1]: expected an IPv4 or IPv6 address, got "nope"',
    ],
    [
      'namespace: shop\npods:\n  Web_0: 10.244.1.5',
      'pod shop/Web_0',
      'name: expected a domain name (dot-separated DNS labels, at most 253 characters), got "Web_0"',
    ],
  ])('reports %j', (yaml, object, problem) => {
    expect(problems(yaml)).toEqual([{ object, problem }]);
  });

  it('reports every bad service and still converts the good ones', () => {
    const result = convertNativeDocument(
      parse(
        'namespace: shop\nservices:\n  a: { clusterIP: x }\n  b: { clusterIP: 10.96.0.2 }\n  c: { headless: 1 }',
      ),
      'document 1',
    );
    expect(result.problems.map((p) => p.object)).toEqual(['service shop/a', 'service shop/c']);
    expect(result.objects.map((o) => o.kind)).toEqual(['Namespace', 'Service']);
  });

  it('the example of docs/registries/files.md is valid and means what it says', () => {
    const readme = readFileSync(new URL('../../../docs/registries/files.md', import.meta.url), 'utf8');
    const example = /## The native format[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const result = parseZoneText(example!);
    expect(result.problems).toEqual([]);
    const table = joinKubernetesObjects(result.objects);
    expect(table.namespaces).toEqual(['empty', 'shop']);
    expect(table.services.map((s) => [s.name, s.type])).toEqual([
      ['db', 'Headless'],
      ['search', 'ExternalName'],
      ['web', 'ClusterIP'],
    ]);
    const db = table.services[0]!;
    expect(db.endpoints.map((e) => [e.hostname, e.ports.map((p) => p.port)])).toEqual([
      ['db-0', [5432]],
      ['db-1', [5432]],
      ['db-2', [5433]],
    ]);
    expect(table.services[2]?.endpoints.map((e) => e.ready)).toEqual([true, true, false]);
  });
});
