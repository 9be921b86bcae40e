// Kubernetes objects, as `kubectl get -A -o yaml` prints them or the API returns them, converted
// into ClusterObjects. Free of I/O so the zone files and a live API source can share it.

import type { ClusterObject, Conversion } from '../model.js';
import { emptyConversion, mergeConversion } from '../model.js';
import { type Fields, describe, isRecord, label, list, problemOf, record, string } from '../fields.js';
import { convertEndpointSlice } from './endpointslice.js';
import { convertNode } from './node.js';
import { convertPod } from './pod.js';
import { convertService } from './service.js';
import { SERVICE_IMPORT_API_VERSION, convertServiceImport } from './service-import.js';

export { joinKubernetesObjects } from './join.js';
export { SERVICE_NAME_LABEL } from './endpointslice.js';

type Converted = ClusterObject | { skip: string };
type Converter = (object: Fields, namespace: string, name: string) => Converted;

/** Keyed by "apiVersion kind"; every other kind is skipped. */
const CONVERTERS: Record<string, { namespaced: boolean; convert: Converter }> = {
  'v1 Namespace': {
    namespaced: false,
    convert: (_o, _ns, name) => ({ kind: 'Namespace', name: label(name, 'metadata.name') }),
  },
  'v1 Service': {
    namespaced: true,
    convert: (o, ns, name) => ({ kind: 'Service', service: convertService(o, ns, name) }),
  },
  'discovery.k8s.io/v1 EndpointSlice': { namespaced: true, convert: convertEndpointSlice },
  [`${SERVICE_IMPORT_API_VERSION} ServiceImport`]: {
    namespaced: true,
    convert: (o, ns, name) => ({ kind: 'Service', service: convertServiceImport(o, ns, name) }),
  },
  'v1 Pod': { namespaced: true, convert: (o, ns, name) => ({ kind: 'Pod', pod: convertPod(o, ns, name) }) },
  'v1 Node': { namespaced: false, convert: convertNode },
};

/** Converts parsed documents; problems name an unnamed object "document N" (1-based). */
export function convertKubernetesObjects(documents: readonly unknown[]): Conversion {
  const result = emptyConversion();
  documents.forEach((doc, i) => mergeConversion(result, convertKubernetesDocument(doc, `document ${i + 1}`)));
  return result;
}

/**
 * Converts one document: an object, or a v1 List of them (nested lists are flattened).
 * `where` names the document in problems when the object itself has no name.
 */
export function convertKubernetesDocument(doc: unknown, where: string): Conversion {
  const result = emptyConversion();
  if (doc === null || doc === undefined) return result; // an empty YAML document
  if (!isRecord(doc)) {
    result.problems.push({
      object: where,
      problem: `expected a Kubernetes object (a mapping), got ${describe(doc)}`,
    });
    return result;
  }

  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || kind === '') {
    const problem =
      typeof apiVersion !== 'string'
        ? `apiVersion: expected a string, got ${describe(apiVersion)}`
        : `kind: expected a string, got ${describe(kind)}`;
    result.problems.push({ object: where, problem });
    return result;
  }

  if (apiVersion === 'v1' && kind === 'List') {
    try {
      list(doc.items, 'items').forEach((item, i) =>
        mergeConversion(result, convertKubernetesDocument(item, `${where} items[${i}]`)),
      );
    } catch (error) {
      result.problems.push({ object: where, problem: problemOf(error) });
    }
    return result;
  }

  const converter = CONVERTERS[`${apiVersion} ${kind}`];
  const object = objectName(doc, kind, where);
  if (!converter) {
    result.skipped.push({ object, reason: `${apiVersion} ${kind} is not used by DNS` });
    return result;
  }
  try {
    const metadata = record(doc.metadata, 'metadata');
    const name = string(metadata.name, 'metadata.name');
    // Objects in a hand-made manifest often omit the namespace; kubectl would apply them to "default".
    const namespace = converter.namespaced
      ? label(metadata.namespace ?? 'default', 'metadata.namespace')
      : '';
    const converted = converter.convert(doc, namespace, name);
    if ('skip' in converted) result.skipped.push({ object, reason: converted.skip });
    else result.objects.push(converted);
  } catch (error) {
    result.problems.push({ object, problem: problemOf(error) });
  }
  return result;
}

/** "Service shop/web", "Namespace shop", or the document's position when it has no name. */
function objectName(doc: Fields, kind: string, where: string): string {
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name === '') return where;
  return typeof namespace === 'string' && namespace !== ''
    ? `${kind} ${namespace}/${name}`
    : `${kind} ${name}`;
}
