// Corefile syntax tree: server blocks (keys such as `.:53` or `cluster.local:53`, then { ... }),
// each a list of directives; a directive is its name and the words on its line, and may open a
// block of sub-directives. Imports and snippets are expanded first (import.ts), so a directive
// may come from another file: each node keeps where it was read, for messages.
import { ConfigError } from '../values.js';
import { expandImports } from './import.js';
import { sameLine, tokenize, where, type Token } from './tokenize.js';

export interface Directive {
  name: string;
  args: string[];
  line: number;
  /** `FILE:LINE`, with the imports that brought it in: what a message names. */
  where: string;
  block: Directive[];
}

export interface ServerBlock {
  keys: string[];
  line: number;
  where: string;
  directives: Directive[];
}

/**
 * The Corefile `text`, read from `file`: imports are found relative to the file's directory,
 * as CoreDNS does.
 */
export function parseCorefile(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  watched?: Set<string>,
): ServerBlock[] {
  return new Parser(expandImports(tokenize(text, file, env), env, watched), file).serverBlocks();
}

const isOpen = (token: Token | undefined) => token !== undefined && !token.quoted && token.text === '{';
const isClose = (token: Token | undefined) => token !== undefined && !token.quoted && token.text === '}';

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  serverBlocks(): ServerBlock[] {
    const blocks: ServerBlock[] = [];
    while (this.at < this.tokens.length) {
      const first = this.tokens[this.at]!;
      const keys: string[] = [];
      while (this.at < this.tokens.length && !isOpen(this.tokens[this.at])) {
        const token = this.tokens[this.at++]!;
        if (isClose(token)) this.fail(token, 'unexpected }');
        if (/^\(.*\)$/.test(token.text)) {
          this.fail(token, `snippet ${token.text} must be the only key of its block: ${token.text} { ... }`);
        }
        keys.push(...token.text.split(',').filter((key) => key !== ''));
      }
      if (this.at >= this.tokens.length) {
        this.fail(first, `server block "${keys.join(' ')}" must be followed by { ... }`);
      }
      this.at++;
      blocks.push({ keys, line: first.line, where: where(first), directives: this.block(first) });
    }
    if (blocks.length === 0) throw new ConfigError(`${this.file}: no server block`);
    return blocks;
  }

  /** Directives up to the matching }, which it consumes. */
  private block(opened: Token): Directive[] {
    const directives: Directive[] = [];
    for (;;) {
      const token = this.tokens[this.at];
      if (!token) this.fail(opened, 'the { opened here is never closed');
      if (isClose(token)) {
        this.at++;
        return directives;
      }
      if (isOpen(token)) this.fail(token, 'unexpected {');
      this.at++;
      const directive: Directive = {
        name: token.text,
        args: [],
        line: token.line,
        where: where(token),
        block: [],
      };
      while (this.at < this.tokens.length) {
        const next = this.tokens[this.at]!;
        if (!sameLine(next, token) || isClose(next)) break;
        this.at++;
        if (isOpen(next)) {
          directive.block = this.block(next);
          break;
        }
        directive.args.push(next.text);
      }
      directives.push(directive);
    }
  }

  private fail(token: Token, message: string): never {
    throw new ConfigError(`${where(token)}: ${message}`);
  }
}
