// CoreDNS's rewrite plugin in front of a chain: the question is rewritten by the rules before any
// link sees it, and the reply's records are mapped back by the rules' response rules (CoreDNS's
// ResponseReverter, plugin/rewrite/reverter.go). The reply's question section is always the
// client's own: the handler writes it from the query, never from what the chain was asked.
// A question no rule matches goes to the chain as it came, at the cost of trying the rules.
import { nameWireLength } from '../../dns/name.js';
import type { Answer, Question, ResourceRecord } from '../../dns/types.js';
import type { AnsweringChain, ResolverChain } from '../chain.js';
import type { QueryContext } from '../types.js';
import type { ResponseRule, RewriteRule, RewriteState } from '../../syntax/rewrite-rules.js';

export class RewritingChain implements AnsweringChain {
  /** Whether a rule matched the last question (AnsweringChain.rewrote). */
  rewrote = false;

  constructor(
    private readonly chain: ResolverChain,
    private readonly rules: readonly RewriteRule[],
  ) {}

  /** The link of the inner chain that took the last question, for the metrics' plugin label. */
  get answeredBy(): number {
    return this.chain.answeredBy;
  }

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> {
    const rewritten = this.rewrite(question);
    this.rewrote = rewritten !== undefined;
    if (!rewritten) return this.chain.resolve(question, context);
    const answer = this.chain.resolve(rewritten.question, context);
    const responses = rewritten.responses;
    if (responses.length === 0) return answer;
    return answer instanceof Promise
      ? answer.then((settled) => mapBack(settled, responses))
      : mapBack(answer, responses);
  }

  /** The question the chain is asked and the response rules, or undefined when no rule matched. */
  private rewrite(question: Question): { question: Question; responses: ResponseRule[] } | undefined {
    const asked = question.name === '' ? '.' : `${question.name}.`;
    const state: RewriteState = {
      name: asked.toLowerCase(),
      spelled: asked,
      type: question.type,
      class: question.class,
    };
    let responses: ResponseRule[] | undefined;
    for (const rule of this.rules) {
      const matched = rule.apply(state);
      if (!matched) continue;
      const name = state.name === '.' ? '' : state.name.replace(/\.$/, '');
      // CoreDNS answers SERVFAIL when a rule makes a name that is not one (rewrite.go ServeDNS).
      try {
        nameWireLength(name);
      } catch (error) {
        throw new Error(`rewrite: invalid name after rewrite: ${state.name} (${(error as Error).message})`, {
          cause: error,
        });
      }
      responses = responses ? [...responses, ...matched] : matched;
      if (rule.mode === 'stop') break;
    }
    if (!responses) return undefined;
    return {
      question: {
        name: state.name === '.' ? '' : state.name.replace(/\.$/, ''),
        type: state.type,
        class: state.class,
      },
      responses,
    };
  }
}

/** Every record of every section through the response rules, last rule first (reverter.go). */
function mapBack(answer: Answer, responses: readonly ResponseRule[]): Answer {
  const map = (records: ResourceRecord[]) =>
    records.map((record) => {
      let mapped = record;
      for (let i = responses.length - 1; i >= 0; i--) mapped = responses[i]!(mapped);
      return mapped;
    });
  return {
    ...answer,
    answers: map(answer.answers),
    authority: map(answer.authority),
    additional: map(answer.additional),
  };
}
