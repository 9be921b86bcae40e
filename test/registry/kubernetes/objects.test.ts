import { describe, expect, it } from 'vitest';
import { convertKubernetesObjects } from '../../../src/registry/kubernetes/objects.js';
import type { ClusterObject } from '../../../src/registry/model.js';
import { list, namespace, pod, service, slice } from '../helpers.js';

function only(doc: unknown): ClusterObject {
  const result = convertKubernetesObjects([doc]);
  expect(result.problems).toEqual([]);
  expect(result.objects).toHaveLength(1);
  return result.objects[0]!;
}

function problemsOf(doc: unknown) {
  const result = convertKubernetesObjects([doc]);
  expect(result.objects).toEqual([]);
  return result.problems;
}

describe('v1 Service', () => {
  it.each([
    {
      title: 'a ClusterIP service with named and unnamed ports',
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
          { port: 53, protocol: 'UDP' },
          { name: 'sctp', port: 9999, protocol: 'SCTP' },
        ],
      },
      expected: {
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.10'],
        ports: [
          { name: 'http', protocol: 'TCP', port: 80 },
          { name: '', protocol: 'UDP', port: 53 },
          { name: 'sctp', protocol: 'SCTP', port: 9999 },
        ],
      },
    },
    {
      title: 'dual-stack: clusterIPs wins over clusterIP',
      spec: { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11', 'fd00:10:96::b'], ports: [{ port: 443 }] },
      expected: {
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.11', 'fd00:10:96::b'],
        ports: [{ name: '', protocol: 'TCP', port: 443 }],
      },
    },
    {
      title: 'only the older clusterIP field',
      spec: { clusterIP: '10.96.0.12' },
      expected: { type: 'ClusterIP', clusterIPs: ['10.96.0.12'], ports: [] },
    },
    {
      title: 'NodePort and LoadBalancer services are served through their cluster IP',
      spec: {
        type: 'LoadBalancer',
        clusterIPs: ['10.96.0.13'],
        ports: [{ name: 'HTTP', port: 80, nodePort: 30080 }],
      },
      expected: {
        type: 'ClusterIP',
        clusterIPs: ['10.96.0.13'],
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      },
    },
    {
      title: 'headless by clusterIP',
      spec: { clusterIP: 'None', ports: [{ name: 'postgres', port: 5432 }] },
      expected: {
        type: 'Headless',
        clusterIPs: [],
        ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
      },
    },
    {
      title: 'headless by clusterIPs[0]',
      spec: { clusterIPs: ['None'] },
      expected: { type: 'Headless', clusterIPs: [], ports: [] },
    },
    {
      title: 'ExternalName, lower-cased without the trailing dot',
      spec: { type: 'ExternalName', externalName: 'WWW.Example.COM.' },
      expected: { type: 'ExternalName', clusterIPs: [], externalName: 'www.example.com', ports: [] },
    },
  ])('$title', ({ spec, expected }) => {
    expect(only(service('shop', 'web', spec))).toEqual({
      kind: 'Service',
      service: { namespace: 'shop', name: 'web', endpoints: [], ...expected },
    });
  });

  // k8s_external serves these: spec.externalIPs first, then the load balancer's ingress IPs.
  it.each([
    {
      title: 'externalIPs of a ClusterIP service',
      spec: { clusterIP: '10.96.0.14', externalIPs: ['192.0.2.10', '2001:db8::10'] },
      status: { loadBalancer: {} },
      externalIPs: ['192.0.2.10', '2001:db8::10'],
    },
    {
      title: 'LoadBalancer ingress IPs after externalIPs; a hostname-only ingress has no address',
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.15', externalIPs: ['192.0.2.11'] },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }, { hostname: 'lb.example.net' }] } },
      externalIPs: ['192.0.2.11', '198.51.100.7'],
    },
    {
      title: 'a headless service with externalIPs',
      spec: { clusterIP: 'None', externalIPs: ['192.0.2.12'] },
      status: {},
      externalIPs: ['192.0.2.12'],
    },
    {
      title: 'none: the field stays absent',
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.16' },
      status: { loadBalancer: { ingress: [] } },
      externalIPs: undefined,
    },
  ])('$title', ({ spec, status, externalIPs }) => {
    const object = only({ ...service('shop', 'web', spec), status });
    expect(object.kind === 'Service' && object.service.externalIPs).toEqual(externalIPs ?? undefined);
    if (externalIPs === undefined) expect(object).not.toHaveProperty('service.externalIPs');
  });

  it.each([
    [
      { clusterIP: '10.96.0.10', externalIPs: ['192.0.2.300'] },
      {},
      'spec.externalIPs[0]: expected an IPv4 or IPv6 address, got "192.0.2.300"',
    ],
    [
      { clusterIP: '10.96.0.10', externalIPs: '192.0.2.1' },
      {},
      'spec.externalIPs: expected a list, got "192.0.2.1"',
    ],
    [
      { clusterIP: '10.96.0.10' },
      { loadBalancer: { ingress: [{ ip: 'lb' }] } },
      'status.loadBalancer.ingress[0].ip: expected an IPv4 or IPv6 address, got "lb"',
    ],
  ])('reports %j %j', (spec, status, problem) => {
    expect(problemsOf({ ...service('shop', 'web', spec), status })).toEqual([
      { object: 'Service shop/web', problem },
    ]);
  });

  it('lower-cases the namespace and name', () => {
    const object = only(service('Shop', 'Web', { clusterIP: '10.96.0.10' }));
    expect(object).toMatchObject({ service: { namespace: 'shop', name: 'web' } });
  });

  it('puts an object without a namespace into "default"', () => {
    const doc = service('x', 'web', { clusterIP: '10.96.0.10' });
    delete (doc.metadata as Record<string, unknown>).namespace;
    expect(only(doc)).toMatchObject({ service: { namespace: 'default', name: 'web' } });
  });

  it.each([
    [
      { clusterIP: '10.96.0.10', ports: [{ port: 80 }, { name: 'x', port: 'abc' }] },
      'spec.ports[1].port: expected an integer 1-65535, got "abc"',
    ],
    [
      { clusterIP: '10.96.0.10', ports: [{ port: 0 }] },
      'spec.ports[0].port: expected an integer 1-65535, got 0',
    ],
    [
      { clusterIP: '10.96.0.10', ports: [{ port: 65536 }] },
      'spec.ports[0].port: expected an integer 1-65535, got 65536',
    ],
    [
      { clusterIP: '10.96.0.10', ports: [{ port: 80.5 }] },
      'spec.ports[0].port: expected an integer 1-65535, got 80.5',
    ],
    [
      { clusterIP: '10.96.0.10', ports: [{ name: 'http' }] },
      'spec.ports[0].port: expected an integer 1-65535, got nothing',
    ],
    [
      { clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'HTTP' }] },
      'spec.ports[0].protocol: expected TCP, UDP or SCTP, got "HTTP"',
    ],
    [
      { clusterIP: '10.96.0.10', ports: [{ port: 80, name: 'web_port' }] },
      'spec.ports[0].name: expected a DNS label (1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit), got "web_port"',
    ],
    [{ clusterIP: '10.96.0.10', ports: { http: 80 } }, 'spec.ports: expected a list, got a mapping'],
    [{ clusterIP: '10.96.0.300' }, 'spec.clusterIP: expected an IPv4 or IPv6 address, got "10.96.0.300"'],
    [
      { clusterIPs: ['10.96.0.1', 'fd00::zz'] },
      'spec.clusterIPs[1]: expected an IPv4 or IPv6 address, got "fd00::zz"',
    ],
    [
      { type: 'ClusterIP' },
      'spec.clusterIP: expected a cluster IP ("None" for a headless service) on a ClusterIP service, got nothing',
    ],
    [
      { clusterIP: '' },
      'spec.clusterIP: expected a cluster IP ("None" for a headless service) on a ClusterIP service, got nothing',
    ],
    [
      { type: 'Balanced', clusterIP: '10.96.0.10' },
      'spec.type: expected ClusterIP, NodePort, LoadBalancer, ExternalName, got "Balanced"',
    ],
    [
      { type: 'ExternalName' },
      'spec.externalName: expected a domain name (dot-separated DNS labels, at most 253 characters), got nothing',
    ],
    [
      { type: 'ExternalName', externalName: 'bad..example.com' },
      'spec.externalName: expected a domain name (dot-separated DNS labels, at most 253 characters), got "bad..example.com"',
    ],
    [
      { type: 'ExternalName', externalName: 'under_score.example.com' },
      'spec.externalName: expected a domain name (dot-separated DNS labels, at most 253 characters), got "under_score.example.com"',
    ],
  ])('reports %j', (spec, problem) => {
    expect(problemsOf(service('shop', 'web', spec))).toEqual([{ object: 'Service shop/web', problem }]);
  });

  it.each([
    ['-web', 'metadata.name: expected a DNS label'],
    ['web-', 'metadata.name: expected a DNS label'],
    ['web.v2', 'metadata.name: expected a DNS label'],
    ['a'.repeat(64), 'metadata.name: expected a DNS label'],
  ])('rejects the service name %s', (name, problem) => {
    const [found] = problemsOf(service('shop', name, { clusterIP: '10.96.0.10' }));
    expect(found?.object).toBe(`Service shop/${name}`);
    expect(found?.problem).toContain(problem);
  });

  it('accepts a 63-character name', () => {
    const name = `a${'-'.repeat(61)}z`;
    expect(only(service('shop', name, { clusterIP: '10.96.0.10' }))).toMatchObject({ service: { name } });
  });

  it('rejects a bad namespace', () => {
    expect(problemsOf(service('Shop_1', 'web', { clusterIP: '10.96.0.10' }))[0]).toMatchObject({
      object: 'Service Shop_1/web',
      problem: expect.stringMatching(/^metadata\.namespace: expected a DNS label .*got "Shop_1"$/),
    });
  });

  it('names an object without a name by its document number', () => {
    const doc = service('shop', 'web', { clusterIP: '10.96.0.10' });
    delete (doc.metadata as Record<string, unknown>).name;
    const result = convertKubernetesObjects([namespace('shop'), doc]);
    expect(result.problems).toEqual([
      { object: 'document 2', problem: 'metadata.name: expected a non-empty string, got nothing' },
    ]);
  });
});

describe('discovery.k8s.io/v1 EndpointSlice', () => {
  const ports = [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'metrics', protocol: 'TCP' }, // no number: dropped
  ];

  it('turns every address of every endpoint into an Endpoint carrying the slice ports', () => {
    const object = only(
      slice('shop', 'web-abc12', 'web', {
        ports,
        endpoints: [
          {
            addresses: ['10.244.1.5'],
            conditions: { ready: true, serving: true, terminating: false },
            nodeName: 'node-a',
            targetRef: { kind: 'Pod', name: 'web-0', namespace: 'shop', uid: 'u1' },
            hostname: 'Web-0',
          },
          { addresses: ['10.244.1.6', '10.244.1.7'], targetRef: { kind: 'Node', name: 'node-b' } },
        ],
      }),
    );
    const http = { name: 'http', protocol: 'TCP', port: 8080 };
    expect(object).toEqual({
      kind: 'EndpointSlice',
      namespace: 'shop',
      name: 'web-abc12',
      serviceName: 'web',
      endpoints: [
        {
          ip: '10.244.1.5',
          hostname: 'web-0',
          ready: true,
          nodeName: 'node-a',
          podName: 'web-0',
          ports: [http],
        },
        { ip: '10.244.1.6', ready: true, ports: [http] },
        { ip: '10.244.1.7', ready: true, ports: [http] },
      ],
    });
  });

  it.each([
    { conditions: undefined, ready: true },
    { conditions: null, ready: true },
    { conditions: {}, ready: true },
    { conditions: { ready: null }, ready: true },
    { conditions: { ready: true }, ready: true },
    { conditions: { ready: false }, ready: false },
    // Only `ready` counts: a terminating endpoint that still serves is not ready.
    { conditions: { ready: false, serving: true, terminating: true }, ready: false },
    { conditions: { serving: false, terminating: true }, ready: true },
  ])('conditions $conditions → ready $ready', ({ conditions, ready }) => {
    const endpoint: Record<string, unknown> = { addresses: ['10.244.1.5'] };
    if (conditions !== undefined) endpoint.conditions = conditions;
    const object = only(slice('shop', 'web-abc12', 'web', { endpoints: [endpoint] }));
    expect(object.kind === 'EndpointSlice' && object.endpoints[0]?.ready).toBe(ready);
  });

  it('accepts IPv6 slices', () => {
    const object = only(
      slice('shop', 'web-v6', 'web', { addressType: 'IPv6', endpoints: [{ addresses: ['fd00:10:244::5'] }] }),
    );
    expect(object).toMatchObject({ endpoints: [{ ip: 'fd00:10:244::5', ready: true }] });
  });

  it('handles a slice with no endpoints and no ports (both null)', () => {
    const doc = slice('shop', 'web-abc12', 'web', {});
    doc.endpoints = null;
    doc.ports = null;
    expect(only(doc)).toMatchObject({ kind: 'EndpointSlice', serviceName: 'web', endpoints: [] });
  });

  it.each([
    [
      'no service-name label',
      slice('shop', 'manual', undefined, { endpoints: [{ addresses: ['10.244.1.5'] }] }),
      'EndpointSlice shop/manual',
      /kubernetes\.io\/service-name/,
    ],
    [
      'an FQDN slice',
      slice('shop', 'ext', 'ext', { addressType: 'FQDN', endpoints: [{ addresses: ['a.example.com'] }] }),
      'EndpointSlice shop/ext',
      /FQDN/,
    ],
  ])('skips %s', (_title, doc, object, reason) => {
    const result = convertKubernetesObjects([doc]);
    expect(result.objects).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(result.skipped).toEqual([{ object, reason: expect.stringMatching(reason) }]);
  });

  it.each([
    [{ addressType: 'IPv5' }, 'addressType: expected IPv4, IPv6 or FQDN, got "IPv5"'],
    [
      { endpoints: [{ addresses: ['10.244.1.x'] }] },
      'endpoints[0].addresses[0]: expected an IPv4 address, got "10.244.1.x"',
    ],
    [
      { endpoints: [{ addresses: ['fd00::5'] }] },
      'endpoints[0].addresses[0]: expected an IPv4 address, got "fd00::5"',
    ],
    [
      { addressType: 'IPv6', endpoints: [{ addresses: ['10.244.1.5'] }] },
      'endpoints[0].addresses[0]: expected an IPv6 address, got "10.244.1.5"',
    ],
    [{ endpoints: [{ addresses: [] }] }, 'endpoints[0].addresses: expected at least one address, got a list'],
    [
      { endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: 'yes' } }] },
      'endpoints[0].conditions.ready: expected true, false or nothing, got "yes"',
    ],
    [
      { endpoints: [{ addresses: ['10.244.1.5'] }, { addresses: ['10.244.1.6'], hostname: 'db.0' }] },
      'endpoints[1].hostname: expected a DNS label (1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit), got "db.0"',
    ],
    [{ ports: [{ name: 'http', port: 70000 }] }, 'ports[0].port: expected an integer 1-65535, got 70000'],
    [
      { ports: [{ name: 'http', port: 80, protocol: 'ICMP' }] },
      'ports[0].protocol: expected TCP, UDP or SCTP, got "ICMP"',
    ],
  ])('reports %j', (body, problem) => {
    expect(problemsOf(slice('shop', 'web-abc12', 'web', body))).toEqual([
      { object: 'EndpointSlice shop/web-abc12', problem },
    ]);
  });

  it('reports a service-name label that is not a DNS label', () => {
    expect(problemsOf(slice('shop', 'web-abc12', 'Web_1', {}))).toEqual([
      {
        object: 'EndpointSlice shop/web-abc12',
        problem: expect.stringMatching(
          /^metadata\.labels\["kubernetes\.io\/service-name"\]: expected a DNS label .*got "Web_1"$/,
        ),
      },
    ]);
  });
});

describe('v1 Pod', () => {
  it.each([
    {
      title: 'dual-stack podIPs',
      status: { podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00:10:244::5' }] },
      ips: ['10.244.1.5', 'fd00:10:244::5'],
    },
    { title: 'only podIP', status: { podIP: '10.244.1.6' }, ips: ['10.244.1.6'] },
    { title: 'pending: no IP yet', status: { phase: 'Pending' }, ips: [] },
    { title: 'no status at all', status: undefined, ips: [] },
  ])('$title', ({ status, ips }) => {
    const doc = pod('shop', 'web-0', status ?? {});
    if (status === undefined) delete doc.status;
    expect(only(doc)).toEqual({
      kind: 'Pod',
      pod: { namespace: 'shop', name: 'web-0', ips, nodeName: 'node-a' },
    });
  });

  it('accepts dotted pod names', () => {
    expect(only(pod('shop', 'web.v2-0', {}))).toMatchObject({ pod: { name: 'web.v2-0' } });
  });

  it.each([
    [{ podIP: '10.244.1.256' }, 'status.podIP: expected an IPv4 or IPv6 address, got "10.244.1.256"'],
    [
      { podIPs: [{ ip: '10.244.1.5' }, { ip: 'nope' }] },
      'status.podIPs[1].ip: expected an IPv4 or IPv6 address, got "nope"',
    ],
    [{ podIPs: ['10.244.1.5'] }, 'status.podIPs[0]: expected a mapping, got "10.244.1.5"'],
  ])('reports %j', (status, problem) => {
    expect(problemsOf(pod('shop', 'web-0', status))).toEqual([{ object: 'Pod shop/web-0', problem }]);
  });
});

describe('v1 Namespace', () => {
  it('converts to its lower-cased name', () => {
    expect(only(namespace('Shop'))).toEqual({ kind: 'Namespace', name: 'shop' });
  });

  it('rejects a name that is not a DNS label', () => {
    expect(problemsOf(namespace('shop.eu'))).toEqual([
      {
        object: 'Namespace shop.eu',
        problem: expect.stringMatching(/^metadata\.name: expected a DNS label/),
      },
    ]);
  });
});

describe('documents and lists', () => {
  it('flattens v1 List wrappers, nested ones too', () => {
    const result = convertKubernetesObjects([
      list(
        namespace('shop'),
        list(service('shop', 'web', { clusterIP: '10.96.0.10' }), list(pod('shop', 'web-0', {}))),
      ),
      namespace('default'),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.objects.map((o) => o.kind)).toEqual(['Namespace', 'Service', 'Pod', 'Namespace']);
  });

  it('skips other kinds and other API versions of known kinds, without errors', () => {
    const result = convertKubernetesObjects([
      list(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: {} },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'shop' }, data: {} },
        {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Service',
          metadata: { name: 'fn', namespace: 'shop' },
        },
        { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'shop' } },
      ),
    ]);
    expect(result.objects).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(result.skipped).toEqual([
      { object: 'Deployment shop/web', reason: 'apps/v1 Deployment is not used by DNS' },
      { object: 'ConfigMap shop/settings', reason: 'v1 ConfigMap is not used by DNS' },
      { object: 'Service shop/fn', reason: 'serving.knative.dev/v1 Service is not used by DNS' },
      { object: 'Endpoints shop/web', reason: 'v1 Endpoints is not used by DNS' },
    ]);
  });

  it('ignores empty documents', () => {
    expect(convertKubernetesObjects([null, undefined])).toEqual({ objects: [], skipped: [], problems: [] });
  });

  it('keeps converting after a bad object and names each problem', () => {
    const result = convertKubernetesObjects([
      list(
        service('shop', 'web', { clusterIP: 'nope' }),
        { kind: 'Service' },
        service('shop', 'api', { clusterIP: '10.96.0.11' }),
      ),
      'just a string',
      { apiVersion: 'v1', metadata: { name: 'x' } },
      list(),
      { apiVersion: 'v1', kind: 'List', items: 'many' },
    ]);
    expect(result.objects).toMatchObject([{ kind: 'Service', service: { name: 'api' } }]);
    expect(result.problems).toEqual([
      { object: 'Service shop/web', problem: 'spec.clusterIP: expected an IPv4 or IPv6 address, got "nope"' },
      { object: 'document 1 items[1]', problem: 'apiVersion: expected a string, got nothing' },
      { object: 'document 2', problem: 'expected a Kubernetes object (a mapping), got "just a string"' },
      { object: 'document 3', problem: 'kind: expected a string, got nothing' },
      { object: 'document 5', problem: 'items: expected a list, got "many"' },
    ]);
  });
});

describe('topology: EndpointSlice zones, trafficDistribution, Nodes', () => {
  const endpointAt = (fields: Record<string, unknown>) =>
    slice('shop', 'db-abc12', 'db', { endpoints: [{ addresses: ['10.244.1.5'], ...fields }] });

  it("reads an endpoint's zone, lower-cased, and its node", () => {
    const object = only(endpointAt({ nodeName: 'node-a', zone: 'US-East-1a' }));
    expect(object).toMatchObject({
      endpoints: [{ ip: '10.244.1.5', nodeName: 'node-a', zone: 'us-east-1a' }],
    });
    expect(only(endpointAt({ zone: 'corp.example.com' }))).toMatchObject({
      endpoints: [{ zone: 'corp.example.com' }],
    });
    expect((only(endpointAt({})) as { endpoints: object[] }).endpoints[0]).not.toHaveProperty('zone');
  });

  it.each([
    ['-us-east-1a', 'endpoints[0].zone'],
    ['a'.repeat(64), 'endpoints[0].zone'],
    [7, 'endpoints[0].zone'],
  ])('rejects the slice with zone %j, naming the field', (zone, path) => {
    expect(problemsOf(endpointAt({ zone }))).toEqual([
      {
        object: 'EndpointSlice shop/db-abc12',
        problem: expect.stringMatching(
          new RegExp(`^${path.replace(/[[\]]/g, '\\$&')}: expected a label value`),
        ),
      },
    ]);
  });

  it.each([
    ['PreferSameZone', 'PreferSameZone'],
    ['PreferClose', 'PreferSameZone'], // KEP-3015: the old name of PreferSameZone
    ['PreferSameNode', 'PreferSameNode'],
    ['PreferSomethingElse', undefined], // a value kube-proxy does not know prefers nothing
    [undefined, undefined],
  ])('reads spec.trafficDistribution %s as %s', (value, expected) => {
    const object = only(
      service('shop', 'db', { clusterIP: 'None', ...(value ? { trafficDistribution: value } : {}) }),
    );
    expect((object as { service: { trafficDistribution?: string } }).service.trafficDistribution).toBe(
      expected,
    );
  });

  it("reads a Node's topology.kubernetes.io/zone label", () => {
    const node = (labels: Record<string, unknown>) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a', labels },
    });
    expect(only(node({ 'topology.kubernetes.io/zone': 'us-east-1a' }))).toEqual({
      kind: 'Node',
      name: 'node-a',
      zone: 'us-east-1a',
    });
    expect(only(node({ 'kubernetes.io/hostname': 'node-a' }))).toEqual({ kind: 'Node', name: 'node-a' });
    expect(problemsOf(node({ 'topology.kubernetes.io/zone': 'a b' }))).toEqual([
      {
        object: 'Node node-a',
        problem: expect.stringMatching(
          /^metadata\.labels\["topology\.kubernetes\.io\/zone"\]: expected a label value/,
        ),
      },
    ]);
  });
});
