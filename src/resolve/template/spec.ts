// The template directive's settings, read as CoreDNS 1.14's plugin/template/setup.go reads them:
//
//   template CLASS TYPE [ZONE...] {
//     match REGEX...          (Go regex; none: every name)
//     answer RR...            additional RR...   authority RR...   (Go templates, see go-template.ts)
//     rcode CODE              (default NOERROR)
//     ederror CODE [REASON]   (RFC 8914 extended error)
//     fallthrough [ZONE...]
//   }
//
// Every regex and template is compiled here, at start-up, so a Corefile that cannot run is refused
// naming its line rather than failing queries later.
import { RRClass, RRType } from '../../dns/types.js';
import { RCODE_NAMES, typeFromName } from '../../dns/mnemonics.js';
import { compileGoRegexp } from '../go-regexp.js';
import { compileTemplate } from './go-template.js';

/** One template, as plain data (a Config holds it; the resolver compiles it). */
export interface TemplateSpec {
  /** RRClass value; ANY (255) matches every class. */
  qclass: number;
  /** RRType value; ANY (255) matches every type. */
  qtype: number;
  /** Lower case, no trailing dot; '.' is the root. */
  zones: string[];
  /** Go regexes as written; empty: every name. */
  match: string[];
  answer: string[];
  additional: string[];
  authority: string[];
  rcode: number;
  ederror?: { code: number; reason: string };
  /** Zones whose names that match no regex go on to the next template or link; absent: SERVFAIL. */
  fallthrough?: string[];
}

/** A directive as the Corefile parser gives it: a name, its words, and a block of the same. */
export interface TemplateNode {
  name: string;
  args: string[];
  block: readonly TemplateNode[];
}

const CLASSES: Record<string, number> = { IN: RRClass.IN, CS: 2, CH: RRClass.CH, HS: 4, ANY: RRClass.ANY };
/** Letters, digits, `-` and `_` in labels of 1-63 (RFC 1035 §2.3.1, with `_` for service names). */
const DOMAIN = /^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/;
/** The rcodes a DNS header holds (4 bits, RFC 1035 §4.1.1, RFC 2136): larger ones need EDNS. */
const HEADER_RCODES = RCODE_NAMES.slice(0, 11);

/**
 * The settings of `directive` (`template CLASS TYPE [ZONE...] { ... }`), with `serverZones` as the
 * zones when it names none. `fail` throws, naming the node that is wrong.
 */
export function templateSpec(
  directive: TemplateNode,
  serverZones: readonly string[],
  fail: (node: TemplateNode, message: string) => never,
): TemplateSpec {
  const [className, typeName, ...zones] = directive.args;
  if (className === undefined || typeName === undefined) {
    fail(directive, 'template: expected template CLASS TYPE [ZONE...]');
  }
  const qclass = CLASSES[className.toUpperCase()];
  if (qclass === undefined)
    fail(directive, `template: invalid query class ${className} (IN, CH, CS, HS or ANY)`);
  const qtype = typeName.toUpperCase() === 'ANY' ? RRType.ANY : typeFromName(typeName);
  if (qtype === undefined)
    fail(directive, `template: invalid query type ${typeName} (A, AAAA, PTR, ... or ANY)`);
  const cidr = zones.find((zone) => zone.includes('/'));
  if (cidr !== undefined) {
    fail(
      directive,
      `template: zone ${cidr}: write the reverse zone it stands for (e.g. 10.in-addr.arpa), not a CIDR`,
    );
  }
  const badZone = zones.map(normalize).find((zone) => zone !== '.' && !DOMAIN.test(zone));
  if (badZone !== undefined)
    fail(directive, `template: zone ${badZone}: expected a domain name such as example.com`);
  const spec: TemplateSpec = {
    qclass,
    qtype,
    zones: (zones.length ? zones : serverZones).map(normalize),
    match: [],
    answer: [],
    additional: [],
    authority: [],
    rcode: 0,
  };
  for (const sub of directive.block) {
    const args = sub.args;
    const some = () => {
      if (args.length === 0)
        fail(sub, `template ${sub.name}: expected ${sub.name} ${sub.name === 'match' ? 'REGEX' : 'RR'}...`);
    };
    const compile = <T>(what: (text: string) => T, text: string) => {
      try {
        return what(text);
      } catch (error) {
        return fail(sub, `template ${sub.name}: ${(error as Error).message}`);
      }
    };
    switch (sub.name) {
      case 'match':
        some();
        for (const regex of args) compile(compileGoRegexp, regex);
        spec.match.push(...args);
        break;
      case 'answer':
      case 'additional':
      case 'authority':
        some();
        for (const text of args) compile(compileTemplate, text);
        spec[sub.name].push(...args);
        break;
      case 'rcode': {
        if (args.length !== 1) fail(sub, 'template rcode: expected rcode CODE');
        const rcode = HEADER_RCODES.indexOf(args[0]!.toUpperCase());
        if (rcode < 0) fail(sub, `template rcode: unknown rcode ${args[0]} (${HEADER_RCODES.join(', ')})`);
        spec.rcode = rcode;
        break;
      }
      case 'ederror': {
        if (args.length < 1 || args.length > 2) fail(sub, 'template ederror: expected ederror CODE [REASON]');
        if (!/^\d{1,5}$/.test(args[0]!) || Number(args[0]) > 0xffff) {
          fail(
            sub,
            `template ederror: "${args[0]}": expected an extended error code from 0 to 65535 (RFC 8914)`,
          );
        }
        spec.ederror = { code: Number(args[0]), reason: args[1] ?? '' };
        break;
      }
      case 'fallthrough':
        spec.fallthrough = args.length ? args.map(normalize) : ['.'];
        break;
      // A no-op since CoreDNS 1.7: CNAME targets are always looked up (setup.go "remove soon").
      case 'upstream':
        break;
      case 'var':
      case 'expr':
        fail(
          sub,
          `template ${sub.name} is not supported (it is newer than CoreDNS 1.14): remove it and match with regexes`,
        );
        break;
      default:
        fail(
          sub,
          `template option "${sub.name}" is not supported: remove it; the template options are match, answer, additional, authority, rcode, ederror, fallthrough`,
        );
    }
  }
  return spec;
}

function normalize(zone: string): string {
  return zone === '.' ? '.' : zone.replace(/\.$/, '').toLowerCase();
}
