// Answers that honour a headless service's `spec.trafficDistribution` (KEP-4444, KEP-3015).
// kube-proxy applies PreferSameZone / PreferSameNode to a ClusterIP; a headless service has none,
// so without this every client gets every address. With --topology-aware the client is found in
// the pod table by its source address, and its node and that node's zone pick the endpoints:
//
//   PreferSameNode  the ready endpoints on the client's node; else those in its zone; else all
//   PreferSameZone  the ready endpoints in the client's zone; else all
//
// ("a local endpoint when possible, and a remote endpoint if not": KEP-3015; the zone step for
// PreferSameNode is the closeness kube-proxy falls back to through the zone hints the EndpointSlice
// controller also sets.) A client not in the pod table, or one on a node without a zone, gets every
// ready endpoint, exactly as without the option.
//
// The choice is named by a variant ("n:<node>", "z:<zone>", or "" for all), which the precompiled
// answers key on: one compiled answer per variant a client has asked, never per client.
import type { ReadyEndpoint, ServiceEntry, ServiceIndex } from '../../table/service-index.js';

interface Groups {
  byNode: Map<string, ReadyEndpoint[]>;
  byZone: Map<string, ReadyEndpoint[]>;
}

/**
 * The ready endpoints of a service grouped by node and by zone, made on first use. An entry never
 * changes (a changed service is a new entry), so the grouping lives exactly as long as it does.
 */
const groupsOf = new WeakMap<ServiceEntry, Groups>();

function groups(entry: ServiceEntry): Groups {
  let held = groupsOf.get(entry);
  if (held) return held;
  held = { byNode: new Map(), byZone: new Map() };
  for (const endpoint of entry.ready) {
    if (endpoint.nodeName !== undefined) push(held.byNode, endpoint.nodeName, endpoint);
    if (endpoint.zone !== undefined) push(held.byZone, endpoint.zone, endpoint);
  }
  groupsOf.set(entry, held);
  return held;
}

function push(map: Map<string, ReadyEndpoint[]>, key: string, endpoint: ReadyEndpoint): void {
  const list = map.get(key);
  if (list) list.push(endpoint);
  else map.set(key, [endpoint]);
}

export interface TopologyChoice {
  variant: string;
  endpoints: readonly ReadyEndpoint[];
}

/**
 * What a client at `clientAddress` is answered for `entry`; undefined when the service's answers
 * are the same for every client (not headless, or no closeness preferred).
 */
export function topologyChoice(
  snapshot: ServiceIndex,
  entry: ServiceEntry,
  clientAddress: string,
): TopologyChoice | undefined {
  const preference = entry.service.trafficDistribution;
  if (preference === undefined || entry.service.type !== 'Headless') return undefined;
  const pod = clientAddress === '' ? undefined : snapshot.podsWithIp(clientAddress)[0];
  if (pod !== undefined) {
    const { byNode, byZone } = groups(entry);
    const onNode = preference === 'PreferSameNode' && pod.nodeName !== undefined && byNode.get(pod.nodeName);
    if (onNode) return { variant: `n:${pod.nodeName}`, endpoints: onNode };
    const inZone = pod.zone !== undefined && byZone.get(pod.zone);
    if (inZone) return { variant: `z:${pod.zone}`, endpoints: inZone };
  }
  return { variant: '', endpoints: entry.ready };
}
