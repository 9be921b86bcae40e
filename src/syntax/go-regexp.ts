// Go regular expressions (RE2 syntax, https://github.com/google/re2/wiki/Syntax) as JavaScript
// RegExps, for the patterns CoreDNS compiles with Go's regexp: rewrite's `regex` rules and
// template's `match`. JavaScript's RegExp reads most of RE2 alike (classes, groups, alternation,
// quantifiers, leftmost-first matching); what differs is translated here, and what JavaScript
// cannot do as Go does is refused by name rather than given another meaning:
// - named groups `(?P<name>...)` become `(?<name>...)` (JavaScript has no `P`);
// - leading flags `(?i)`, `(?s)`, `(?m)` become the RegExp's flags;
// - `\A` and `\z` (start and end of text) become `^` and `$` (no `m` flag: the same thing);
// - POSIX classes `[[:alpha:]]` become their ASCII ranges; a `]` first in a class is a literal;
// - look-around and backreferences (which Go does not have), `(?U)`, flags other than leading,
//   `\Q...\E`, `\p{...}` and `\C` are refused.

/**
 * CoreDNS's cap on a pattern's length (plugin/rewrite/name.go and plugin/template/setup.go
 * maxRegexpLen): compiling is bounded.
 */
const MAX_PATTERN_LENGTH = 10_000;

/** A pattern that translates but that JavaScript's RegExp does not compile. */
export class InvalidGoRegexp extends Error {
  constructor(
    readonly pattern: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`regex "${pattern}" does not compile: ${reason}`, options);
  }
}

/** RE2's ASCII classes (`[[:alpha:]]`), as JavaScript class ranges. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/**
 * The JavaScript RegExp matching what Go's regexp.Compile(pattern) matches. Throws an Error naming
 * what is not supported, or an InvalidGoRegexp when the result does not compile.
 */
export function compileGoRegexp(pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`regex pattern too long: ${pattern.length} > ${MAX_PATTERN_LENGTH}`);
  }
  const refuse = (reason: string): never => {
    throw new Error(`regex "${pattern}": ${reason}`);
  };
  let flags = '';
  let source = pattern;
  // Go takes flags for the whole pattern as a leading (?flags); U (ungreedy) has no JavaScript form.
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    if (leading[1]!.includes('U')) refuse('the U (ungreedy) flag is not supported');
    flags = [...new Set(leading[1]!)].join('');
    source = source.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) refuse('trailing backslash');
      else if (next === 'A' && !inClass) out += '^';
      else if (next === 'z' && !inClass) out += '$';
      else if (/[1-9]/.test(next)) refuse(`\\${next}: Go regular expressions have no backreferences`);
      else if (next === 'Q' || next === 'E')
        refuse('\\Q...\\E quoting is not supported: escape each character');
      else if (next === 'p' || next === 'P') refuse(`\\${next} is not supported (Unicode classes, \\p{...})`);
      else if (next === 'C') refuse('\\C is not supported');
      else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(source.slice(i));
      if (posix) {
        const range = POSIX_CLASSES[posix[2]!];
        if (range === undefined || posix[1]) refuse(`[:${posix[1]}${posix[2]}:] is not supported`);
        out += range;
        i += posix[0].length - 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      // A `]` first in a Go class is a literal; JavaScript reads `[]` as the empty class.
      const negated = source[i + 1] === '^';
      out += negated ? '[^' : '[';
      if (negated) i++;
      if (source[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (rest.startsWith(':') || (rest.startsWith('<') && /^<[A-Za-z_]\w*>/.test(rest))) {
        out += '(?';
        i += 1;
        continue;
      }
      // (?i:...) and mid-pattern flags JavaScript lacks; (?=, (?!, (?<=, (?<! are an error in Go.
      if (/^[imsU-]+[:)]/.test(rest))
        refuse('inline flags are supported only at the start of the pattern, as (?i)');
      refuse(`(?${rest.slice(0, 2)}... is not supported: Go has no look-around`);
    }
    out += c;
  }
  try {
    return new RegExp(out, flags);
  } catch (error) {
    throw new InvalidGoRegexp(pattern, (error as Error).message, { cause: error });
  }
}
