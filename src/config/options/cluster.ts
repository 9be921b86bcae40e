// The cluster zone: the zones served, what their names answer (TTL, pods, namespaces exposed), and
// which names go on down the chain.
import { isDnsLabel } from '../../dns/label-rules.js';
import { DEFAULT_ZONES, parseZone } from '../../dns/zones.js';
import { splitList } from '../values.js';
import type { OptionSpec, Reading } from './reading.js';

/** The multicluster zone served beside the default zones with the bundled zones/ (their clusterset.yaml). */
const EMBEDDED_MULTICLUSTER_ZONE = 'clusterset.local';

export const CLUSTER_OPTIONS = {
  zone: {
    type: 'string',
    defaultValue: DEFAULT_ZONES,
    multiple: true,
    metavar: 'ZONE',
    defaultByZones: true,
    help: `zone to be authoritative for, forward or reverse; repeatable (default ${DEFAULT_ZONES.join(', ')}, and ${EMBEDDED_MULTICLUSTER_ZONE} when serving the bundled zones/)`,
  },
  multicluster: {
    type: 'string',
    multiple: true,
    metavar: 'ZONE',
    defaultByZones: true,
    help: `serve this --zone as a multicluster zone (clusterset.local): ServiceImports and their imported EndpointSlices, as the MCS API DNS specification and CoreDNS multicluster; repeatable; ${EMBEDDED_MULTICLUSTER_ZONE} when serving the bundled zones/ without --zone (docs/multicluster.md)`,
  },
  ttl: {
    defaultValue: '5',
    type: 'string',
    metavar: 'SECONDS',
    help: 'TTL of cluster records, 0-3600 (default 5)',
  },
  namespaces: {
    type: 'string',
    metavar: 'NS,...',
    help: 'expose only these namespaces; --kubernetes lists and watches only these (default all)',
  },
  pods: {
    defaultValue: 'disabled',
    type: 'string',
    metavar: 'MODE',
    help: 'disabled | insecure | verified: how a-b-c-d.<ns>.pod.<zone> is answered (default disabled)',
  },
  'ignore-empty-service': {
    type: 'boolean',
    help: 'NXDOMAIN for a ClusterIP service with no ready endpoint',
  },
  zonal: {
    type: 'boolean',
    defaultByZones: true,
    help: "answer <zone>.pin._zone.<svc>.<ns>.svc... (that topology zone's endpoints) and <zone>.prefer._zone... (those, else all) for headless services, as CoreDNS zonal; on when serving the bundled zones/ (docs/zonal.md)",
  },
  'topology-aware': {
    type: 'boolean',
    defaultByZones: true,
    help: "answer a headless service whose trafficDistribution is PreferSameZone/PreferSameNode with the endpoints in the client pod's zone/on its node, else all; watches Pods and Nodes with --kubernetes; on when serving the bundled zones/ (docs/zonal.md)",
  },
  fallthrough: {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'names of these served zones (. for all) that do not exist go on to --hosts and the upstreams',
  },
} satisfies Record<string, OptionSpec>;

/** How pod names (1-2-3-4.ns.pod.cluster.local) are answered: CoreDNS's `pods` option. */
export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface ClusterConfig {
  zones: string[];
  /** Served zones answered from ServiceImports (KEP-1645), lower-case without the dot; usually empty. */
  multiclusterZones: string[];
  ttl: number;
  /** Exposed namespaces; undefined exposes all. */
  namespaces?: string[];
  pods: PodMode;
  ignoreEmptyService: boolean;
  /** Zone-scoped names of headless services (CoreDNS `zonal`); absent: off. */
  zonal?: true;
  /** Headless services' trafficDistribution picks endpoints close to the client; absent: off. */
  topologyAware?: true;
  /** Served zones ('.' for all) whose NXDOMAIN names go on down the chain (hosts, upstreams). */
  fallthrough?: string[];
}

/**
 * The cluster zone's options. `bundled`: the server serves the bundled zones/ for want of a
 * registry, the demo, where zone-scoped, topology-aware and multicluster names all answer so that
 * docs/zonal.md's and docs/multicluster.md's examples work against `npm start` as written.
 * Elsewhere each is off unless asked for, as in CoreDNS.
 */
export function clusterConfig(
  reading: Reading<keyof typeof CLUSTER_OPTIONS | 'namespace-labels' | 'no-endpoints'>,
  bundled: boolean,
): ClusterConfig {
  const { checked, fail, label, list, text } = reading;
  const clusterset =
    bundled && reading.given('zone') === undefined && reading.given('multicluster') === undefined;
  const zones = clusterset ? [...DEFAULT_ZONES, EMBEDDED_MULTICLUSTER_ZONE] : list('zone')!;
  const served = new Set(zones.map((zone) => checked('zone', parseZone, zone).name));
  const multiclusterZones = multicluster(
    list('multicluster') ?? (clusterset ? [EMBEDDED_MULTICLUSTER_ZONE] : []),
    served,
    reading,
  );
  const namespaces = text('namespaces');
  if (namespaces !== undefined && text('namespace-labels') !== undefined) {
    // CoreDNS refuses `namespaces` with `namespace_labels` too (plugin/kubernetes/setup.go).
    throw fail(
      'namespace-labels',
      `cannot go with ${label('namespaces')}: a namespace label selector needs to list every Namespace of the ` +
        'cluster, while a list of namespaces watches only those (what a namespaced Role allows); use one of them',
    );
  }
  const pods = text('pods')!;
  if (pods !== 'disabled' && pods !== 'insecure' && pods !== 'verified') {
    throw fail('pods', `"${pods}": expected disabled, insecure or verified`);
  }
  const exposed = namespaces === undefined ? undefined : splitList(namespaces).map((ns) => ns.toLowerCase());
  // Each becomes a path of the Kubernetes API (/api/v1/namespaces/NS/services) as well as a label
  // (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names).
  const badNamespace = exposed?.find((ns) => !isDnsLabel(ns));
  if (badNamespace !== undefined) {
    throw fail('namespaces', `"${badNamespace}": expected namespace names (DNS labels), comma-separated`);
  }
  if (exposed?.length === 0) throw fail('namespaces', 'expected one or more namespace names');
  const fallthrough = reading.zoneList('fallthrough');
  const noEndpoints = reading.flag('no-endpoints');
  const zonal = ((reading.given('zonal') as boolean | undefined) ?? (bundled && !noEndpoints)) === true;
  if (zonal && noEndpoints) {
    // CoreDNS refuses `zonal` with `noendpoints` too (plugin/kubernetes/setup.go): zonal names are
    // answered from endpoints, and noendpoints promises NXDOMAIN for every headless name.
    throw fail(
      'zonal',
      `cannot go with ${label('no-endpoints')}: zone-scoped names are answered from EndpointSlices; remove one`,
    );
  }
  const topologyAware = ((reading.given('topology-aware') as boolean | undefined) ?? bundled) === true;
  return {
    zones,
    multiclusterZones,
    ttl: reading.number('ttl', 0, 3600),
    ...(exposed !== undefined ? { namespaces: exposed } : {}),
    pods,
    ignoreEmptyService: reading.flag('ignore-empty-service'),
    ...(zonal ? { zonal: true as const } : {}),
    ...(topologyAware ? { topologyAware: true as const } : {}),
    ...(fallthrough ? { fallthrough } : {}),
  };
}

/**
 * The multicluster zones, each a forward zone that is also served: a multicluster zone's names
 * are the server's own to answer (CoreDNS: "The plugin MUST be authoritative for the zones listed").
 */
function multicluster(
  values: string[],
  served: Set<string>,
  { checked, fail }: Pick<Reading<'multicluster'>, 'checked' | 'fail'>,
): string[] {
  const names: string[] = [];
  for (const value of values) {
    const zone = checked('multicluster', parseZone, value);
    if (zone.kind !== 'forward')
      throw fail('multicluster', `"${value}": a multicluster zone is a forward zone, not a reverse one`);
    if (!served.has(zone.name)) {
      throw fail(
        'multicluster',
        `"${value}" is not a served zone (${[...served].join(', ')}): add --zone ${zone.name} (in a Corefile, list it on the kubernetes line)`,
      );
    }
    if (!names.includes(zone.name)) names.push(zone.name);
  }
  return names;
}
