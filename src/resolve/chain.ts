// The resolver chain: each link answers or passes on (CoreDNS's plugin chain, in miniature).
// A question no link takes is REFUSED: the server is no open resolver by accident.
import { Rcode, type Answer, type Question } from '../dns/types.js';
import type { QueryContext, Resolver } from './types.js';

export function refusedAnswer(): Answer {
  return { rcode: Rcode.REFUSED, authoritative: false, answers: [], authority: [], additional: [] };
}

export class ResolverChain implements Resolver {
  constructor(private readonly links: readonly Resolver[]) {}

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> {
    for (const link of this.links) {
      const answer = link.resolve(question, context);
      if (answer !== undefined) return answer;
    }
    return refusedAnswer();
  }
}
