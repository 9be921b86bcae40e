// The backend-neutral data model of the service table. Every registry backend converts what it
// reads into these shapes; the resolvers read nothing else. Names (namespace, service, port name,
// hostname) are stored lower-cased: DNS matching is case-insensitive (Kubernetes DNS spec §2.1).

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortSpec {
  /** Empty for an unnamed port: it gets no `_port._proto` SRV name, but counts in a bare SRV. */
  name: string;
  protocol: Protocol;
  port: number;
}

/** One address of one endpoint (Kubernetes endpoints with several addresses become several). */
export interface Endpoint {
  ip: string;
  /** The endpoint's `hostname` (StatefulSet pods with a subdomain); absent means "use the dashed IP". */
  hostname?: string;
  ready: boolean;
  nodeName?: string;
  /**
   * The EndpointSlice `zone` (the node's topology.kubernetes.io/zone), lower-cased: what zonal
   * names select on and topology-aware answers prefer. Absent: matched by no zone.
   */
  zone?: string;
  /** targetRef name when it refers to a Pod. */
  podName?: string;
  /** Ports this endpoint serves (an EndpointSlice's ports); headless SRV records come from these. */
  ports: PortSpec[];
  /** SRV weight from a registry that has one (Nacos, SkyDNS), 0-65535; absent: CoreDNS's floor(100/N). */
  weight?: number;
  /** SRV priority from a registry that has one; absent: 0. */
  priority?: number;
  /**
   * The member cluster an imported endpoint lives in (its slice's
   * `multicluster.kubernetes.io/source-cluster`): it is named `<hostname>.<clusterid>.<svc>` in a
   * multicluster zone. Absent on every endpoint of this cluster's own services.
   */
  clusterId?: string;
}

export type ServiceType = 'ClusterIP' | 'Headless' | 'ExternalName';

export interface Service {
  namespace: string;
  name: string;
  type: ServiceType;
  /** ClusterIP services: one or more (dual-stack); empty otherwise. */
  clusterIPs: string[];
  /** ExternalName services: the target, lower-case, without a trailing dot. */
  externalName?: string;
  /**
   * Addresses the service is reached at from outside the cluster: `spec.externalIPs`, then the
   * `status.loadBalancer.ingress[].ip` of a LoadBalancer. Absent when there are none (most
   * services), so the table holds no empty array per service. Served by k8s_external only.
   */
  externalIPs?: readonly string[];
  ports: PortSpec[];
  endpoints: Endpoint[];
  /**
   * `spec.trafficDistribution` when it prefers closeness (`PreferClose` is read as its new name
   * PreferSameZone, KEP-3015); absent otherwise, so most services hold no field for it.
   */
  trafficDistribution?: TrafficDistribution;
  /**
   * A multi-cluster `ServiceImport` (KEP-1645): served only in multicluster zones, and kept apart
   * from a Service of the same name (see importKey). `ClusterIP` then means a ClusterSetIP import.
   */
  imported?: true;
}

export type TrafficDistribution = 'PreferSameZone' | 'PreferSameNode';

export interface Pod {
  namespace: string;
  name: string;
  ips: string[];
  /** `spec.nodeName`: where a client pod runs, for topology-aware answers. */
  nodeName?: string;
  /** Its node's topology.kubernetes.io/zone label, lower-cased, when the node is known. */
  zone?: string;
}

/** What one backend currently holds: replaced as a whole whenever the backend changes. */
export interface TableContent {
  namespaces: string[];
  services: Service[];
  pods: Pod[];
}
