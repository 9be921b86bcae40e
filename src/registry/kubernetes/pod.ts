// v1 Pod → Pod. Pods matter to DNS through their addresses (pod A records, PTRs) and, as clients
// of topology-aware answers, through the node they run on.

import type { Pod } from '../../table/types.js';
import {
  type Fields,
  child,
  internedValue,
  ip,
  list,
  optionalRecord,
  optionalString,
  record,
  subdomain,
} from '../fields.js';

export function convertPod(object: Fields, namespace: string, name: string): Pod {
  const status = optionalRecord(object.status, 'status');
  // podIPs lists every family; podIP is the older single-address field. A pending pod has neither.
  const podIPs = list(status.podIPs, 'status.podIPs');
  const ips =
    podIPs.length > 0
      ? podIPs.map((entry, i) => {
          const path = child('status.podIPs', i);
          return ip(record(entry, path).ip, child(path, 'ip'));
        })
      : status.podIP
        ? [ip(status.podIP, 'status.podIP')]
        : [];
  const pod: Pod = { namespace, name: subdomain(name, 'metadata.name'), ips };
  const nodeName = optionalString(optionalRecord(object.spec, 'spec').nodeName, 'spec.nodeName');
  if (nodeName !== undefined) pod.nodeName = internedValue(nodeName);
  return pod;
}
