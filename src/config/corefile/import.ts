// `import` and snippets, as CoreDNS's Caddyfile parser does them (https://coredns.io/plugins/import/,
// github.com/coredns/caddy caddyfile/parse.go): an `import PATTERN` line, at the top level or
// anywhere inside a block, is replaced by the tokens of the snippet `(PATTERN) { ... }` defined
// above it, or else of the files PATTERN names (a path or a glob with one wildcard, relative to
// the file holding the import). A glob matching nothing is no error (k3s and AKS import
// `custom/*.override` from a ConfigMap that is empty by default); a plain path that does not exist
// is. Everything read from outside is bounded: each file's size, the bytes and words of all
// imports together, how deep imports nest and how many are expanded.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { ConfigError } from '../values.js';
import { sameLine, tokenize, where, type ImportStep, type Token } from './tokenize.js';

/** Largest Corefile or imported file read; real ones are a few kilobytes. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** All imported files together. */
export const MAX_IMPORTED_BYTES = 8 * MAX_FILE_BYTES;
/** Imports within imports: a chain longer than this is a mistake, not a configuration. */
export const MAX_IMPORT_DEPTH = 10;
/** Imports expanded in all: CoreDNS's own cap (maxSnippetExpansions). */
export const MAX_EXPANSIONS = 1000;
/** Words after expansion: a snippet imported many times must not grow without bound. */
export const MAX_TOKENS = 200_000;

/** The file's text, refused when it is larger than MAX_FILE_BYTES or is not a file. */
export function readBounded(path: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new ConfigError(`${what}: cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new ConfigError(`${what}: ${path} is not a file`);
    // Read one byte more than allowed rather than trust the size: the file may grow meanwhile.
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > MAX_FILE_BYTES) {
        throw new ConfigError(`${what}: ${path} is larger than ${MAX_FILE_BYTES} bytes`);
      }
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The Corefile's tokens with every import replaced and the snippet definitions taken out. */
/**
 * `watched` collects what a change to should reload the Corefile: every file imported, and the
 * directory of every glob (a file added to or removed from a ConfigMap volume changes it).
 */
export function expandImports(tokens: Token[], env: NodeJS.ProcessEnv, watched?: Set<string>): Token[] {
  return new Expander(env, watched).run(tokens);
}

const isOpen = (token: Token | undefined) => token !== undefined && !token.quoted && token.text === '{';
const isClose = (token: Token | undefined) => token !== undefined && !token.quoted && token.text === '}';

class Expander {
  private readonly snippets = new Map<string, Token[]>();
  private expansions = 0;
  private importedBytes = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly watched?: Set<string>,
  ) {}

  run(input: Token[]): Token[] {
    // A stack, last word on top: imported words go back on top, so they are read (and their own
    // imports expanded) in order, at the brace depth where they were imported.
    const pending = [...input].reverse();
    const next = () => pending[pending.length - 1];
    const out: Token[] = [];
    let previous: Token | undefined;
    let depth = 0;
    while (pending.length) {
      const token = pending.pop()!;
      const startsLine = !previous || !sameLine(previous, token);
      previous = token;
      // Only as a line's first word is `import` the directive, as in CoreDNS.
      if (!token.quoted && token.text === 'import' && startsLine) {
        const args: Token[] = [];
        while (pending.length && sameLine(next()!, token)) args.push(pending.pop()!);
        pending.push(...this.imported(token, args).reverse());
        continue;
      }
      if (depth === 0 && !token.quoted && /^\(.*\)$/.test(token.text) && isOpen(next())) {
        this.define(token, pending);
        continue;
      }
      if (isOpen(token)) depth++;
      if (isClose(token)) depth = Math.max(0, depth - 1);
      out.push(token);
      if (out.length > MAX_TOKENS) {
        throw new ConfigError(`${where(token)}: the Corefile and its imports exceed ${MAX_TOKENS} words`);
      }
    }
    return out;
  }

  /** `(name) { ... }` at the top level: kept, unexpanded, for `import name`. */
  private define(key: Token, pending: Token[]): void {
    const name = key.text.slice(1, -1);
    if (name === '') throw new ConfigError(`${where(key)}: a snippet needs a name: (NAME) { ... }`);
    if (this.snippets.has(name)) throw new ConfigError(`${where(key)}: snippet (${name}) is defined twice`);
    const open = pending.pop()!;
    const body: Token[] = [];
    for (let nesting = 1; ;) {
      const token = pending.pop();
      if (!token) throw new ConfigError(`${where(open)}: the { opened here is never closed`);
      if (isOpen(token)) nesting++;
      if (isClose(token) && --nesting === 0) break;
      body.push(token);
    }
    this.snippets.set(name, body);
  }

  /** What one `import PATTERN` line stands for, each word marked as imported at that line. */
  private imported(line: Token, args: Token[]): Token[] {
    const at = where(line);
    if (args.length !== 1 || args[0]!.text === '') {
      throw new ConfigError(
        `${at}: import takes one argument, a snippet name or a file or glob (CoreDNS passes no arguments to snippets)`,
      );
    }
    if (line.importedAt.length >= MAX_IMPORT_DEPTH) {
      throw new ConfigError(`${at}: imports nest deeper than ${MAX_IMPORT_DEPTH}`);
    }
    if (++this.expansions > MAX_EXPANSIONS) {
      throw new ConfigError(`${at}: more than ${MAX_EXPANSIONS} imports expanded`);
    }
    const pattern = args[0]!.text;
    const step = (target: string): readonly ImportStep[] => {
      refuseCycle(line, target);
      return [{ at: `${line.file}:${line.line}`, target }, ...line.importedAt];
    };
    const snippet = this.snippets.get(pattern);
    if (snippet) {
      const importedAt = step(`(${pattern})`);
      return snippet.map((token) => ({ ...token, importedAt: [...importedAt, ...token.importedAt] }));
    }
    const tokens: Token[] = [];
    const { files, directory } = matches(line, pattern);
    if (directory !== undefined) this.watched?.add(directory);
    for (const path of files) {
      this.watched?.add(path);
      const text = readBounded(path, `${at}: import ${pattern}`);
      this.importedBytes += Buffer.byteLength(text);
      if (this.importedBytes > MAX_IMPORTED_BYTES) {
        throw new ConfigError(`${at}: imported files exceed ${MAX_IMPORTED_BYTES} bytes together`);
      }
      tokens.push(...tokenize(text, path, this.env, step(path)));
    }
    return tokens;
  }
}

/**
 * An import of what is already being imported (a file importing itself, a snippet importing one
 * that imports it) would never end: refused, naming the chain from the Corefile down.
 */
function refuseCycle(line: Token, target: string): void {
  const importing = [resolve(line.file), ...line.importedAt.map((step) => step.target)];
  if (!importing.includes(target)) return;
  const steps = [...line.importedAt].reverse().map((step) => `${step.at} imports ${step.target}`);
  steps.push(`${line.file}:${line.line} imports ${target}`);
  throw new ConfigError(`${where(line)}: import cycle: ${steps.join(', ')}`);
}

/**
 * The files PATTERN names, sorted as Go's filepath.Glob gives them, and for a glob the directory
 * whose listing it reads.
 */
function matches(line: Token, pattern: string): { files: string[]; directory?: string } {
  const at = where(line);
  const full = isAbsolute(pattern) ? pattern : join(dirname(resolve(line.file)), pattern);
  const wildcards = (full.match(/[*?]/g) ?? []).length;
  // As CoreDNS: one wildcard at most and no character classes, so no pattern walks a large tree.
  if (wildcards > 1 || /\[.*\]/.test(full)) {
    throw new ConfigError(`${at}: import ${pattern}: a glob may hold one wildcard (*) only`);
  }
  if (wildcards === 1) {
    const segments = full.split(sep);
    const directory =
      segments
        .slice(
          0,
          segments.findIndex((part) => /[*?]/.test(part)),
        )
        .join(sep) || sep;
    return { files: glob(full), directory };
  }
  if (!existsSync(full)) {
    throw new ConfigError(
      `${at}: import ${pattern}: no snippet (${pattern}) defined above it and no file ${full}`,
    );
  }
  return { files: [full] };
}

/** Files matching a pattern whose one wildcard may sit in any segment; none when a directory is missing. */
function glob(pattern: string): string[] {
  let found: string[] = [sep];
  for (const segment of pattern.split(sep).filter((part) => part !== '')) {
    if (!/[*?]/.test(segment)) {
      found = found.map((dir) => join(dir, segment));
      continue;
    }
    const source = segment
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace('*', '.*')
      .replace('?', '.');
    const matcher = new RegExp(`^${source}$`);
    found = found.flatMap((dir) => {
      try {
        return readdirSync(dir)
          .filter((name) => matcher.test(name))
          .sort()
          .map((name) => join(dir, name));
      } catch {
        return [];
      }
    });
  }
  return found;
}
