// The cluster behind CoreDNS's TestMultiClusterServeDNS (plugin/kubernetes/handler_test.go:
// svcImportIndex and mcEpsIndex), written as the Kubernetes objects an MCS controller leaves in a
// cluster: ServiceImports and imported EndpointSlices, as `kubectl get -o yaml` prints them. Beside
// them, this cluster's own Services of some of the same names (with other addresses) and a
// headless import spread over two clusters, which the conformance rows never ask about but the
// clusterset rows use to show what is and is not served where.
import { endpointSlice, namespace, service } from '../helpers/manifests.js';

interface PortInput {
  name: string;
  port: number;
  protocol?: string;
}

const http: PortInput = { name: 'http', port: 80 };

export function serviceImport(
  ns: string,
  name: string,
  spec: { type: 'ClusterSetIP' | 'Headless'; ips?: string[]; ports?: PortInput[] },
) {
  return {
    apiVersion: 'multicluster.x-k8s.io/v1alpha1',
    kind: 'ServiceImport',
    metadata: { name, namespace: ns },
    spec: {
      type: spec.type,
      ...(spec.ips ? { ips: spec.ips } : {}),
      ports: (spec.ports ?? []).map((port) => ({ protocol: 'TCP', ...port })),
    },
    status: { clusters: [{ cluster: 'cluster1' }] },
  };
}

/** An EndpointSlice an MCS controller imported from `cluster` for the ServiceImport `serviceName`. */
export function importedSlice(
  ns: string,
  serviceName: string,
  cluster: string,
  endpoints: { ip: string; hostname?: string; ready?: boolean }[],
  ports: PortInput[],
  opts: { addressType?: string; suffix?: string; labels?: Record<string, string> } = {},
) {
  const slice = endpointSlice(ns, serviceName, endpoints, ports, {
    addressType: opts.addressType ?? 'IPv4',
    suffix: opts.suffix ?? cluster,
  });
  const labels: Record<string, string> = {
    'multicluster.kubernetes.io/service-name': serviceName,
    'multicluster.kubernetes.io/source-cluster': cluster,
    'endpointslice.kubernetes.io/managed-by': 'mcs-controller',
    ...opts.labels,
  };
  return { ...slice, metadata: { ...slice.metadata, labels } };
}

export function multiclusterObjects(): object[] {
  return [
    namespace('testns'),
    namespace('kube-system'),
    namespace('unexposedns'),
    // svcImportIndex
    serviceImport('kube-system', 'kubedns', {
      type: 'ClusterSetIP',
      ips: ['10.0.0.10'],
      ports: [{ name: 'dns', protocol: 'UDP', port: 53 }],
    }),
    serviceImport('testns', 'svc1', { type: 'ClusterSetIP', ips: ['10.0.0.1'], ports: [http] }),
    serviceImport('testns', 'svcempty', { type: 'ClusterSetIP', ips: ['10.0.0.1'], ports: [http] }),
    serviceImport('testns', 'svc6', { type: 'ClusterSetIP', ips: ['1234:abcd::1'], ports: [http] }),
    serviceImport('testns', 'hdls1', { type: 'Headless' }),
    serviceImport('testns', 'hdlsprtls', { type: 'Headless' }),
    serviceImport('unexposedns', 'svc1', { type: 'ClusterSetIP', ips: ['10.0.0.2'], ports: [http] }),
    serviceImport('testns', 'svc-dual-stack', {
      type: 'ClusterSetIP',
      ips: ['10.0.0.3', '10::3'],
      ports: [http],
    }),
    // mcEpsIndex: every slice from cluster1
    importedSlice(
      'kube-system',
      'kubedns',
      'cluster1',
      [{ ip: '172.0.0.100' }],
      [{ name: 'dns', protocol: 'UDP', port: 53 }],
    ),
    importedSlice('testns', 'svc1', 'cluster1', [{ ip: '172.0.0.1', hostname: 'ep1a' }], [http]),
    importedSlice('testns', 'svcempty', 'cluster1', [], [http]),
    // One imported slice also carries the label of this cluster's own Service: it still feeds
    // the import only.
    importedSlice(
      'testns',
      'hdls1',
      'cluster1',
      [
        { ip: '172.0.0.2' },
        { ip: '172.0.0.3' },
        { ip: '172.0.0.4', hostname: 'dup-name' },
        { ip: '172.0.0.5', hostname: 'dup-name' },
      ],
      [http],
      { labels: { 'kubernetes.io/service-name': 'hdls1' } },
    ),
    importedSlice('testns', 'hdls1', 'cluster1', [{ ip: '5678:abcd::1' }, { ip: '5678:abcd::2' }], [http], {
      addressType: 'IPv6',
      suffix: 'cluster1-v6',
    }),
    importedSlice('testns', 'hdlsprtls', 'cluster1', [{ ip: '172.0.0.20' }], []),
    // This cluster's own Services: never names of a multicluster zone.
    service('testns', 'svc1', { clusterIPs: ['10.96.0.1'], ports: [http] }),
    service('testns', 'hdls1', { headless: true, ports: [http] }),
    endpointSlice('testns', 'hdls1', [{ ip: '10.244.0.9' }], [http]),
    service('testns', 'local-only', { clusterIPs: ['10.96.0.50'], ports: [http] }),
    // A headless import with endpoints in two clusters (one not ready).
    serviceImport('testns', 'spread', { type: 'Headless', ports: [http] }),
    importedSlice('testns', 'spread', 'cluster1', [{ ip: '10.1.0.1', hostname: 'web-0' }], [http]),
    importedSlice(
      'testns',
      'spread',
      'cluster2',
      [
        { ip: '10.2.0.1', hostname: 'web-0' },
        { ip: '10.2.0.2', hostname: 'web-1', ready: false },
      ],
      [http],
    ),
  ];
}
