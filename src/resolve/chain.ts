// The resolver chain: each link answers or passes on (CoreDNS's plugin chain, in miniature).
// A question no link takes is REFUSED: the server is no open resolver by accident. QTYPE ANY is
// answered minimally for every link alike (any.ts).
import { RRType, Rcode, type Answer, type Question } from '../dns/types.js';
import { anyAsAddress, minimalAny } from './any.js';
import type { QueryContext, Resolver } from './types.js';

export function refusedAnswer(): Answer {
  return { rcode: Rcode.REFUSED, authoritative: false, answers: [], authority: [], additional: [] };
}

/**
 * What a handler asks: a chain, or a wrapper in front of one (rewrite, dns64), each saying which
 * link took the last question and whether its answer may be compiled (see answers/precompiled.ts).
 */
export interface AnsweringChain {
  resolve(question: Question, context: QueryContext): Answer | Promise<Answer>;
  /** The link that took the last question, -1 for none: the metrics' `plugin` label. */
  readonly answeredBy: number;
  /**
   * Whether the last answer is not the asked question's own (a rewritten name, a dns64 answer
   * that depends on the client): it must not be compiled under that question. Read it right after
   * resolve().
   */
  readonly rewrote: boolean;
}

export class ResolverChain implements Resolver, AnsweringChain {
  /**
   * Index of the link that took the last question (-1: none), for metrics' `plugin` label. Read it
   * right after resolve() returns: set synchronously, it costs a query nothing to keep.
   */
  answeredBy = -1;
  /** A chain answers each question as asked: its answers may always be compiled. */
  readonly rewrote = false;

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
