// The rules of CoreDNS's rewrite plugin (https://coredns.io/plugins/rewrite/; plugin/rewrite/
// rewrite.go, name.go, type.go, class.go, ttl.go), read from a rule's words and applied to a question.
// As in CoreDNS, names are matched in lower case with the trailing dot (`web.example.org.`), FROM and
// TO of every match type but regex are lower-cased and made absolute, and a regex's TO is too.
import { RRClass, type ResourceRecord } from '../../dns/types.js';
import { typeCode } from '../../dns/mnemonics.js';
import { compileGoRegexp, InvalidGoRegexp } from '../go-regexp.js';

export type RuleMode = 'stop' | 'continue';

/** The question as the rules see it and change it. */
export interface RewriteState {
  /** Lower case, absolute (trailing dot): what CoreDNS's rules match (request.Name()). */
  name: string;
  /** The name before the last rule changed it, as spelled (the client's case at first): what `answer auto` restores. */
  spelled: string;
  type: number;
  class: number;
}

/** Maps one record of the reply back (CoreDNS's ResponseRule); returns the record unchanged when it does not apply. */
export type ResponseRule = (record: ResourceRecord) => ResourceRecord;

export interface RewriteRule {
  mode: RuleMode;
  /** Changes `state` and returns the reply's response rules when the rule matches; undefined when not. */
  apply(state: RewriteState): ResponseRule[] | undefined;
}

/** The rule kinds built here; CoreDNS's others (edns0, cname, rcode) are refused by name. */
export const RULE_KINDS = ['name', 'type', 'class', 'ttl'] as const;
const MATCH_TYPES = ['exact', 'prefix', 'suffix', 'substring', 'regex'];

/**
 * A rule from its words, as `rewrite WORDS...` in a Corefile (plugin/rewrite/rewrite.go newRule).
 * Throws an Error whose message says what was expected.
 */
export function parseRewriteRule(words: readonly string[]): RewriteRule {
  if (words.length === 0) throw new Error('no rule type specified for rewrite');
  const first = words[0]!.toLowerCase();
  const mode: RuleMode = first === 'continue' ? 'continue' : 'stop';
  const explicit = first === 'continue' || first === 'stop';
  if (explicit && words.length < 2) throw new Error(`${first} rule must begin with a rule type`);
  const kind = (explicit ? words[1]! : first).toLowerCase();
  const args = words.slice(explicit ? 2 : 1);
  switch (kind) {
    case 'name':
      return nameRule(mode, args);
    case 'type':
    case 'class':
      if (args.length !== 2)
        throw new Error(`${kind} rules must have exactly two arguments: ${kind} FROM TO`);
      return kind === 'type' ? typeRule(mode, args[0]!, args[1]!) : classRule(mode, args[0]!, args[1]!);
    case 'ttl':
      return ttlRule(mode, args);
    case 'answer':
      throw new Error('response rewrites must begin with a name rule');
    case 'edns0':
    case 'cname':
    case 'rcode':
      throw new Error(
        `${kind} rules are not supported by clusterdns; the rules it runs are ${RULE_KINDS.join(', ')}`,
      );
    default:
      throw new Error(
        `invalid rule type "${explicit ? words[1] : words[0]}": expected ${RULE_KINDS.join(', ')}`,
      );
  }
}

/** Lower case and absolute, as CoreDNS's plugin.Name(s).Normalize(). */
function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** `{0}`, `{1}`... replaced by the match's groups, as CoreDNS's regex rules do. */
function substitute(template: string, groups: RegExpExecArray): string {
  let out = template;
  for (let i = 0; i < groups.length; i++) out = out.split(`{${i}}`).join(groups[i] ?? '');
  return out;
}

function groupCount(pattern: RegExp): number {
  return new RegExp(`${pattern.source}|`, pattern.flags).exec('')!.length - 1;
}

/** A rule's Go pattern; one that does not compile is refused in CoreDNS's words (plugin/rewrite/name.go). */
function ruleRegexp(pattern: string): RegExp {
  try {
    return compileGoRegexp(pattern);
  } catch (error) {
    if (!(error instanceof InvalidGoRegexp)) throw error;
    throw new Error(`invalid regex matching pattern: ${pattern} (${error.reason})`, { cause: error });
  }
}

/** The pattern, checked that TO uses no more groups than it has (name.go isValidRegexPattern). */
function regexFor(from: string, to: string): RegExp {
  const pattern = ruleRegexp(from);
  let used = 0;
  for (let i = 0; i <= 100; i++) if (to.includes(`{${i}}`)) used++;
  if (used > groupCount(pattern)) {
    throw new Error(
      `the rewrite regex pattern (${to}) uses more subexpressions than its corresponding matching regex pattern (${from})`,
    );
  }
  return pattern;
}

/** A string map applied to record names or values (name.go's stringRewriter). */
type StringRewriter = (value: string) => string;

function regexRewriter(pattern: RegExp, replacement: string): StringRewriter {
  return (value) => {
    const groups = pattern.exec(value);
    return groups ? substitute(replacement, groups) : value;
  };
}

/** The rewritten name back to the one asked, and names under it too (name.go remapStringRewriter). */
function remapRewriter(rewritten: string, asked: string): StringRewriter {
  return (value) => {
    if (value === rewritten) return asked;
    const at = value.length - rewritten.length;
    if (at > 0 && value[at - 1] === '.' && value.endsWith(rewritten)) return value.slice(0, at) + asked;
    return value;
  };
}

function suffixRewriter(suffix: string, replacement: string): StringRewriter {
  return (value) =>
    value.endsWith(suffix) ? value.slice(0, value.length - suffix.length) + replacement : value;
}

/** Record names are kept without the trailing dot; the rules see them absolute, as CoreDNS does. */
function absolute(name: string): string {
  return `${name}.`;
}

function relative(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function nameResponse(rewrite: StringRewriter): ResponseRule {
  return (record) => {
    const name = relative(rewrite(absolute(record.name)));
    return name === record.name ? record : { ...record, name };
  };
}

/** CNAME, PTR, NS, MX, SRV and SOA (its MNAME) values, as reverter.go getRecordValueForRewrite. */
function valueResponse(rewrite: StringRewriter): ResponseRule {
  return (record) => {
    const data = record.data;
    switch (data.type) {
      case 'CNAME':
      case 'PTR':
      case 'NS':
      case 'SRV': {
        const target = relative(rewrite(absolute(data.target)));
        return target === data.target ? record : { ...record, data: { ...data, target } };
      }
      case 'MX': {
        const exchange = relative(rewrite(absolute(data.exchange)));
        return exchange === data.exchange ? record : { ...record, data: { ...data, exchange } };
      }
      case 'SOA': {
        const mname = relative(rewrite(absolute(data.mname)));
        return mname === data.mname ? record : { ...record, data: { ...data, mname } };
      }
      default:
        return record;
    }
  };
}

interface AnswerOptions {
  auto: boolean;
  /** `answer name` and `answer value` rules, in the order given. */
  fixed: ResponseRule[];
}

/** `answer auto | answer name FROM TO | answer value FROM TO`, repeated; `answer` may be left out after the first (name.go parseAnswerRules). */
function parseAnswers(matchType: string, args: readonly string[]): AnswerOptions {
  const fail = (message: string) => new Error(`${message} for ${matchType} rule`);
  if (args.length < 2) throw fail('invalid arguments');
  let auto = false;
  let nameRules = 0;
  const fixed: ResponseRule[] = [];
  for (let i = 0; i < args.length;) {
    if (i === 0 && args[i] !== 'answer')
      throw fail(`unexpected "${args[i]}": expected answer auto|name|value`);
    if (args[i] === 'answer') i++;
    const what = args[i++];
    if (what === undefined) throw fail('type missing for answer rule');
    if (what === 'auto') {
      auto = true;
      continue;
    }
    if (what !== 'name' && what !== 'value')
      throw fail(`invalid type "${what}" for answer rule (auto, name or value)`);
    const [from, to] = [args[i], args[i + 1]];
    if (from === undefined || to === undefined)
      throw fail(`${what} answer rule: 2 arguments required (FROM TO)`);
    i += 2;
    const rewrite = regexRewriter(regexFor(from, to), normalize(to));
    fixed.push(what === 'name' ? nameResponse(rewrite) : valueResponse(rewrite));
    if (what === 'name') nameRules++;
  }
  if (auto && nameRules > 0)
    throw fail('auto name answer rule cannot be combined with explicit name answer rules');
  return { auto, fixed };
}

function nameRule(mode: RuleMode, args: readonly string[]): RewriteRule {
  if (args.length < 2)
    throw new Error('too few arguments for a name rule: name [exact|prefix|suffix|substring|regex] FROM TO');
  const matchType = args.length === 2 ? 'exact' : args[0]!.toLowerCase();
  if (!MATCH_TYPES.includes(matchType)) {
    throw new Error(
      `name rule supports only exact, prefix, suffix, substring, and regex name matching, received: ${args[0]}`,
    );
  }
  const [rawFrom, rawTo] = args.length === 2 ? [args[0]!, args[1]!] : [args[1]!, args[2]!];
  const from = matchType === 'regex' ? rawFrom : normalize(rawFrom);
  const to = normalize(rawTo);
  const answers = args.length > 3 ? parseAnswers(matchType, args.slice(3)) : { auto: false, fixed: [] };
  // The rewritten name back to the asked one: always for exact (name.go newExactNameRule), with
  // `answer auto` for the others; a suffix rule's is the suffix swapped back, fixed once.
  const reverse = (state: RewriteState, before: string): ResponseRule[] => {
    if (!(matchType === 'exact' || (answers.auto && matchType !== 'suffix'))) return answers.fixed;
    const back = remapRewriter(state.name, before);
    return [nameResponse(back), valueResponse(back), ...answers.fixed];
  };
  const rewritten = (state: RewriteState, name: string): ResponseRule[] => {
    const before = state.spelled;
    state.name = name;
    state.spelled = name;
    return reverse(state, before);
  };
  switch (matchType) {
    case 'exact':
      regexFor(to, from);
      return { mode, apply: (state) => (state.name === from ? rewritten(state, to) : undefined) };
    case 'prefix':
      return {
        mode,
        apply: (state) =>
          state.name.startsWith(from) ? rewritten(state, to + state.name.slice(from.length)) : undefined,
      };
    case 'suffix': {
      const back = answers.auto ? suffixRewriter(to, from) : undefined;
      const responses = back ? [nameResponse(back), valueResponse(back), ...answers.fixed] : answers.fixed;
      return {
        mode,
        apply(state) {
          if (!state.name.endsWith(from)) return undefined;
          state.name = state.name.slice(0, state.name.length - from.length) + to;
          state.spelled = state.name;
          return responses;
        },
      };
    }
    case 'substring':
      return {
        mode,
        apply: (state) =>
          state.name.includes(from) ? rewritten(state, state.name.split(from).join(to)) : undefined,
      };
    default: {
      const pattern = regexFor(from, rawTo);
      return {
        mode,
        apply(state) {
          const groups = pattern.exec(state.name);
          return groups ? rewritten(state, substitute(to, groups)) : undefined;
        },
      };
    }
  }
}

function typeRule(mode: RuleMode, fromText: string, toText: string): RewriteRule {
  const [from, to] = [fromText, toText].map((text) => {
    const code = typeCode(text.toUpperCase());
    if (code === undefined) throw new Error(`invalid type "${text.toUpperCase()}"`);
    return code;
  }) as [number, number];
  return { mode, apply: (state) => (state.type === from ? ((state.type = to), []) : undefined) };
}

/** miekg/dns StringToClass. */
const CLASSES: Record<string, number> = {
  IN: RRClass.IN,
  CS: 2,
  CH: RRClass.CH,
  HS: 4,
  NONE: 254,
  ANY: RRClass.ANY,
};

function classRule(mode: RuleMode, fromText: string, toText: string): RewriteRule {
  const [from, to] = [fromText, toText].map((text) => {
    const code = CLASSES[text.toUpperCase()];
    if (code === undefined) throw new Error(`invalid class "${text.toUpperCase()}"`);
    return code;
  }) as [number, number];
  return { mode, apply: (state) => (state.class === from ? ((state.class = to), []) : undefined) };
}

/** `SECONDS`, or a range `MIN-MAX` open on either side (ttl.go isValidTTL). */
function ttlRange(text: string): [number, number] {
  const bound = (part: string) => {
    if (!/^\d+$/.test(part) || Number(part) > 0xffffffff)
      throw new Error(`invalid TTL '${text}' for a ttl rule`);
    return Number(part);
  };
  const parts = text.split('-');
  if (parts.length === 1) return [bound(text), bound(text)];
  if (parts.length !== 2 || (parts[0] === '' && parts[1] === ''))
    throw new Error(`invalid TTL '${text}' for a ttl rule`);
  const min = parts[0] === '' ? 0 : bound(parts[0]!);
  const max = parts[1] === '' ? 2147483647 : bound(parts[1]!);
  if (min > max) throw new Error(`invalid TTL '${text}' for a ttl rule`);
  return [min, max];
}

function ttlRule(mode: RuleMode, args: readonly string[]): RewriteRule {
  if (args.length < 2)
    throw new Error(
      `too few (${args.length}) arguments for a ttl rule: ttl [exact|prefix|suffix|substring|regex] NAME SECONDS|MIN-MAX`,
    );
  if (args.length > 3) throw new Error('too many arguments for a ttl rule');
  const [min, max] = ttlRange(args[args.length - 1]!);
  const clamp: ResponseRule = (record) => {
    const ttl = record.ttl < min ? min : record.ttl > max ? max : record.ttl;
    return ttl === record.ttl ? record : { ...record, ttl };
  };
  const matchType = args.length === 3 ? args[0]!.toLowerCase() : 'exact';
  const what = args.length === 3 ? args[1]! : args[0]!;
  let matches: (name: string) => boolean;
  if (matchType === 'regex') {
    const pattern = ruleRegexp(what);
    matches = (name) => pattern.test(name);
  } else {
    const text = normalize(what);
    if (matchType === 'exact') matches = (name) => name === text;
    else if (matchType === 'prefix') matches = (name) => name.startsWith(text);
    else if (matchType === 'suffix') matches = (name) => name.endsWith(text);
    else if (matchType === 'substring') matches = (name) => name.includes(text);
    else throw new Error('ttl rule supports only exact, prefix, suffix, substring, and regex name matching');
  }
  return { mode, apply: (state) => (matches(state.name) ? [clamp] : undefined) };
}
