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
import type { Pod } from '../../table/types.js';

export interface TopologyChoice {
  variant: string;
  endpoints: readonly ReadyEndpoint[];
}

/** A service's choices by node and by zone, and the choice of every endpoint. */
interface Choices {
  byNode: Map<string, TopologyChoice>;
  byZone: Map<string, TopologyChoice>;
  all: TopologyChoice;
}

/**
 * The choices of a service, made on its first topology-aware question, ready to hand out without
 * allocating. An entry never changes (a changed service is a new entry), so they live exactly as
 * long as it does.
 */
const choicesOf = new WeakMap<ServiceEntry, Choices>();

function choices(entry: ServiceEntry): Choices {
  let held = choicesOf.get(entry);
  if (held) return held;
  const byNode = new Map<string, ReadyEndpoint[]>();
  const byZone = new Map<string, ReadyEndpoint[]>();
  for (const endpoint of entry.ready) {
    if (endpoint.nodeName !== undefined) push(byNode, endpoint.nodeName, endpoint);
    if (endpoint.zone !== undefined) push(byZone, endpoint.zone, endpoint);
  }
  const named = (prefix: string, groups: Map<string, ReadyEndpoint[]>) =>
    new Map([...groups].map(([key, endpoints]) => [key, { variant: `${prefix}:${key}`, endpoints }]));
  held = {
    byNode: named('n', byNode),
    byZone: named('z', byZone),
    all: { variant: '', endpoints: entry.ready },
  };
  choicesOf.set(entry, held);
  return held;
}

function push(map: Map<string, ReadyEndpoint[]>, key: string, endpoint: ReadyEndpoint): void {
  const list = map.get(key);
  if (list) list.push(endpoint);
  else map.set(key, [endpoint]);
}

/**
 * Client address → its pod (null: none), per table version: normalizing an address for the pod
 * index costs more than the rest of a compiled reply. Bounded, since any address may ask.
 */
interface ClientPods {
  version: number;
  pods: Map<string, Pod | null>;
}
const clientPodsOf = new WeakMap<ServiceIndex, ClientPods>();
const MAX_CLIENTS = 65_536;

function clientPod(snapshot: ServiceIndex, clientAddress: string): Pod | undefined {
  let cache = clientPodsOf.get(snapshot);
  if (cache === undefined || cache.version !== snapshot.version || cache.pods.size >= MAX_CLIENTS) {
    cache = { version: snapshot.version, pods: new Map() };
    clientPodsOf.set(snapshot, cache);
  }
  let pod = cache.pods.get(clientAddress);
  if (pod === undefined) {
    pod = (clientAddress === '' ? undefined : snapshot.podsWithIp(clientAddress)[0]) ?? null;
    cache.pods.set(clientAddress, pod);
  }
  return pod ?? undefined;
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
  const { byNode, byZone, all } = choices(entry);
  const pod = clientPod(snapshot, clientAddress);
  if (pod === undefined) return all;
  const onNode =
    preference === 'PreferSameNode' && pod.nodeName !== undefined ? byNode.get(pod.nodeName) : undefined;
  return onNode ?? (pod.zone !== undefined ? byZone.get(pod.zone) : undefined) ?? all;
}
