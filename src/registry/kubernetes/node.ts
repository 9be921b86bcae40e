// v1 Node → its name and topology zone: all DNS needs of a node, so that a client pod's zone can be
// told from the node it runs on (topology-aware answers).

import type { ClusterObject } from '../model.js';
import {
  type Fields,
  internedValue,
  optionalLabelValue,
  optionalRecord,
  record,
  subdomain,
} from '../fields.js';

/** The label a node's zone is read from (https://kubernetes.io/docs/reference/labels-annotations-taints/#topologykubernetesiozone). */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export function convertNode(object: Fields, _namespace: string, name: string): ClusterObject {
  const labels = optionalRecord(record(object.metadata, 'metadata').labels, 'metadata.labels');
  const zone = optionalLabelValue(labels[ZONE_LABEL], `metadata.labels["${ZONE_LABEL}"]`);
  const node: ClusterObject = { kind: 'Node', name: internedValue(subdomain(name, 'metadata.name')) };
  if (zone !== undefined) node.zone = zone;
  return node;
}
