// One zone file's text → ClusterObjects. Files are YAML streams (JSON is YAML); each document is
// either a Kubernetes object (it has an apiVersion) or a native namespace description.
//
// One YAML parser, js-yaml (YAML 1.2 core schema): it reads the 8.5 MB of a 100 000-service table
// in under 2 s, where `yaml` takes 15 s, and it shares an aliased node rather than copying it, so
// anchors cost nothing to load. What an alias could cost is the walk over the documents, which
// would visit a shared node once per path to it: a "billion laughs" file is 1 KB of text and 10^9
// nodes of tree. The walk below counts the nodes it visits and rejects a file past a bound
// proportional to its size, before any conversion walks it.
// This runs in the parse worker (parse-worker.ts), never on the thread that answers queries.

import { CORE_SCHEMA, YAMLException, loadAll } from 'js-yaml';
import { convertKubernetesDocument } from '../kubernetes/objects.js';
import { describe, isRecord } from '../fields.js';
import { type Conversion, emptyConversion, mergeConversion } from '../model.js';
import { convertNativeDocument, isNativeDocument } from './native.js';

const DOCUMENT_KINDS = 'a Kubernetes object with apiVersion and kind, or a native document with namespace';

/**
 * Nodes a file's documents may expand to, as trees: every node takes at least two characters of
 * text (`1,`), so a file without aliases stays under half its length; aliases may add some more.
 */
export function nodeBudget(textLength: number): number {
  return 100_000 + 2 * textLength;
}

/** A file's bytes → its objects; a file that is not UTF-8 is reported, not read with replacement characters. */
export function parseZoneBytes(bytes: Uint8Array): Conversion {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const result = emptyConversion();
    result.problems.push({ object: 'file', problem: 'not UTF-8 text' });
    return result;
  }
  return parseZoneText(text);
}

export function parseZoneText(text: string): Conversion {
  let documents: unknown[];
  try {
    documents = loadAll(text, null, { schema: CORE_SCHEMA });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const result = emptyConversion();
    result.problems.push({ object: documentAt(text, error.mark?.line), problem: yamlProblem(error) });
    return result;
  }
  const result = emptyConversion();
  const budget = { left: nodeBudget(text.length) };
  for (const [i, value] of documents.entries()) {
    const where = `document ${i + 1}`;
    if (!withinBudget(value, budget)) {
      result.problems.push({
        object: where,
        problem: `aliases expand to more than ${nodeBudget(text.length)} nodes (an alias bomb?); write the values out or use fewer aliases`,
      });
      return result;
    }
    convertDocument(result, value, where);
  }
  return result;
}

/** js-yaml's reason with a 1-based line and column, e.g. "duplicated mapping key at line 2, column 1". */
function yamlProblem(error: YAMLException): string {
  const mark = error.mark;
  if (!mark) return error.reason;
  return `${error.reason} at line ${mark.line + 1}, column ${mark.column + 1}`;
}

/** "document N" for a 0-based line: the `---` markers before it, one for a stream that opens with one. */
function documentAt(text: string, line: number | undefined): string {
  if (line === undefined) return 'document 1';
  const lines = text.split('\n', line + 1);
  let markers = 0;
  let content = false;
  for (const [i, current] of lines.entries()) {
    if (/^---(\s|$)/.test(current)) {
      if (content) markers++;
      content = true;
    } else if (i < line && !/^\s*(#.*)?$/.test(current) && !/^%/.test(current)) content = true;
  }
  return `document ${markers + 1}`;
}

/** Visits `value` as a tree (a shared node once per path to it) until the budget runs out. */
function withinBudget(value: unknown, budget: { left: number }): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (--budget.left < 0) return false;
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item);
      budget.left -= node.length;
    } else if (typeof node === 'object' && node !== null) {
      for (const key in node) {
        const item = (node as Record<string, unknown>)[key];
        if (typeof item === 'object' && item !== null) stack.push(item);
        budget.left--;
      }
    }
  }
  return budget.left >= 0;
}

function convertDocument(result: Conversion, value: unknown, where: string): void {
  if (value !== null && value !== undefined && !isRecord(value)) {
    result.problems.push({
      object: where,
      problem: `expected a mapping (${DOCUMENT_KINDS}), got ${describe(value)}`,
    });
    return;
  }
  const converted = isNativeDocument(value)
    ? convertNativeDocument(value, where)
    : convertKubernetesDocument(value, where);
  mergeConversion(result, converted);
}
