// The directives written in a language of their own: rewrite rules and templates, checked where they
// are written and carried as --rewrite and --template values.
import { parseRewriteRule } from '../../../syntax/rewrite-rules.js';
import { templateSpec } from '../../../syntax/template-spec.js';
import { templateText } from '../../template.js';
import type { Directive } from '../parse.js';
import { blockWords, fail, noBlock, type Handler } from './handler.js';

export const RULE_DIRECTIVES: Record<string, Handler> = {
  // https://coredns.io/plugins/rewrite/: every rewrite line of a block is one rule of its list, in
  // order; a line with fewer than two words takes its rule from its block's words, all lines of it.
  rewrite(directive, { options }) {
    const words = [...directive.args];
    if (words.length < 2) words.push(...directive.block.flatMap((sub) => blockWords(sub, directive)));
    else noBlock(directive);
    const spaced = words.find((word) => /\s/.test(word));
    if (spaced !== undefined) fail(directive, `rewrite: "${spaced}": a rule's words hold no spaces`);
    try {
      parseRewriteRule(words);
    } catch (error) {
      fail(
        directive,
        `rewrite ${words.join(' ')}: ${(error as Error).message}; write rewrite [continue|stop] name|type|class|ttl ... (see https://coredns.io/plugins/rewrite/)`,
      );
    }
    const previous = (options.values.rewrite as string[] | undefined) ?? [];
    options.set('rewrite', [...previous, words.join(' ')], directive);
  },
  // https://coredns.io/plugins/template/: checked here, where a message can name the line, then
  // carried as --template values in the order written (the first template that matches answers).
  template(directive, { options, zones }) {
    const spec = templateSpec(directive, zones, (node, message) => fail(node as Directive, message));
    const values = (options.values.template as string[] | undefined) ?? [];
    options.set('template', [...values, templateText(directive, spec.zones)], directive);
  },
};
