// Joins the objects of every zone file into one table. Files are taken in file-name order, so
// when two files define the same service or pod the first file's definition wins.
//
// The join is the Kubernetes objects' (ObjectJoin), with `pause` awaited every SLICE objects, so
// that joining a 10 000-service file (some 30 ms in one go) never holds the thread that answers
// queries for more than a few milliseconds at a time.

import type { Service, TableContent } from '../../table/types.js';
import { ObjectJoin } from '../kubernetes/join.js';
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

/** Objects handled between two pauses. */
const SLICE = 2000;

export async function assembleZones(
  files: readonly ZoneObjects[],
  pause: () => Promise<void> = () => Promise.resolve(),
): Promise<{ content: TableContent; duplicates: Duplicate[] }> {
  const owners = new Map<string, string>();
  const duplicates: Duplicate[] = [];
  const join = new ObjectJoin();
  let count = 0;
  for (const { file, objects } of [...files].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
  )) {
    for (const object of objects) {
      if (++count % SLICE === 0) await pause();
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
      join.add(object);
    }
  }
  const services: Service[] = [];
  for (const service of join.services()) {
    if (++count % SLICE === 0) await pause();
    services.push(service);
  }
  await pause();
  return { content: join.content(services), duplicates };
}

/** Services, pods and nodes are definitions; namespaces and slices may legitimately repeat or add up. */
function definitionKey(object: ClusterObject): string | undefined {
  if (object.kind === 'Service') {
    const { namespace, name, imported } = object.service;
    return `${imported ? 'serviceimport' : 'service'} ${namespace}/${name}`;
  }
  if (object.kind === 'Pod') return `pod ${object.pod.namespace}/${object.pod.name}`;
  if (object.kind === 'Node') return `node ${object.name}`;
  return undefined;
}
