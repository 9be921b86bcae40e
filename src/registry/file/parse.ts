// One zone file's text → ClusterObjects. Files are YAML streams (JSON is YAML); each document is
// either a Kubernetes object (it has an apiVersion) or a native namespace description.

import { parseAllDocuments } from 'yaml';
import { convertKubernetesDocument } from '../kubernetes/objects.js';
import { describe, isRecord } from '../fields.js';
import { type Conversion, emptyConversion, mergeConversion } from '../model.js';
import { convertNativeDocument, isNativeDocument } from './native.js';

const DOCUMENT_KINDS = 'a Kubernetes object with apiVersion and kind, or a native document with namespace';

export function parseZoneText(text: string): Conversion {
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
    if (value !== null && !isRecord(value)) {
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
  });
  return result;
}
