// Round-robin order of address records (CoreDNS's loadbalance): each answer rotates its A and
// AAAA records by one more step than the last, so clients that take the first address spread
// over all of them. CNAMEs stay in front, where glibc expects them. A chain of its own, so the
// link that answered is still known (for the metrics' plugin label).
import { RRType, type Answer, type Question, type ResourceRecord } from '../dns/types.js';
import { ResolverChain } from './chain.js';
import type { QueryContext } from './types.js';

export class LoadBalancedChain extends ResolverChain {
  private turn = 0;

  override resolve(question: Question, context: QueryContext): Answer | Promise<Answer> {
    const answer = super.resolve(question, context);
    if (question.type !== RRType.A && question.type !== RRType.AAAA) return answer;
    if (answer instanceof Promise) return answer.then((settled) => this.rotate(settled));
    return this.rotate(answer);
  }

  private rotate(answer: Answer): Answer {
    const addresses: ResourceRecord[] = [];
    const others: ResourceRecord[] = [];
    for (const record of answer.answers) {
      (record.data.type === 'A' || record.data.type === 'AAAA' ? addresses : others).push(record);
    }
    if (addresses.length < 2) return answer;
    const step = this.turn++ % addresses.length;
    this.turn %= 1 << 30;
    return { ...answer, answers: [...others, ...addresses.slice(step), ...addresses.slice(0, step)] };
  }
}
