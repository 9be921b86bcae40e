// Server-side search paths. A pod's resolver walks `<ns>.svc.<zone>`, `svc.<zone>`, `<zone>` and
// the host's domains before the name itself (ndots:5), one round trip per step and per address
// family. Knowing the client's namespace, the server can take that walk for it:
//
// - short names (`web`, `web.other`, `web.other.svc`) outside the served zones that name a service
//   are answered `web CNAME web.<ns>.svc.<zone>` plus that name's records, so a sidecar's app
//   without a search list still reaches same-namespace services;
// - with --autopath, a name in the client's first search domain that does not exist there is tried
//   at the next search domains and finally as written, and the first answer that is not NXDOMAIN
//   comes back under a CNAME from the asked name, so glibc takes it on the first try.
//
// A client whose namespace is unknown gets exactly the plain answers.
import { lowerLabel, splitName } from '../../dns/labels.js';
import { RRClass, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import type { ServiceIndex } from '../../table/service-index.js';
import type { QueryContext, Resolver } from '../types.js';
import type { Zone, ZoneSet } from '../../dns/zones.js';

export interface SearchPathOptions {
  zones: ZoneSet;
  /** Every client's namespace (the sidecar case: --namespace or POD_NAMESPACE). */
  namespace?: string;
  /** Else: the namespace of the pod whose IP the client has (needs pods in the table). */
  namespaceFromPods: boolean;
  autopath: boolean;
  /** The host's search domains outside the served zones, tried after the cluster ones. */
  hostSearch: readonly string[];
  ttl: number;
  /** Answers names of the served zones. */
  cluster: Resolver;
  /** Answers everything else (the recursion policy and the forwarder). */
  outside: Resolver;
}

export interface SearchPathStats {
  shortNames: number;
  autopathSuccess: number;
}

type MaybeAsync<T> = T | Promise<T>;

function then<T, U>(value: MaybeAsync<T>, next: (value: T) => MaybeAsync<U>): MaybeAsync<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export class SearchPathResolver implements Resolver {
  readonly stats: SearchPathStats = { shortNames: 0, autopathSuccess: 0 };
  private readonly primary: Zone | undefined;

  constructor(
    private readonly table: { readonly current: ServiceIndex },
    private readonly options: SearchPathOptions,
  ) {
    this.primary = options.zones.zones.find(
      (zone) => zone.name === options.zones.primary && zone.kind === 'forward',
    );
  }

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    if (question.class !== RRClass.IN) return undefined;
    const namespace = this.namespaceOf(context.clientAddress);
    if (!namespace) return undefined;
    const labels = splitName(question.name);
    if (labels.length === 0) return undefined;
    const lower = labels.map(lowerLabel);
    const zone = this.options.zones.find(lower);
    if (!zone) return this.shortName(question, context, labels, namespace);
    if (!this.options.autopath || zone.kind !== 'forward') return undefined;
    // In the client's first search domain, `<base>.<ns>.svc.<zone>`?
    const searchDomainLength = zone.labels.length + 2;
    const base = labels.length - searchDomainLength;
    if (base < 1 || lower[base] !== namespace || lower[base + 1] !== 'svc') return undefined;
    return this.autopath(question, context, labels.slice(0, base), labels.slice(base + 2).join('.'));
  }

  private namespaceOf(clientAddress: string): string | undefined {
    if (this.options.namespace) return this.options.namespace;
    if (!this.options.namespaceFromPods) return undefined;
    const namespaces = new Set(this.table.current.podsWithIp(clientAddress).map((pod) => pod.namespace));
    // An address shared across namespaces (a reused IP the watch has not caught up with) is ambiguous.
    return namespaces.size === 1 ? [...namespaces][0] : undefined;
  }

  /** `web`, `web.other`, `web.other.svc`: the first search-list candidate naming a service. */
  private shortName(
    question: Question,
    context: QueryContext,
    labels: string[],
    namespace: string,
  ): Answer | Promise<Answer> | undefined {
    if (!this.primary) return undefined;
    const base = labels.join('.');
    const zone = this.primary.name;
    for (const candidate of [`${base}.${namespace}.svc.${zone}`, `${base}.svc.${zone}`, `${base}.${zone}`]) {
      // Only names at or below a service: `shop` must not become the namespace `shop.svc.<zone>`.
      const relative = splitName(candidate).length - this.primary.labels.length;
      const lastLabel = lowerLabel(splitName(candidate)[relative - 1] ?? '');
      if (relative < 3 || lastLabel !== 'svc') continue;
      const answer = this.options.cluster.resolve({ ...question, name: candidate }, context);
      if (answer === undefined) continue;
      if (answer instanceof Promise) {
        this.stats.shortNames++;
        return answer.then((resolved) => this.underCname(question.name, candidate, resolved, false));
      }
      if (answer.rcode === Rcode.NXDOMAIN) continue;
      this.stats.shortNames++;
      // Not authoritative: the asked name is outside every zone served here.
      return this.underCname(question.name, candidate, answer, false);
    }
    return undefined;
  }

  private autopath(
    question: Question,
    context: QueryContext,
    base: string[],
    zoneAsAsked: string,
  ): MaybeAsync<Answer> {
    const name = base.join('.');
    const candidates = [
      `${name}.svc.${zoneAsAsked}`,
      `${name}.${zoneAsAsked}`,
      ...this.options.hostSearch.map((domain) => `${name}.${domain}`),
      name,
    ];
    return then(this.options.cluster.resolve(question, context)!, (first) => {
      if (first.rcode !== Rcode.NXDOMAIN) return first;
      const step = (index: number): MaybeAsync<Answer> => {
        const candidate = candidates[index];
        if (candidate === undefined) return first;
        const asked = { ...question, name: candidate };
        const answer =
          this.options.cluster.resolve(asked, context) ?? this.options.outside.resolve(asked, context);
        return then(answer ?? first, (resolved) => {
          if (resolved.rcode !== Rcode.NOERROR) return step(index + 1);
          this.stats.autopathSuccess++;
          return this.underCname(question.name, candidate, resolved, resolved.authoritative);
        });
      };
      return step(0);
    });
  }

  /** `asked CNAME target` in front of the target's answer (RFC 1034 §4.3.2 step 3a). */
  private underCname(asked: string, target: string, answer: Answer, authoritative: boolean): Answer {
    const cname: ResourceRecord = { name: asked, ttl: this.options.ttl, data: { type: 'CNAME', target } };
    return { ...answer, authoritative, answers: [cname, ...answer.answers] };
  }
}
