// The cluster-zone resolver: authoritative answers for the served zones from the current snapshot.
// Pure but for one case: an ExternalName target outside every served zone, which is asked of the
// upstream (when one is configured) and so returns a promise.
import { lowerLabel, splitName } from '../../dns/labels.js';
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import type { ServiceEntry, ServiceIndex } from '../../table/service-index.js';
import type { ServingState } from '../../table/table.js';
import type { QueryContext, Resolver, UpstreamLookup } from '../types.js';
import type { Zone, ZoneSet } from '../../dns/zones.js';
import { lookupCommon, lookupForward, type ClusterZoneOptions, type LookupResult } from './lookup.js';
import { soaRecord } from './records.js';
import { lookupMulticluster } from './multicluster.js';
import { lookupReverse } from './reverse.js';

/** CNAME chains longer than this are cut (CoreDNS stops at 10 too). */
const MAX_CNAME_CHAIN = 10;

export interface ClusterZoneResolverOptions extends ClusterZoneOptions {
  zones: ZoneSet;
  upstream?: UpstreamLookup;
}

interface Resolved {
  zone: Zone;
  zoneAsAsked: string;
  /** Lower-case labels between the name and the zone, leftmost first. */
  relative: string[];
  result: LookupResult;
}

export class ClusterZoneResolver implements Resolver {
  constructor(
    private readonly table: {
      readonly current: ServiceIndex;
      readonly servingState?: ServingState;
      isStale?(backend: string): boolean;
    },
    private readonly options: ClusterZoneResolverOptions,
  ) {
    this.multicluster = new Set(options.multiclusterZones);
  }

  /** The zones answered from ServiceImports (lookupMulticluster) rather than Services. */
  private readonly multicluster: ReadonlySet<string>;

  resolve(question: Question, context?: QueryContext): Answer | Promise<Answer> | undefined {
    const snapshot = this.table.current;
    const clientAddress = context?.clientAddress ?? '';
    const first = this.lookup(snapshot, question.name, question.type, clientAddress);
    if (!first) return undefined;
    if (question.class !== RRClass.IN && question.class !== RRClass.ANY) return refused();
    if (question.type === RRType.AXFR || question.type === RRType.IXFR) return refused();
    const state = this.table.servingState ?? 'ready';
    // Before the first sync a missing name may just not have arrived; past --max-stale a registry's
    // names cannot be vouched for, nor can a missing name (it may be one of them). SERVFAIL (with the
    // SOA) tells resolvers to retry, NXDOMAIN would be cached. A service of a registry that is still
    // current answers as usual.
    if (
      state !== 'ready' &&
      (!first.result.exists || (state === 'stale' && this.fromStale(snapshot, first)))
    ) {
      return negative(Rcode.SERVFAIL, first, snapshot, this.options.ttl);
    }
    if (!first.result.exists) return negative(Rcode.NXDOMAIN, first, snapshot, this.options.ttl);
    if (!first.result.chase) return positive(first, snapshot, this.options.ttl);
    return this.chase(snapshot, question.type, first, clientAddress);
  }

  /**
   * What the answers to `name` depend on in `snapshot`, and the zone holding it, for a store that
   * keeps them until the table changes: a name at or below `<svc>.<ns>.svc.<zone>` depends on that
   * one service (its index entry; while it is missing, on the set of services); any other name (the
   * apex, `<ns>.svc`, reverse names, pods) on the whole table.
   */
  dependsOn(
    name: string,
    snapshot: ServiceIndex,
  ): { on: ServiceEntry | 'membership' | 'table'; zone: string | undefined } {
    const labels = splitName(name).map(lowerLabel);
    const zone = this.options.zones.find(labels);
    if (!zone) return { on: 'table', zone: undefined };
    const entry = this.serviceOf(snapshot, zone, labels, labels.length - zone.labels.length);
    return { on: entry === undefined ? 'table' : (entry ?? 'membership'), zone: zone.name };
  }

  /**
   * For a name at or below `<svc>.<ns>.svc` in a forward zone (its first `n` lower-case `labels`
   * before the zone), the entry of that service (a ServiceImport in a multicluster zone), or null
   * when there is none; undefined for any other name.
   */
  private serviceOf(
    snapshot: ServiceIndex,
    zone: Zone,
    labels: readonly string[],
    n: number,
  ): ServiceEntry | null | undefined {
    if (zone.kind !== 'forward' || n < 3 || labels[n - 1] !== 'svc') return undefined;
    const namespace = labels[n - 2]!;
    const name = labels[n - 3]!;
    const entry = this.multicluster.has(zone.name)
      ? snapshot.imported(namespace, name)
      : snapshot.service(namespace, name);
    return entry ?? null;
  }

  /**
   * Whether the answer comes from a stale registry: a name below `<svc>.<ns>.svc` whose service a
   * stale backend defines. Other names (reverse, pods) cannot be traced to one registry cheaply and
   * count as stale while any registry is.
   */
  private fromStale(snapshot: ServiceIndex, resolved: Resolved): boolean {
    const { relative } = resolved;
    const n = relative.length;
    if (n === 0 || (n === 1 && relative[0] === 'dns-version')) return false; // the apex is ours
    const entry = this.serviceOf(snapshot, resolved.zone, relative, n);
    return !entry || (this.table.isStale?.(entry.backend) ?? true);
  }

  private lookup(
    snapshot: ServiceIndex,
    name: string,
    qtype: number,
    clientAddress: string,
  ): Resolved | undefined {
    const labels = splitName(name);
    const lower = labels.map(lowerLabel);
    const zone = this.options.zones.find(lower);
    if (!zone) return undefined;
    const relativeCount = lower.length - zone.labels.length;
    const query = {
      snapshot,
      qtype,
      owner: name,
      zoneAsAsked: labels.slice(relativeCount).join('.'),
      relative: lower.slice(0, relativeCount),
      clientAddress,
    };
    const result =
      lookupCommon(query, this.options) ??
      (zone.kind === 'forward'
        ? this.multicluster.has(zone.name)
          ? lookupMulticluster(query, this.options)
          : lookupForward(query, this.options)
        : lookupReverse(
            query,
            zone.kind === 'reverse4' ? 4 : 6,
            zone.labels,
            this.options.zones.primary,
            this.options,
          ));
    return { zone, zoneAsAsked: query.zoneAsAsked, relative: query.relative, result };
  }

  /**
   * Follow an ExternalName CNAME: a target in a served zone is answered here (its records after the
   * CNAME, its NXDOMAIN as the final rcode, RFC 6604); a target elsewhere is asked upstream, its
   * answer appended and its TC bit passed on; without an upstream the CNAME stands alone.
   */
  private chase(
    snapshot: ServiceIndex,
    qtype: number,
    first: Resolved,
    clientAddress: string,
  ): Answer | Promise<Answer> {
    const answers: ResourceRecord[] = [];
    const additional: ResourceRecord[] = [];
    const seen = new Set<string>();
    let current = first;
    for (let hop = 0; ; hop++) {
      if (!current.result.exists)
        return { ...negative(Rcode.NXDOMAIN, current, snapshot, this.options.ttl), answers };
      answers.push(...current.result.answers);
      additional.push(...current.result.additional);
      const target = current.result.chase;
      if (!target || hop >= MAX_CNAME_CHAIN || seen.has(target)) break;
      seen.add(target);
      const next = this.lookup(snapshot, target, qtype, clientAddress);
      if (!next) return this.askUpstream(target, qtype, answers, additional);
      current = next;
    }
    // A chased target with no records of the type: NODATA after the CNAME, with the SOA.
    const authority =
      current !== first && current.result.exists && current.result.answers.length === 0
        ? [soaRecord(current.zoneAsAsked, snapshot.version, this.options.ttl)]
        : [];
    return { rcode: Rcode.NOERROR, authoritative: true, answers, authority, additional };
  }

  private async askUpstream(
    target: string,
    qtype: number,
    answers: ResourceRecord[],
    additional: ResourceRecord[],
  ): Promise<Answer> {
    const reply = this.options.upstream ? await this.options.upstream.lookup(target, qtype) : undefined;
    return {
      rcode: Rcode.NOERROR,
      authoritative: true,
      truncated: reply?.truncated ?? false,
      answers: reply ? [...answers, ...reply.answers] : answers,
      authority: [],
      additional,
    };
  }
}

function positive(resolved: Resolved, snapshot: ServiceIndex, ttl: number): Answer {
  const result = resolved.result as Extract<LookupResult, { exists: true }>;
  if (result.answers.length === 0) return negative(Rcode.NOERROR, resolved, snapshot, ttl);
  return {
    rcode: Rcode.NOERROR,
    authoritative: true,
    answers: result.answers,
    authority: [],
    additional: result.additional,
  };
}

/** NXDOMAIN, NODATA or SERVFAIL: no answer, the zone's SOA in the authority section (RFC 2308 §3). */
function negative(rcode: number, resolved: Resolved, snapshot: ServiceIndex, ttl: number): Answer {
  return {
    rcode,
    authoritative: true,
    answers: [],
    authority: [soaRecord(resolved.zoneAsAsked, snapshot.version, ttl)],
    additional: [],
  };
}

function refused(): Answer {
  return { rcode: Rcode.REFUSED, authoritative: false, answers: [], authority: [], additional: [] };
}
