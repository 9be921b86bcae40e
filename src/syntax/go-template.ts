// The part of Go's text/template (https://pkg.go.dev/text/template) that the template plugin's
// README and real Corefiles use, compiled once at start-up to literal text and field look-ups:
//
//   {{ .Name }} {{ .Zone }} {{ .Class }} {{ .Type }} {{ .Remote }} {{ .Regex }}
//   {{ .Group.NAME }} {{ index .Group "NAME" }} {{ index .Match N }}
//
// with `{{-` / `-}}` trimming the white space beside an action and `{{/* comments */}}`, as Go
// does. Anything else (functions such as parseInt, pipelines, variables, if/range, .Message) is
// refused at start-up naming the action and listing what is supported: executing it differently
// from CoreDNS would answer differently.

/** What a template is executed with, per matched question (CoreDNS's templateData). */
export interface TemplateData {
  /** The question name, lower case, with the trailing dot. */
  name: string;
  /** The matched zone, with the trailing dot. */
  zone: string;
  class: string;
  type: string;
  /** The client's IP address. */
  remote: string;
  /** The regex that matched, as written. */
  regex: string;
  /** The whole match, then each group ('' for a group that took no part). */
  match: readonly string[];
  /** Named groups, and every group by its number as a string. */
  group: ReadonlyMap<string, string>;
}

type Part =
  | string
  | { field: 'name' | 'zone' | 'class' | 'type' | 'remote' | 'regex' }
  | { group: string }
  | { match: number };

export type CompiledTemplate = readonly Part[];

export const SUPPORTED_ACTIONS =
  '{{ .Name }}, {{ .Zone }}, {{ .Class }}, {{ .Type }}, {{ .Remote }}, {{ .Regex }}, {{ .Group.NAME }}, {{ index .Group "NAME" }} and {{ index .Match N }}';

const FIELDS: Record<string, Part> = {
  '.Name': { field: 'name' },
  '.Zone': { field: 'zone' },
  '.Class': { field: 'class' },
  '.Type': { field: 'type' },
  '.Remote': { field: 'remote' },
  '.Regex': { field: 'regex' },
};

/** Go prints a missing map key this way (text/template's default missingkey option). */
const NO_VALUE = '<no value>';

/** `text` compiled; throws an Error naming the first action clusterdns does not execute. */
export function compileTemplate(text: string): CompiledTemplate {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      literal += text.slice(i);
      break;
    }
    let before = text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new Error(`unclosed action at "${text.slice(open)}"`);
    let inner = text.slice(open + 2, close);
    let after = close + 2;
    // `{{- ` and ` -}}` trim the white space beside the action (the marker needs a space after it).
    if (/^-\s/.test(inner)) {
      before = before.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      while (after < text.length && /\s/.test(text[after]!)) after++;
    }
    literal += before;
    const part = action(inner.trim(), text.slice(open, close + 2));
    if (part !== undefined) {
      if (literal) parts.push(literal);
      literal = '';
      parts.push(part);
    }
    i = after;
  }
  if (literal) parts.push(literal);
  return parts;
}

function action(inner: string, whole: string): Part | undefined {
  if (inner.startsWith('/*') && inner.endsWith('*/')) return undefined;
  const field = FIELDS[inner];
  if (field) return field;
  let match = /^\.Group\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(inner);
  if (match) return { group: match[1]! };
  match = /^index\s+\.Group\s+"([^"\\]*)"$/.exec(inner);
  if (match) return { group: match[1]! };
  match = /^index\s+\.Match\s+(\d{1,4})$/.exec(inner);
  if (match) return { match: Number(match[1]) };
  throw new Error(`${whole} is not supported: clusterdns executes ${SUPPORTED_ACTIONS}`);
}

/** The template's text for `data`; throws when `index .Match N` is out of range, as Go does. */
export function executeTemplate(template: CompiledTemplate, data: TemplateData): string {
  let out = '';
  for (const part of template) {
    if (typeof part === 'string') out += part;
    else if ('field' in part) out += data[part.field];
    else if ('group' in part) out += data.group.get(part.group) ?? NO_VALUE;
    else {
      const value = data.match[part.match];
      if (value === undefined) {
        throw new Error(`index .Match ${part.match}: out of range (${data.match.length} matches)`);
      }
      out += value;
    }
  }
  return out;
}
