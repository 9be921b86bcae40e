// The API discovery documents kubectl reads before it maps a manifest's kind to a REST path
// (/api, /apis, /api/v1, /apis/GROUP/VERSION), for the kinds a clusterdns deployment uses. With
// them the test API server answers `kubectl apply --dry-run=client` as a real one does.

interface KindInfo {
  name: string;
  kind: string;
  namespaced: boolean;
}

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

const GROUPS: Record<string, KindInfo[]> = {
  v1: [
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
    { name: 'services', kind: 'Service', namespaced: true },
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
    { name: 'configmaps', kind: 'ConfigMap', namespaced: true },
  ],
  'apps/v1': [
    { name: 'deployments', kind: 'Deployment', namespaced: true },
    { name: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  ],
  'rbac.authorization.k8s.io/v1': [
    { name: 'clusterroles', kind: 'ClusterRole', namespaced: false },
    { name: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
    { name: 'roles', kind: 'Role', namespaced: true },
    { name: 'rolebindings', kind: 'RoleBinding', namespaced: true },
  ],
  'policy/v1': [{ name: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true }],
  'discovery.k8s.io/v1': [{ name: 'endpointslices', kind: 'EndpointSlice', namespaced: true }],
};

/** The discovery document at `path`, or undefined when `path` is not a discovery path. */
export function discoveryDocument(path: string): unknown {
  const trimmed = path.replace(/\/$/, '');
  if (trimmed === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }],
    };
  }
  if (trimmed === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: Object.keys(GROUPS)
        .filter((gv) => gv.includes('/'))
        .map((groupVersion) => {
          const [name, version] = groupVersion.split('/') as [string, string];
          const versionInfo = { groupVersion, version };
          return { name, versions: [versionInfo], preferredVersion: versionInfo };
        }),
    };
  }
  const groupVersion = trimmed === '/api/v1' ? 'v1' : trimmed.replace(/^\/apis\//, '');
  const kinds = (trimmed === '/api/v1' || trimmed.startsWith('/apis/')) && GROUPS[groupVersion];
  if (!kinds) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: kinds.map((k) => ({ ...k, singularName: '', verbs: VERBS })),
  };
}
