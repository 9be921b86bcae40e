// The resolver chain: each link answers or passes on (CoreDNS's plugin chain, in miniature).
// A question no link takes is REFUSED: the server is no open resolver by accident. QTYPE ANY is
// answered minimally for every link alike (any.ts).
import { RRType, Rcode, type Answer, type Question } from '../dns/types.js';
import { anyAsAddress, minimalAny } from './any.js';
import type { QueryContext, Resolver } from './types.js';

export function refusedAnswer(): Answer {
  return { rcode: Rcode.REFUSED, authoritative: false, answers: [], authority: [], additional: [] };
}

export class ResolverChain implements Resolver {
  /**
   * Index of the link that took the last question (-1: none), for metrics' `plugin` label. Read it
   * right after resolve() returns: set synchronously, it costs a query nothing to keep.
   */
  answeredBy = -1;

  constructor(private readonly links: readonly Resolver[]) {}

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> {
    if (question.type !== RRType.ANY) return this.resolveLinks(question, context);
    const answer = this.resolveLinks(anyAsAddress(question), context);
    return answer instanceof Promise
      ? answer.then((settled) => minimalAny(question, settled))
      : minimalAny(question, answer);
  }

  private resolveLinks(question: Question, context: QueryContext): Answer | Promise<Answer> {
    for (let i = 0; i < this.links.length; i++) {
      const answer = this.links[i]!.resolve(question, context);
      if (answer !== undefined) {
        this.answeredBy = i;
        return answer;
      }
    }
    this.answeredBy = -1;
    return refusedAnswer();
  }
}
