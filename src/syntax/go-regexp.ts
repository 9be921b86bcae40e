// CoreDNS compiles rewrite patterns with Go's regexp (RE2 syntax, https://github.com/google/re2/wiki/Syntax).
// JavaScript's RegExp reads most of it alike (classes, groups, alternation, quantifiers, leftmost-first
// matching); what differs is translated here, and what JavaScript cannot do as Go does is refused by
// name rather than given another meaning.

/** CoreDNS's cap on a pattern's length (plugin/rewrite/name.go maxRegexpLen). */
export const MAX_PATTERN_LENGTH = 10000;

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

/** The JavaScript RegExp matching what Go's regexp.Compile(pattern) matches; throws naming what is not supported. */
export function compileGoRegexp(pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`regex pattern too long: ${pattern.length} > ${MAX_PATTERN_LENGTH}`);
  }
  let flags = '';
  let source = pattern;
  // Go takes flags for the whole pattern as a leading (?flags); U (ungreedy) has no JavaScript form.
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    if (leading[1]!.includes('U')) throw new Error(`"${pattern}": the U (ungreedy) flag is not supported`);
    flags = [...new Set(leading[1]!)].join('');
    source = source.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new Error(`"${pattern}": trailing backslash`);
      if (next === 'A' && !inClass) out += '^';
      else if (next === 'z' && !inClass) out += '$';
      else if (/[1-9]/.test(next))
        throw new Error(`"${pattern}": \\${next}: Go regular expressions have no backreferences`);
      else if ('pPQEC'.includes(next)) throw new Error(`"${pattern}": \\${next} is not supported`);
      else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(source.slice(i));
      if (posix) {
        const range = POSIX_CLASSES[posix[2]!];
        if (range === undefined || posix[1])
          throw new Error(`"${pattern}": [:${posix[1]}${posix[2]}:] is not supported`);
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
      // (?=, (?!, (?<=, (?<! are an error in Go; (?i:...) and mid-pattern flags JavaScript lacks.
      throw new Error(
        `"${pattern}": (?${rest.slice(0, 2)}... is not supported (Go has no look-around; flags go first, as (?i))`,
      );
    }
    out += c;
  }
  try {
    return new RegExp(out, flags);
  } catch (error) {
    throw new Error(`invalid regex matching pattern: ${pattern} (${(error as Error).message})`, {
      cause: error,
    });
  }
}
