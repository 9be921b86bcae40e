// Corefile syntax tree: server blocks (keys such as `.:53` or `cluster.local:53`, then { ... }),
// each a list of directives; a directive is its name and the words on its line, and may open a
// block of sub-directives. `import` and snippets are refused by name rather than half-supported.
import { ConfigError } from '../config.js';
import { tokenize, type Token } from './tokenize.js';

export interface Directive {
  name: string;
  args: string[];
  line: number;
  block: Directive[];
}

export interface ServerBlock {
  keys: string[];
  line: number;
  directives: Directive[];
}

export function parseCorefile(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): ServerBlock[] {
  return new Parser(tokenize(text, file, env), file).serverBlocks();
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
      if (first.text === 'import')
        this.fail(first.line, '"import" is not supported: write the directives out');
      if (/^\(.*\)$/.test(first.text)) this.fail(first.line, `snippet ${first.text} is not supported`);
      const keys: string[] = [];
      while (this.at < this.tokens.length && !isOpen(this.tokens[this.at])) {
        const token = this.tokens[this.at++]!;
        if (isClose(token)) this.fail(token.line, 'unexpected }');
        keys.push(...token.text.split(',').filter((key) => key !== ''));
      }
      if (this.at >= this.tokens.length) {
        this.fail(first.line, `server block "${keys.join(' ')}" must be followed by { ... }`);
      }
      this.at++;
      blocks.push({ keys, line: first.line, directives: this.block(first.line) });
    }
    if (blocks.length === 0) throw new ConfigError(`${this.file}: no server block`);
    return blocks;
  }

  /** Directives up to the matching }, which it consumes. */
  private block(openedAt: number): Directive[] {
    const directives: Directive[] = [];
    for (;;) {
      const token = this.tokens[this.at];
      if (!token) this.fail(openedAt, 'the { opened here is never closed');
      if (isClose(token)) {
        this.at++;
        return directives;
      }
      if (isOpen(token)) this.fail(token.line, 'unexpected {');
      if (token.text === 'import')
        this.fail(token.line, '"import" is not supported: write the directives out');
      this.at++;
      const directive: Directive = { name: token.text, args: [], line: token.line, block: [] };
      while (this.at < this.tokens.length) {
        const next = this.tokens[this.at]!;
        if (next.line !== token.line || isClose(next)) break;
        this.at++;
        if (isOpen(next)) {
          directive.block = this.block(next.line);
          break;
        }
        directive.args.push(next.text);
      }
      directives.push(directive);
    }
  }

  private fail(line: number, message: string): never {
    throw new ConfigError(`${this.file}:${line}: ${message}`);
  }
}
