// Zone-scoped names of headless services, as CoreDNS's kubernetes plugin answers them with its
// `zonal` option (https://github.com/coredns/coredns/blob/master/plugin/kubernetes/README.md#zonal-names):
//
//   <topology-zone>.pin._zone.<svc>.<ns>.svc.<zone>     the ready endpoints in that topology zone
//   <topology-zone>.prefer._zone.<svc>.<ns>.svc.<zone>  those, or every ready endpoint when none is
//
// The topology zone is every label left of the directive, joined, since zone label values may hold
// dots. Matched against each endpoint's EndpointSlice `zone`; an endpoint without one is matched by
// no zone. A headless service's zonal name always exists: an empty selection is NODATA, never
// NXDOMAIN, so that a drained zone and a mistyped one get the same determinate answer on every
// replica (and a resolver does not negative-cache the whole name).
import type { ReadyEndpoint, ServiceEntry } from '../../table/service-index.js';

/** The label that anchors the shape, three labels left of the service. */
const ZONE_ANCHOR = '_zone';

export interface ZonalName {
  /** The topology zone asked for, lower-case. */
  zone: string;
  /** `prefer`: fall back to every ready endpoint when the zone holds none; `pin`: do not. */
  prefer: boolean;
}

/**
 * Reads `parts` (the lower-case labels left of `svc.<zone>`, leftmost first, ending with the
 * service and the namespace) as a zonal name; undefined when they are not one (an unknown
 * directive keeps the too-long NXDOMAIN, as in CoreDNS).
 */
export function zonalName(parts: readonly string[]): ZonalName | undefined {
  const n = parts.length;
  if (n < 5 || parts[n - 3] !== ZONE_ANCHOR) return undefined;
  const directive = parts[n - 4];
  if (directive !== 'pin' && directive !== 'prefer') return undefined;
  return { zone: parts.slice(0, n - 4).join('.'), prefer: directive === 'prefer' };
}

/** The ready endpoints a zonal name answers with (possibly none). */
export function zonalEndpoints(entry: ServiceEntry, name: ZonalName): readonly ReadyEndpoint[] {
  const inZone = entry.ready.filter((endpoint) => endpoint.zone === name.zone);
  return inZone.length === 0 && name.prefer ? entry.ready : inZone;
}
