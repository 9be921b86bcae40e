// Fallthrough (CoreDNS kubernetes `fallthrough [ZONES]`): a name of a served zone that does not
// exist there goes on to the next links (hosts, upstreams) instead of answering NXDOMAIN. The
// usual use is `fallthrough in-addr.arpa ip6.arpa`, so reverse names outside the cluster's ranges
// are answered by the upstream resolver. If nothing further answers, the NXDOMAIN stands.
import { Rcode, type Answer, type Question } from '../dns/types.js';
import type { QueryContext, Resolver } from './types.js';
import { ZoneList } from '../dns/zones.js';

export class FallthroughResolver implements Resolver {
  private readonly zones: ZoneList;

  constructor(
    private readonly inner: Resolver,
    private readonly next: Resolver,
    /** Zone names; '.' for every name. */
    zones: readonly string[],
  ) {
    this.zones = new ZoneList(zones);
  }

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    const answer = this.inner.resolve(question, context);
    if (answer === undefined) return undefined;
    if (answer instanceof Promise) return answer.then((settled) => this.after(settled, question, context));
    return this.after(answer, question, context);
  }

  private after(answer: Answer, question: Question, context: QueryContext): Answer | Promise<Answer> {
    if (answer.rcode !== Rcode.NXDOMAIN || !this.zones.holds(question.name)) return answer;
    return this.next.resolve(question, context) ?? answer;
  }
}
