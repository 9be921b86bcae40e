// One zone file's text → ClusterObjects. Files are YAML streams (JSON is YAML); each document is
// either a Kubernetes object (it has an apiVersion) or a native namespace description.
//
// Two YAML parsers, for speed and for clear errors. js-yaml reads a file first: it reads the
// 8.5 MB of a 100 000-service table in under 2 s, where `yaml` takes 15 s. A file js-yaml rejects,
// or one with anchors, is read again by `yaml`, which names the line and column of a problem, keeps
// the documents before it, and bounds how far aliases expand.

import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { convertKubernetesDocument } from '../kubernetes/objects.js';
import { describe, isRecord } from '../fields.js';
import { type Conversion, emptyConversion, mergeConversion } from '../model.js';
import { convertNativeDocument, isNativeDocument } from './native.js';

const DOCUMENT_KINDS = 'a Kubernetes object with apiVersion and kind, or a native document with namespace';

export function parseZoneText(text: string): Conversion {
  const documents = quickDocuments(text);
  return documents ? convertDocuments(documents) : parseWithPositions(text);
}

/** The documents as js-yaml reads them (YAML 1.2 core schema, as `yaml`), or undefined to read again. */
function quickDocuments(text: string): unknown[] | undefined {
  // An anchor's aliases are shared by js-yaml, expanded by `yaml`, whose alias limit guards the walk.
  if (text.includes('&')) return undefined;
  try {
    return loadAll(text, null, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
}

function convertDocuments(documents: readonly unknown[]): Conversion {
  const result = emptyConversion();
  documents.forEach((value, i) => convertDocument(result, value, `document ${i + 1}`));
  return result;
}

/** The documents as `yaml` reads them, with a YAML error's line and column as the problem. */
function parseWithPositions(text: string): Conversion {
  const result = emptyConversion();
  parseAllDocuments(text).forEach((document, i) => {
    const where = `document ${i + 1}`;
    const [error] = document.errors;
    if (error) {
      // The library's message already ends in "at line L, column C" followed by a source excerpt.
      result.problems.push({ object: where, problem: error.message.split('\n')[0]!.replace(/:$/, '') });
      return;
    }
    let value: unknown;
    try {
      value = document.toJS();
    } catch (failure) {
      // e.g. an alias to an anchor that is never defined
      const message = failure instanceof Error ? failure.message : String(failure);
      result.problems.push({ object: where, problem: message });
      return;
    }
    convertDocument(result, value, where);
  });
  return result;
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
