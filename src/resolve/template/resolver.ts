// The template chain link (CoreDNS's plugin/template/template.go ServeDNS): answers built from Go
// templates for questions whose name matches a regex. For a question in no template's zones it
// passes on at once. Otherwise the templates are tried in order:
// - a template whose zones, class or type do not take the question is skipped;
// - a name that matches none of its regexes is skipped when it lies in the template's
//   `fallthrough` zones, and answered SERVFAIL when not (CoreDNS does the same);
// - the first template whose regex matches answers: its rcode, and its answer, additional and
//   authority records executed with the question's data and read as zone-file text. A record that
//   does not execute or parse gives SERVFAIL and a log line naming the template.
// A question every template skipped goes on down the chain.
//
// A CNAME in the answer to an A or AAAA question is followed once through the whole chain, as
// CoreDNS's upstream lookup asks the server itself, and the target's records are appended.
import type { Logger } from 'pino';
import { OnceAMinute } from '../../ops/once-a-minute.js';
import { typeName } from '../../dns/mnemonics.js';
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import type { QueryContext, Resolver } from '../types.js';
import { compileGoRegexp } from '../go-regexp.js';
import { compileTemplate, executeTemplate, type CompiledTemplate, type TemplateData } from './go-template.js';
import { parseRecordText } from './rr-text.js';
import type { TemplateSpec } from './spec.js';

/** A zone as a suffix test: '.' holds every name. */
interface ZoneSuffix {
  /** With the trailing dot, as `.Zone` shows it. */
  fqdn: string;
  /** '' for the root, else '.zone' to test name ends with. */
  dotted: string;
  zone: string;
}

interface Section {
  source: string;
  compiled: CompiledTemplate;
}

interface Template {
  spec: TemplateSpec;
  /** Whether any record is made; without, every answer is `bare`. */
  hasRecords: boolean;
  /** The answer of a template with no records: its rcode, AA, its extended error. */
  bare: Answer;
  zones: ZoneSuffix[];
  regexes: { source: string; regex: RegExp }[];
  fallthrough: ZoneSuffix[] | undefined;
  answer: Section[];
  additional: Section[];
  authority: Section[];
}

export interface TemplateOptions {
  logger: Logger;
  /** Where CNAME targets are looked up: the whole chain, known once it is built. */
  chain: () => Resolver;
}

/** Contexts of CNAME look-ups under way: a target's own template CNAME is not followed again. */
const following = new WeakSet<QueryContext>();

export class TemplateResolver implements Resolver {
  private readonly templates: Template[];
  /** Every template's zones: a name outside them all is passed on with no other work. */
  private readonly zones: ZoneSuffix[];
  private readonly everyName: boolean;
  private readonly warned = new OnceAMinute();

  constructor(
    specs: readonly TemplateSpec[],
    private readonly options: TemplateOptions,
  ) {
    this.templates = specs.map((spec) => ({
      spec,
      hasRecords: spec.answer.length + spec.additional.length + spec.authority.length > 0,
      bare: bareAnswer(spec),
      zones: spec.zones.map(suffix),
      regexes: spec.match.map((source) => ({ source, regex: compileGoRegexp(source) })),
      fallthrough: spec.fallthrough?.map(suffix),
      answer: spec.answer.map(section),
      additional: spec.additional.map(section),
      authority: spec.authority.map(section),
    }));
    this.zones = this.templates.flatMap((template) => template.zones);
    this.everyName = this.zones.some((zone) => zone.dotted === '');
  }

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    // CoreDNS matches the name lower-cased and fully qualified (request.Name()).
    const name = question.name.toLowerCase();
    if (!this.everyName && longestZone(this.zones, name) === undefined) return undefined;
    const fqdn = `${name}.`;
    for (const template of this.templates) {
      const { spec } = template;
      if (spec.qclass !== RRClass.ANY && question.class !== RRClass.ANY && question.class !== spec.qclass)
        continue;
      if (spec.qtype !== RRType.ANY && question.type !== RRType.ANY && question.type !== spec.qtype) continue;
      const zone = longestZone(template.zones, name);
      if (zone === undefined) continue;
      // No regex is `.*`, which every name matches: nothing to run.
      const found = template.regexes.length ? firstMatch(template, fqdn) : EVERY_NAME;
      if (found === undefined) {
        if (template.fallthrough && longestZone(template.fallthrough, name) !== undefined) continue;
        return answerOf(Rcode.SERVFAIL);
      }
      if (spec.rcode === Rcode.SERVFAIL) return answerOf(Rcode.SERVFAIL);
      if (!template.hasRecords) return template.bare;
      const data: TemplateData = {
        name: fqdn,
        zone: zone.fqdn,
        class: className(question.class === RRClass.ANY ? spec.qclass : question.class),
        type: typeName(question.type === RRType.ANY ? spec.qtype : question.type),
        remote: context.clientAddress,
        ...matchData(found, fqdn),
      };
      return this.answer(template, data, question, context);
    }
    return undefined;
  }

  private answer(
    template: Template,
    data: TemplateData,
    question: Question,
    context: QueryContext,
  ): Answer | Promise<Answer> {
    const out = answerOf(template.spec.rcode);
    out.authoritative = true;
    try {
      out.answers = template.answer.map((s) => this.record(s, data, 'answer'));
      out.additional = template.additional.map((s) => this.record(s, data, 'additional'));
      out.authority = template.authority.map((s) => this.record(s, data, 'authority'));
    } catch {
      return answerOf(Rcode.SERVFAIL);
    }
    if (template.spec.ederror) out.ede = template.spec.ederror;
    if ((question.type !== RRType.A && question.type !== RRType.AAAA) || following.has(context)) return out;
    if (!out.answers.some((record) => record.data.type === 'CNAME')) return out;
    return this.follow(out, question, context);
  }

  /** Appends what the chain answers for each CNAME target, in order (template.go's upstream Lookup). */
  private async follow(out: Answer, question: Question, context: QueryContext): Promise<Answer> {
    const inner: QueryContext = { ...context };
    following.add(inner);
    const answers: ResourceRecord[] = [];
    for (const record of out.answers) {
      answers.push(record);
      if (record.data.type !== 'CNAME') continue;
      const target: Question = { name: record.data.target, type: question.type, class: RRClass.IN };
      // As CoreDNS, a look-up that fails leaves the CNAME alone in the answer.
      const up = await Promise.resolve(this.options.chain().resolve(target, inner)).catch(() => undefined);
      if (up === undefined) continue;
      if (up.truncated) out.truncated = true;
      answers.push(...up.answers);
    }
    out.answers = answers;
    return out;
  }

  private record(section: Section, data: TemplateData, name: string): ResourceRecord {
    let text: string | undefined;
    try {
      text = executeTemplate(section.compiled, data);
      return parseRecordText(text);
    } catch (error) {
      if (this.warned.due(section.source)) {
        this.options.logger.warn(
          { template: section.source, section: name, question: data.name, text },
          `template ${name} "${section.source}" gave no record (SERVFAIL): ${(error as Error).message}`,
        );
      }
      throw error;
    }
  }
}

/** A resolver that asks `template` first, then `next`: what the search path sees of the chain. */
export function templateFirst(template: TemplateResolver, next: Resolver): Resolver {
  return {
    resolve: (question, context) => template.resolve(question, context) ?? next.resolve(question, context),
  };
}

function section(source: string): Section {
  return { source, compiled: compileTemplate(source) };
}

function suffix(zone: string): ZoneSuffix {
  return zone === '.' ? { fqdn: '.', dotted: '', zone: '' } : { fqdn: `${zone}.`, dotted: `.${zone}`, zone };
}

/** The longest of `zones` holding `name` (lower case, no trailing dot), as plugin.Zones.Matches picks. */
function longestZone(zones: readonly ZoneSuffix[], name: string): ZoneSuffix | undefined {
  let best: ZoneSuffix | undefined;
  for (const zone of zones) {
    if (best && best.zone.length >= zone.zone.length) continue;
    if (zone.dotted === '' || name === zone.zone || name.endsWith(zone.dotted)) best = zone;
  }
  return best;
}

/** What a template's missing match list stands for. */
const EVERY_NAME = { source: '.*', found: null };

function firstMatch(
  template: Template,
  fqdn: string,
): { source: string; found: RegExpExecArray } | undefined {
  for (const { source, regex } of template.regexes) {
    const found = regex.exec(fqdn);
    if (found) return { source, found };
  }
  return undefined;
}

/** `.Regex`, `.Match` and `.Group` of a match (`.*` matches the whole name). */
function matchData(
  { source, found }: { source: string; found: RegExpExecArray | null },
  fqdn: string,
): Pick<TemplateData, 'regex' | 'match' | 'group'> {
  const match = found ? found.map((value) => value ?? '') : [fqdn];
  const group = new Map<string, string>(match.map((value, i) => [String(i), value]));
  for (const [key, value] of Object.entries(found?.groups ?? {})) group.set(key, value ?? '');
  return { regex: source, match, group };
}

/** As miekg/dns's ClassToString names them. */
const CLASS_NAMES: Record<number, string> = { 1: 'IN', 2: 'CS', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };

function className(value: number): string {
  return CLASS_NAMES[value] ?? `CLASS${value}`;
}

/**
 * The answer of a template that makes no records: the same for every question, so made once and
 * frozen (no link or encoder changes an answer; one that tried would fail loudly).
 */
function bareAnswer(spec: TemplateSpec): Answer {
  const answer: Answer = {
    rcode: spec.rcode,
    authoritative: true,
    answers: Object.freeze([]) as unknown as [],
    authority: Object.freeze([]) as unknown as [],
    additional: Object.freeze([]) as unknown as [],
    ...(spec.ederror ? { ede: Object.freeze({ ...spec.ederror }) } : {}),
  };
  return Object.freeze(answer);
}

function answerOf(rcode: number): Answer {
  return { rcode, authoritative: false, answers: [], authority: [], additional: [] };
}
