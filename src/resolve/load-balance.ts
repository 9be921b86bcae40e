// Round-robin order of address records (CoreDNS's loadbalance): each answer rotates its A and
// AAAA records by one more step than the last, so clients that take the first address spread
// over all of them. CNAMEs stay in front, where glibc expects them.
import { RRType, type Answer, type Question, type ResourceRecord } from '../dns/types.js';
import type { QueryContext, Resolver } from './types.js';

export class LoadBalanceResolver implements Resolver {
  private turn = 0;

  constructor(private readonly inner: Resolver) {}

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    if (question.type !== RRType.A && question.type !== RRType.AAAA)
      return this.inner.resolve(question, context);
    const answer = this.inner.resolve(question, context);
    if (answer === undefined) return undefined;
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
