// The API resources the backend watches, and where they live.

export type KindName =
  'namespaces' | 'services' | 'endpointslices' | 'pods' | 'nodes' | 'serviceimports' | 'importedslices';

export interface WatchedKind {
  name: KindName;
  /** Collection path across all namespaces. */
  path: string;
  /** Stamped on list items, which the API server sends without apiVersion and kind. */
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  /**
   * For EndpointSlices: whether this watch holds the slices an MCS controller imported (true) or
   * this cluster's own (false); a slice of the other sort is skipped. See service-import.ts.
   */
  imported?: boolean;
  /** A custom resource that a cluster may not have: a 404 means "none", not a failure. */
  optional?: boolean;
}

export const KINDS: Record<KindName, WatchedKind> = {
  namespaces: {
    name: 'namespaces',
    path: '/api/v1/namespaces',
    apiVersion: 'v1',
    kind: 'Namespace',
    namespaced: false,
  },
  services: {
    name: 'services',
    path: '/api/v1/services',
    apiVersion: 'v1',
    kind: 'Service',
    namespaced: true,
  },
  endpointslices: {
    name: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  pods: { name: 'pods', path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod', namespaced: true },
  // Watched only for --topology-aware: the zone of each pod's node.
  nodes: { name: 'nodes', path: '/api/v1/nodes', apiVersion: 'v1', kind: 'Node', namespaced: false },
  // Watched only when a multicluster zone is served (KEP-1645).
  serviceimports: {
    name: 'serviceimports',
    path: '/apis/multicluster.x-k8s.io/v1alpha1/serviceimports',
    apiVersion: 'multicluster.x-k8s.io/v1alpha1',
    kind: 'ServiceImport',
    namespaced: true,
    optional: true,
  },
  importedslices: {
    name: 'importedslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespaced: true,
    imported: true,
  },
};

/**
 * The collection path of a namespaced kind within one namespace, which a namespaced Role may list
 * and watch: /api/v1/namespaces/NS/services, /apis/discovery.k8s.io/v1/namespaces/NS/endpointslices
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris).
 */
export function pathIn(kind: WatchedKind, namespace: string): string {
  if (!kind.namespaced) throw new Error(`${kind.name} are not namespaced`);
  const slash = kind.path.lastIndexOf('/');
  return `${kind.path.slice(0, slash)}/namespaces/${encodeURIComponent(namespace)}${kind.path.slice(slash)}`;
}
