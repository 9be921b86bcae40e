// Joins the objects of every zone file into one table. Files are taken in file-name order, so
// when two files define the same service or pod the first file's definition wins.

import type { TableContent } from '../../table/types.js';
import { joinKubernetesObjects } from '../kubernetes/objects.js';
import type { ClusterObject } from '../model.js';

export interface ZoneObjects {
  file: string;
  objects: readonly ClusterObject[];
}

/** A definition dropped because an earlier file (`firstFile`) already defines `object`. */
export interface Duplicate {
  file: string;
  object: string;
  firstFile: string;
}

export function assembleZones(files: readonly ZoneObjects[]): {
  content: TableContent;
  duplicates: Duplicate[];
} {
  const owners = new Map<string, string>();
  const duplicates: Duplicate[] = [];
  const kept: ClusterObject[] = [];
  for (const { file, objects } of [...files].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
  )) {
    for (const object of objects) {
      const key = definitionKey(object);
      const firstFile = key === undefined ? undefined : owners.get(key);
      if (key !== undefined && firstFile !== undefined) {
        // The same file defining an object twice is a duplicate too, but it only needs one mention.
        if (!duplicates.some((d) => d.object === key && d.file === file)) {
          duplicates.push({ file, object: key, firstFile });
        }
        continue;
      }
      if (key !== undefined) owners.set(key, file);
      kept.push(object);
    }
  }
  return { content: joinKubernetesObjects(kept), duplicates };
}

/** Services and pods are definitions; namespaces and slices may legitimately repeat or add up. */
function definitionKey(object: ClusterObject): string | undefined {
  if (object.kind === 'Service') return `service ${object.service.namespace}/${object.service.name}`;
  if (object.kind === 'Pod') return `pod ${object.pod.namespace}/${object.pod.name}`;
  return undefined;
}
