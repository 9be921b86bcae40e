// Kubernetes objects as `kubectl get -o yaml` prints them, for zone directories in tests.
import { stringify } from 'yaml';

interface PortInput {
  name?: string;
  port: number;
  protocol?: string;
}

export function namespace(name: string) {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function service(
  ns: string,
  name: string,
  spec: {
    clusterIPs?: string[];
    headless?: boolean;
    externalName?: string;
    ports?: PortInput[];
    trafficDistribution?: string;
  },
) {
  const ports = (spec.ports ?? []).map((port) => ({ protocol: 'TCP', targetPort: port.port, ...port }));
  if (spec.externalName) {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns },
      spec: { type: 'ExternalName', externalName: spec.externalName },
    };
  }
  const clusterIPs = spec.headless ? ['None'] : (spec.clusterIPs ?? []);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: {
      type: 'ClusterIP',
      clusterIP: clusterIPs[0],
      clusterIPs,
      ports,
      ...(spec.trafficDistribution ? { trafficDistribution: spec.trafficDistribution } : {}),
    },
  };
}

export function endpointSlice(
  ns: string,
  serviceName: string,
  endpoints: { ip: string; hostname?: string; ready?: boolean; nodeName?: string; zone?: string }[],
  ports: PortInput[],
  { addressType = 'IPv4', suffix = 'abcde' }: { addressType?: string; suffix?: string } = {},
) {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${serviceName}-${suffix}`,
      namespace: ns,
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType,
    endpoints: endpoints.map(({ ip, hostname, ready, nodeName, zone }) => ({
      addresses: [ip],
      ...(hostname ? { hostname } : {}),
      ...(ready === undefined ? {} : { conditions: { ready } }),
      ...(nodeName ? { nodeName } : {}),
      ...(zone ? { zone } : {}),
    })),
    ports: ports.map((port) => ({ protocol: 'TCP', ...port })),
  };
}

/** A Node labelled with its topology zone, as the cloud provider labels it. */
export function node(name: string, zone?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}) },
    },
  };
}

export function list(...items: object[]): string {
  return stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });
}

/** A headless service with `count` ready endpoints, for truncation tests. */
export function bigHeadless(ns: string, name: string, count: number): object[] {
  const endpoints = Array.from({ length: count }, (_, i) => ({ ip: `10.244.7.${i + 1}` }));
  return [
    service(ns, name, { headless: true, ports: [{ name: 'http', port: 80 }] }),
    endpointSlice(ns, name, endpoints, [{ name: 'http', port: 80 }]),
  ];
}
