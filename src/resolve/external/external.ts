// Services' external addresses under zones of their own, as CoreDNS's k8s_external plugin serves
// them (plugin/k8s_external/external.go, apex.go, msg_to_dns.go; the names are read as
// plugin/kubernetes/external.go reads them): `<svc>.<ns>.<zone>` answers A/AAAA with the service's
// externalIPs and load balancer IPs, `[_port._proto.]<svc>.<ns>.<zone>` SRV, and with `headless` a
// headless service answers its endpoints (`<endpoint>.<svc>.<ns>.<zone>` each). The zone's apex
// answers SOA and NS (`ns1.<apex>.<zone>`); every negative answer carries the zone's SOA
// (RFC 2308 §3). Pure: same table, same question, same answer.
import { lowerLabel, splitName } from '../../dns/labels.js';
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import { ipFamily } from '../../table/ip.js';
import type { ServiceEntry, ServiceIndex } from '../../table/service-index.js';
import type { ServingState } from '../../table/table.js';
import { stripUnderscore } from '../cluster/lookup.js';
import { addressRecord } from '../cluster/records.js';
import {
  ANY_PORT,
  endpointCandidates,
  portMatches,
  srvRecords,
  type Candidate,
  type PortFilter,
} from '../cluster/srv.js';
import type { QueryContext, Resolver } from '../types.js';
import { ZoneSet } from '../../dns/zones.js';

export interface ExternalZoneOptions {
  /** The zones served, lower-case without the trailing dot. */
  zones: readonly string[];
  /** The label the name server's names live under: `ns1.<apex>.<zone>` (CoreDNS default `dns`). */
  apex: string;
  ttl: number;
  /** Answer headless services (without external IPs) with their ready endpoints. */
  headless: boolean;
  /** Exposed namespaces; undefined exposes every namespace in the table. */
  namespaces?: ReadonlySet<string>;
  /** Addresses of this server: the glue of the apex NS and `ns1.<apex>.<zone>`'s A/AAAA. */
  nsAddresses: readonly string[];
}

/** What the question is about, once its zone is known. */
interface Asked {
  snapshot: ServiceIndex;
  qtype: number;
  owner: string;
  /** The zone as it ends the asked name (case kept), the owner of the SOA and NS. */
  zone: string;
  /** Lower-case labels between the name and the zone, leftmost first. */
  relative: string[];
}

/** The services behind a name (CoreDNS's []msg.Service), or the rcode of a name that has none. */
type Found = { candidates: Candidate[] } | { rcode: number };

export class ExternalZoneResolver implements Resolver {
  private readonly zones: ZoneSet;

  constructor(
    private readonly table: {
      readonly current: ServiceIndex;
      readonly servingState?: ServingState;
    },
    private readonly options: ExternalZoneOptions,
  ) {
    this.zones = ZoneSet.parse([...options.zones]);
  }

  resolve(question: Question, _context?: QueryContext): Answer | undefined {
    const labels = splitName(question.name);
    const lower = labels.map(lowerLabel);
    const zone = this.zones.find(lower);
    if (!zone) return undefined;
    if (question.class !== RRClass.IN && question.class !== RRClass.ANY) return refused();
    const count = lower.length - zone.labels.length;
    const asked: Asked = {
      snapshot: this.table.current,
      qtype: question.type,
      owner: question.name,
      zone: labels.slice(count).join('.'),
      relative: lower.slice(0, count),
    };
    if (count === 0) return this.apex(asked);
    if (asked.relative[count - 1] === this.options.apex) return this.nameServer(asked);
    const found = this.services(asked);
    if ('rcode' in found) {
      // Before the first sync a missing name may just not have arrived: SERVFAIL is retried,
      // NXDOMAIN would be cached (as the cluster zone answers).
      const unsynced = found.rcode === Rcode.NXDOMAIN && this.table.servingState === 'unsynced';
      return this.negative(asked, unsynced ? Rcode.SERVFAIL : found.rcode);
    }
    const { answers, additional } = this.records(asked, found.candidates);
    if (answers.length === 0) return this.negative(asked, Rcode.NOERROR);
    return { rcode: Rcode.NOERROR, authoritative: true, answers, authority: [], additional };
  }

  /** The zone's own name: SOA, NS with the server's addresses as glue, NODATA for the rest. */
  private apex(asked: Asked): Answer {
    const { qtype, zone, owner } = asked;
    if (qtype === RRType.SOA) return positive([this.soa(asked)]);
    if (qtype !== RRType.NS) return this.negative(asked, Rcode.NOERROR);
    const { apex, ttl, nsAddresses } = this.options;
    const glue = `ns1.${apex}.${owner}`;
    return positive(
      [{ name: owner, ttl, data: { type: 'NS', target: `ns1.${apex}.${zone}` } }],
      nsAddresses.map((ip) => addressRecord(glue, ip, ttl)),
    );
  }

  /** Names under `<apex>.<zone>`: the empty non-terminal itself, `ns1` with our addresses, nothing else. */
  private nameServer(asked: Asked): Answer {
    const { relative, qtype, owner } = asked;
    if (relative.length === 1) return this.negative(asked, Rcode.NOERROR);
    if (relative.length !== 2 || relative[0] !== 'ns1') return this.negative(asked, Rcode.NXDOMAIN);
    const family = qtype === RRType.A ? 4 : qtype === RRType.AAAA ? 6 : 0;
    const answers = this.options.nsAddresses
      .filter((ip) => ipFamily(ip) === family)
      .map((ip) => addressRecord(owner, ip, this.options.ttl));
    return answers.length ? positive(answers) : this.negative(asked, Rcode.NOERROR);
  }

  /**
   * `<ns>`, `<svc>.<ns>`, `<endpoint>.<svc>.<ns>` or `_<port>._<proto>.<svc>.<ns>`, right to left
   * as CoreDNS's kubernetes External() reads them: a namespace alone exists (NODATA); a service is
   * its external addresses × its ports matching the `_port._proto` filter, or with `headless`, for
   * a headless service without external addresses, its ready endpoints.
   */
  private services(asked: Asked): Found {
    const { relative, snapshot } = asked;
    const n = relative.length;
    const namespace = relative[n - 1]!;
    if (!snapshot.namespaces.has(namespace) || !(this.options.namespaces?.has(namespace) ?? true)) {
      return { rcode: Rcode.NXDOMAIN };
    }
    if (n === 1) return { rcode: Rcode.NOERROR };
    if (n > 4) return { rcode: Rcode.NXDOMAIN };
    const entry = snapshot.service(namespace, relative[n - 2]!);
    if (!entry) return { rcode: Rcode.NXDOMAIN };
    const endpoint = n === 3 ? stripUnderscore(relative[0]!) : undefined;
    const filter: PortFilter =
      n === 4 ? { name: stripUnderscore(relative[0]!), protocol: stripUnderscore(relative[1]!) } : ANY_PORT;
    const serviceName = `${entry.service.name}.${namespace}.${asked.zone}`;
    const external = entry.service.externalIPs ?? [];
    let candidates: Candidate[];
    if (this.options.headless && external.length === 0 && (entry.service.type === 'Headless' || endpoint)) {
      const endpoints = endpoint === undefined ? entry.ready : entry.named(endpoint);
      candidates = endpointCandidates(endpoints, filter, serviceName);
    } else if (endpoint !== undefined) {
      // CoreDNS ignores the endpoint label here and answers the service's addresses for any
      // `<anything>.<svc>.<ns>.<zone>`; a name no endpoint holds does not exist.
      return { rcode: Rcode.NXDOMAIN };
    } else {
      candidates = externalCandidates(entry, external, filter, serviceName);
    }
    return candidates.length ? { candidates } : { rcode: Rcode.NXDOMAIN };
  }

  /** A/AAAA of the family asked (each address once), SRV with glue, nothing for other types. */
  private records(
    asked: Asked,
    candidates: Candidate[],
  ): { answers: ResourceRecord[]; additional: ResourceRecord[] } {
    const { qtype, owner } = asked;
    const { ttl } = this.options;
    if (qtype === RRType.SRV) return srvRecords(owner, candidates, ttl);
    const family = qtype === RRType.A ? 4 : qtype === RRType.AAAA ? 6 : 0;
    const seen = new Set<string>();
    const answers: ResourceRecord[] = [];
    for (const { ip } of candidates) {
      if (ipFamily(ip) !== family || seen.has(ip)) continue;
      seen.add(ip);
      answers.push(addressRecord(owner, ip, ttl));
    }
    return { answers, additional: [] };
  }

  private negative(asked: Asked, rcode: number): Answer {
    return { rcode, authoritative: true, answers: [], authority: [this.soa(asked)], additional: [] };
  }

  /** CoreDNS's k8s_external SOA: `ns1.<apex>.<zone>`, `hostmaster.<apex>.<zone>`, minimum = TTL. */
  private soa(asked: Asked): ResourceRecord {
    const { apex, ttl } = this.options;
    const { zone } = asked;
    return {
      name: zone,
      ttl,
      data: {
        type: 'SOA',
        mname: `ns1.${apex}.${zone}`,
        rname: `hostmaster.${apex}.${zone}`,
        serial: asked.snapshot.version,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: ttl,
      },
    };
  }
}

/**
 * Each external address × each port the filter matches, all at the service's name. A service
 * without ports still has its addresses: CoreDNS keeps a port-less sentinel that only a bare name
 * matches and that yields no SRV record.
 */
function externalCandidates(
  entry: ServiceEntry,
  external: readonly string[],
  filter: PortFilter,
  target: string,
): Candidate[] {
  const candidates: Candidate[] = [];
  const { ports } = entry.service;
  for (const ip of external) {
    if (ports.length === 0) {
      if (filter.name === '' && filter.protocol === '') candidates.push({ target, ip });
      continue;
    }
    for (const port of ports) if (portMatches(port, filter)) candidates.push({ target, ip, port: port.port });
  }
  return candidates;
}

function positive(answers: ResourceRecord[], additional: ResourceRecord[] = []): Answer {
  return { rcode: Rcode.NOERROR, authoritative: true, answers, authority: [], additional };
}

function refused(): Answer {
  return { rcode: Rcode.REFUSED, authoritative: false, answers: [], authority: [], additional: [] };
}
