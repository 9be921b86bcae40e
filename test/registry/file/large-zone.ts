// A large zone file as `kubectl get services -A -o yaml` prints a busy cluster's: every Service
// with its last-applied annotation and managedFields, about 5 KB each, so 10 000 make 50 MB.
// Written straight as text: building it through a YAML library would take longer than the test.

/** The cluster IP of service `i`, in 10.96.0.0/12 as a cluster hands them out. */
export function largeZoneIp(i: number): string {
  return `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

export const largeZoneName = (i: number) => `svc-${i}`;
export const largeZoneNamespace = (i: number) => `ns-${i % 100}`;

/** `count` services as one `v1 List`; the first line is a comment with `&`, as a shell note might be. */
export function largeZoneYaml(count: number): string {
  const parts = ['# services & endpoints, exported with kubectl get -o yaml\napiVersion: v1\nitems:\n'];
  for (let i = 0; i < count; i++) parts.push(serviceYaml(i));
  parts.push('kind: List\nmetadata:\n  resourceVersion: ""\n');
  return parts.join('');
}

function serviceYaml(i: number): string {
  const name = largeZoneName(i);
  const ns = largeZoneNamespace(i);
  const ip = largeZoneIp(i + 1);
  const applied = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      annotations: { 'team.example.com/owner': `team-${i % 37}` },
      labels: { app: name, 'app.kubernetes.io/part-of': 'shop', tier: 'backend' },
      name,
      namespace: ns,
    },
    spec: {
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
        { name: 'grpc', port: 9090, protocol: 'TCP', targetPort: 9090 },
        { name: 'metrics', port: 9102, protocol: 'TCP', targetPort: 9102 },
      ],
      selector: { app: name, tier: 'backend' },
      type: 'ClusterIP',
    },
  });
  const managed = ['kubectl-client-side-apply', 'helm', 'argocd-controller', 'kube-controller-manager']
    .map(
      (manager, m) => `    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata:
          f:annotations:
            .: {}
            f:kubectl.kubernetes.io/last-applied-configuration: {}
            f:team.example.com/owner: {}
          f:labels:
            .: {}
            f:app: {}
            f:app.kubernetes.io/part-of: {}
            f:tier: {}
        f:spec:
          f:internalTrafficPolicy: {}
          f:ports:
            .: {}
            k:{"port":80,"protocol":"TCP"}:
              .: {}
              f:name: {}
              f:port: {}
              f:protocol: {}
              f:targetPort: {}
            k:{"port":9090,"protocol":"TCP"}:
              .: {}
              f:name: {}
              f:port: {}
              f:protocol: {}
              f:targetPort: {}
          f:selector: {}
          f:sessionAffinity: {}
          f:type: {}
      manager: ${manager}
      operation: ${m === 3 ? 'Update' : 'Apply'}
      time: "2026-11-0${1 + m}T10:1${m}:3${m}Z"
`,
    )
    .join('');
  return `- apiVersion: v1
  kind: Service
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        ${applied}
      team.example.com/owner: team-${i % 37}
    creationTimestamp: "2026-11-01T10:00:00Z"
    labels:
      app: ${name}
      app.kubernetes.io/part-of: shop
      tier: backend
    managedFields:
${managed}    name: ${name}
    namespace: ${ns}
    resourceVersion: "${100000 + i}"
    uid: 5c0f${String(i).padStart(8, '0')}-1b2c-4d3e-8f4a-5b6c7d8e9f0a
  spec:
    clusterIP: ${ip}
    clusterIPs:
    - ${ip}
    internalTrafficPolicy: Cluster
    ipFamilies:
    - IPv4
    ipFamilyPolicy: SingleStack
    ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: 8080
    - name: grpc
      port: 9090
      protocol: TCP
      targetPort: 9090
    - name: metrics
      port: 9102
      protocol: TCP
      targetPort: 9102
    selector:
      app: ${name}
      tier: backend
    sessionAffinity: None
    type: ClusterIP
  status:
    loadBalancer: {}
`;
}
