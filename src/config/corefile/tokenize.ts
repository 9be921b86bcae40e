// Corefile tokens (the Caddyfile syntax CoreDNS reads): words split by white space, "quoted" and
// `backquoted` strings, # comments to the end of the line, { and } as words of their own, and
// {$VAR} replaced by the environment variable (empty when unset, as CoreDNS does). Every token
// keeps its line so each later message can point at it.
import { ConfigError } from '../config.js';

export interface Token {
  text: string;
  line: number;
  /** Quoted tokens are never braces. */
  quoted: boolean;
}

export function tokenize(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '\n') {
      line++;
      i++;
    } else if (/\s/.test(char)) {
      i++;
    } else if (char === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (char === '"' || char === '`') {
      const start = line;
      let value = '';
      i++;
      while (i < text.length && text[i] !== char) {
        if (char === '"' && text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
        if (text[i] === '\n') line++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw new ConfigError(`${file}:${start}: unterminated quoted string`);
      i++;
      tokens.push({ text: substitute(value, env), line: start, quoted: true });
    } else {
      let value = '';
      // A {$VAR} may sit inside a word; a lone { or } is a brace.
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '{' && text[i + 1] === '$') {
          const end = text.indexOf('}', i);
          if (end < 0) throw new ConfigError(`${file}:${line}: unterminated {$VAR}`);
          value += text.slice(i, end + 1);
          i = end + 1;
          continue;
        }
        value += text[i];
        i++;
      }
      tokens.push({ text: substitute(value, env), line, quoted: false });
    }
  }
  return tokens;
}

function substitute(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\{\$([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '');
}
