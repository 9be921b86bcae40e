// multicluster.x-k8s.io/v1alpha1 ServiceImport → an imported Service (KEP-1645, the Multi-Cluster
// Services API): a ClusterSetIP import answers its `spec.ips`, a Headless one the ready endpoints
// of its imported EndpointSlices from every cluster. Only what DNS serves is read.
// https://github.com/kubernetes/enhancements/tree/master/keps/sig-multicluster/1645-multi-cluster-services-api

import type { Service } from '../../table/types.js';
import { type Fields, child, fail, ip, label, list, optionalRecord } from '../fields.js';
import { servicePort } from './ports.js';

export const SERVICE_IMPORT_API_VERSION = 'multicluster.x-k8s.io/v1alpha1';
/** The labels an MCS controller puts on the EndpointSlices it imports (KEP-1645 "EndpointSlice"). */
export const MC_SERVICE_NAME_LABEL = 'multicluster.kubernetes.io/service-name';
export const MC_SOURCE_CLUSTER_LABEL = 'multicluster.kubernetes.io/source-cluster';

const TYPES = ['ClusterSetIP', 'Headless'];

export function convertServiceImport(object: Fields, namespace: string, name: string): Service {
  const spec = optionalRecord(object.spec, 'spec');
  const type = spec.type ?? 'ClusterSetIP';
  if (typeof type !== 'string' || !TYPES.includes(type)) fail('spec.type', TYPES.join(' or '), type);
  const service: Service = {
    namespace,
    name: label(name, 'metadata.name'),
    type: type === 'Headless' ? 'Headless' : 'ClusterIP',
    clusterIPs: [],
    ports: list(spec.ports, 'spec.ports').map((p, i) => servicePort(p, child('spec.ports', i))),
    endpoints: [],
    imported: true,
  };
  if (service.type === 'Headless') return service;
  const ips = list(spec.ips, 'spec.ips').map((value, i) => ip(value, child('spec.ips', i)));
  // A ClusterSetIP import without its IP yet (the controller has not allocated one) has nothing to
  // answer; rejecting it names the object in the log and keeps a previous good version serving.
  if (ips.length === 0) fail('spec.ips', 'at least one clusterset IP on a ClusterSetIP import', spec.ips);
  return { ...service, clusterIPs: ips };
}
