// Joins the objects of every zone file into one table. Files are taken in file-name order, so
// when two files define the same service or pod the first file's definition wins.
//
// The join is joinKubernetesObjects's (slices attach to their service by name; namespaces are
// collected from everything that lives in one), done in slices: `pause` is awaited every
// SLICE objects, so that joining a 10 000-service file (some 30 ms in one go) never holds the
// thread that answers queries for more than a few milliseconds at a time.

import type { Pod, Service, TableContent } from '../../table/types.js';
import { serviceKey } from '../../table/service-index.js';
import { type ServiceObject, type SliceObject, joinService } from '../kubernetes/join.js';
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
  const namespaces = new Set<string>();
  const groups = new Map<string, { service: ServiceObject; slices: SliceObject[] }>();
  const slices: SliceObject[] = [];
  const pods: Pod[] = [];
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
      switch (object.kind) {
        case 'Namespace':
          namespaces.add(object.name);
          break;
        case 'Service':
          namespaces.add(object.service.namespace);
          groups.set(serviceKey(object.service.namespace, object.service.name), {
            service: object,
            slices: [],
          });
          break;
        case 'EndpointSlice':
          namespaces.add(object.namespace);
          slices.push(object);
          break;
        case 'Pod':
          namespaces.add(object.pod.namespace);
          pods.push(object.pod);
      }
    }
  }
  // After every service is known, so a slice in an earlier file still finds its service.
  for (const slice of slices) groups.get(serviceKey(slice.namespace, slice.serviceName))?.slices.push(slice);
  const services: Service[] = [];
  for (const group of groups.values()) {
    if (++count % SLICE === 0) await pause();
    services.push(joinService(group.service, group.slices));
  }
  await pause();
  // Sorted as joinKubernetesObjects sorts them: the same files give the same content, in one order.
  const content = {
    namespaces: [...namespaces].sort(),
    services: services.sort(byName),
    pods: pods.sort(byName),
  };
  return { content, duplicates };
}

function byName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Services and pods are definitions; namespaces and slices may legitimately repeat or add up. */
function definitionKey(object: ClusterObject): string | undefined {
  if (object.kind === 'Service') return `service ${object.service.namespace}/${object.service.name}`;
  if (object.kind === 'Pod') return `pod ${object.pod.namespace}/${object.pod.name}`;
  return undefined;
}
