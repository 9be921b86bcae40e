// `--template` values: the words a Corefile writes after `template`, block and all, read by the
// Corefile's own tokenizer and parser, so a template reads the same in a flag, a config file and a
// Corefile. A Corefile's template directives become such values (templateText), after they are
// checked where they were written.
import { parseCorefile } from './corefile/parse.js';
import { ConfigError } from './values.js';
import { templateSpec, type TemplateNode, type TemplateSpec } from '../syntax/template-spec.js';

const SHAPE = 'CLASS TYPE [ZONE...] [{ ... }]';

/** One `--template` value as a template; throws an Error saying what is wrong (and on which line). */
export function templateOption(value: string): TemplateSpec {
  let blocks;
  try {
    // The value is its own: no {$VAR} is read from the environment a second time.
    blocks = parseCorefile(`. {\ntemplate ${value}\n}\n`, '--template', {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new Error(
      error.message.replace(/^--template:(\d+): /, (_, line: string) =>
        // Line 1 is the wrapper's own; the value starts on line 2.
        Number(line) > 1 ? `line ${Number(line) - 1}: ` : '',
      ),
      { cause: error },
    );
  }
  const directives = blocks.length === 1 ? blocks[0]!.directives : [];
  if (directives.length !== 1 || directives[0]!.name !== 'template') throw new Error(`expected ${SHAPE}`);
  return templateSpec(directives[0]!, ['.'], (node, message) => {
    throw new Error(node === directives[0] ? message : `${message} (at "${node.name}")`);
  });
}

/** The `--template` value that says what `directive` says, with its zones written out. */
export function templateText(directive: TemplateNode, zones: readonly string[]): string {
  const [qclass, qtype] = directive.args;
  const head = [qclass!, qtype!, ...zones].map(quote).join(' ');
  if (directive.block.length === 0) return head;
  const lines = directive.block.map((sub) => [sub.name, ...sub.args.map(quote)].join(' '));
  return `${head} {\n${lines.map((line) => `  ${line}\n`).join('')}}`;
}

/** A quoted Corefile word: the tokenizer reads `\"` and `\\` back as `"` and `\`. */
function quote(word: string): string {
  return `"${word.replace(/[\\"]/g, '\\$&')}"`;
}
