// Go (RE2) patterns as rewrite's `regex` rules and template's `match` read them: what Go matches,
// JavaScript matches; what JavaScript would read otherwise is refused by name.
import { describe, expect, it } from 'vitest';
import { compileGoRegexp, InvalidGoRegexp } from '../../src/resolve/go-regexp.js';

describe('Go regular expressions', () => {
  // [Go pattern, a name it matches (or not), the match and its groups, the named groups]
  const ROWS: [string, string, string[] | undefined, Record<string, string>?][] = [
    ['(?P<svc>[a-z]+)\\.corp', 'web.corp.', ['web.corp', 'web'], { svc: 'web' }],
    ['(?P<a>[0-9]+)-(?P<b>[0-9]+)', 'x-10-20', ['10-20', '10', '20'], { a: '10', b: '20' }],
    ['(?i)WEB\\.corp', 'web.corp.', ['web.corp']],
    ['(?i)^WEB\\.', 'web.example.', ['web.']],
    ['\\Aweb\\.corp\\.\\z', 'web.corp.', ['web.corp.']],
    ['\\Aweb\\.corp\\z', 'web.corp.', undefined],
    ['^[[:alpha:]]+[[:digit:]]\\.', 'web1.corp.', ['web1.']],
    ['^[^[:digit:].]+$', 'web-a', ['web-a']],
    ['[]a]+', ']a', [']a']],
    ['(?:ab)+', 'abab', ['abab']],
  ];

  it.each(ROWS)('%s on %s', (pattern, name, found, named) => {
    const match = compileGoRegexp(pattern).exec(name);
    expect(match ? [...match] : undefined).toEqual(found);
    if (named) expect({ ...match!.groups }).toEqual(named);
  });

  const REFUSED: [string, string][] = [
    ['(?=x)', 'regex "(?=x)": (?=x... is not supported: Go has no look-around'],
    ['(?<!x)y', 'Go has no look-around'],
    ['(a)\\1', 'Go regular expressions have no backreferences'],
    ['(?U)a+', 'the U (ungreedy) flag is not supported'],
    ['a(?i)b', 'inline flags are supported only at the start of the pattern, as (?i)'],
    ['(?i:a)b', 'inline flags are supported only at the start'],
    ['\\pL', '\\p is not supported (Unicode classes, \\p{...})'],
    ['\\Qa.b\\E', '\\Q...\\E quoting is not supported: escape each character'],
    ['[[:nope:]]', '[:nope:] is not supported'],
    ['a\\', 'trailing backslash'],
    ['x'.repeat(10001), 'regex pattern too long: 10001 > 10000'],
  ];

  it.each(REFUSED)('refuses %s', (pattern, message) => {
    expect(() => compileGoRegexp(pattern)).toThrow(message);
  });

  it('says which pattern does not compile, and why', () => {
    const error = (() => {
      try {
        compileGoRegexp('(?P<a>[0-9]');
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidGoRegexp);
    expect((error as Error).message).toBe(
      'regex "(?P<a>[0-9]" does not compile: Invalid regular expression: /(?<a>[0-9]/: Unterminated group',
    );
  });
});
