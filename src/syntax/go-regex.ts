// Go regular expressions (RE2 syntax, https://github.com/google/re2/wiki/Syntax) as JavaScript
// RegExps, for the template plugin's `match`. The two agree on what Corefiles write (classes,
// groups, anchors, repetition, leftmost-first matching); what differs is translated or refused,
// never given another meaning:
// - named groups `(?P<name>...)` become `(?<name>...)` (JavaScript has no `P`);
// - leading flags `(?i)`, `(?s)`, `(?m)` become the RegExp's flags;
// - `\A` and `\z` (start and end of text) become `^` and `$` (no `m` flag: the same thing);
// - POSIX classes `[[:alpha:]]`, `\Q...\E` quoting, `\pN`-style classes and inline flags elsewhere
//   are refused: JavaScript would read them as something else.

/** CoreDNS's cap on a pattern (plugin/template/setup.go maxRegexpLen): compiling is bounded. */
export const MAX_PATTERN_LENGTH = 10_000;

/** `pattern` as a RegExp; throws an Error saying what is not supported or does not compile. */
export function compileGoRegex(pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new Error(`regex pattern too long: ${pattern.length} > ${MAX_PATTERN_LENGTH}`);
  }
  let body = pattern;
  let flags = '';
  const leading = /^\(\?([ims]+)\)/.exec(body);
  if (leading) {
    flags = [...new Set(leading[1]!)].join('');
    body = body.slice(leading[0].length);
  }
  const refused = refusal(body);
  if (refused) throw new Error(`regex "${pattern}": ${refused}`);
  const translated = translateEscapes(body);
  try {
    return new RegExp(translated, flags);
  } catch (error) {
    throw new Error(`regex "${pattern}" does not compile: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function refusal(body: string): string | undefined {
  if (body.includes('[[:') || body.includes('[^[:')) {
    return 'POSIX classes such as [[:alpha:]] are not supported: write the range, e.g. [a-zA-Z]';
  }
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') {
      const next = body[i + 1];
      if (next === 'Q' || next === 'E') return '\\Q...\\E quoting is not supported: escape each character';
      if (next === 'p' || next === 'P') return 'Unicode classes \\p{...} are not supported';
      i++;
    } else if (body.startsWith('(?', i) && /^\(\?[imsU-]+[:)]/.test(body.slice(i))) {
      return 'inline flags are supported only at the start of the pattern, as (?i)';
    }
  }
  return undefined;
}

function translateEscapes(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const char = body[i]!;
    if (char === '\\') {
      const next = body[i + 1] ?? '';
      out += next === 'A' ? '^' : next === 'z' ? '$' : char + next;
      i++;
    } else if (body.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else {
      out += char;
    }
  }
  return out;
}
