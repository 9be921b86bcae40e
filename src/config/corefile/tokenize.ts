// Corefile tokens (the Caddyfile syntax CoreDNS reads): words split by white space, "quoted" and
// `backquoted` strings, # comments to the end of the line, { and } as words of their own, and
// {$VAR} replaced by the environment variable (empty when unset, as CoreDNS does). Every token
// keeps its file and line, and the imports that brought it in, so each later message can point at
// it.
import { ConfigError } from '../values.js';

export interface Token {
  text: string;
  line: number;
  /** The file the token was read from (an imported file's own path). */
  file: string;
  /** Quoted tokens are never braces. */
  quoted: boolean;
  /** The `import` lines that brought the token in, innermost first; empty in the Corefile itself. */
  importedAt: readonly ImportStep[];
}

export interface ImportStep {
  /** `FILE:LINE` of the import line. */
  at: string;
  /** What it imported: a file's absolute path, or `(name)` for a snippet. */
  target: string;
}

export function tokenize(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  importedAt: readonly ImportStep[] = [],
): Token[] {
  const tokens: Token[] = [];
  const token = (value: string, line: number, quoted: boolean) =>
    tokens.push({ text: substitute(value, env), line, file, quoted, importedAt });
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
      if (i >= text.length) {
        throw new ConfigError(`${where({ file, line: start, importedAt })}: unterminated quoted string`);
      }
      i++;
      token(value, start, true);
    } else {
      let value = '';
      // A {$VAR} may sit inside a word; a lone { or } is a brace.
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '{' && text[i + 1] === '$') {
          const end = text.indexOf('}', i);
          if (end < 0) throw new ConfigError(`${where({ file, line, importedAt })}: unterminated {$VAR}`);
          value += text.slice(i, end + 1);
          i = end + 1;
          continue;
        }
        value += text[i];
        i++;
      }
      token(value, line, false);
    }
  }
  return tokens;
}

/**
 * Where a token sits, for messages: `FILE:LINE`, and for an imported one the import lines that
 * brought it in (`/etc/coredns/custom/a.override:2 (imported at /etc/coredns/Corefile:23)`).
 */
export function where(token: Pick<Token, 'file' | 'line' | 'importedAt'>): string {
  const at = `${token.file}:${token.line}`;
  if (token.importedAt.length === 0) return at;
  return `${at} (imported at ${token.importedAt.map((step) => step.at).join(' from ')})`;
}

/** Two words of one line of one file, brought in by the same imports. */
export function sameLine(a: Token, b: Token): boolean {
  return (
    a.file === b.file &&
    a.line === b.line &&
    a.importedAt.length === b.importedAt.length &&
    a.importedAt.every(
      (step, i) => step.at === b.importedAt[i]!.at && step.target === b.importedAt[i]!.target,
    )
  );
}

function substitute(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\{\$([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => env[name] ?? '');
}
