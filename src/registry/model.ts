// The objects every registry source (zone files, the Kubernetes API, etcd) is converted into
// before they are joined into one TableContent. Keeping Services, EndpointSlices and Pods apart
// until the join lets a slice in one source attach to a Service read from another.

import type { Endpoint, Pod, Service } from '../table/types.js';

export type ClusterObject =
  | { kind: 'Namespace'; name: string }
  /**
   * A Service, or a ServiceImport (`service.imported`). `service.endpoints` holds endpoints written
   * inline (native format); slices add to them.
   */
  | { kind: 'Service'; service: Service }
  | {
      kind: 'EndpointSlice';
      namespace: string;
      name: string;
      serviceName: string;
      endpoints: Endpoint[];
      /** An MCS controller's slice: it feeds the ServiceImport `serviceName`, not a Service. */
      imported?: true;
    }
  | { kind: 'Pod'; pod: Pod }
  /** A node's topology zone, which the pods on it take as theirs (topology-aware answers). */
  | { kind: 'Node'; name: string; zone?: string };

/** Something a user must fix: `object` says which ("Service shop/web"), `problem` where and what. */
export interface Problem {
  object: string;
  problem: string;
}

/** An object deliberately ignored (a Deployment, a slice without a service): worth a debug line. */
export interface Skipped {
  object: string;
  reason: string;
}

export interface Conversion {
  objects: ClusterObject[];
  skipped: Skipped[];
  problems: Problem[];
}

export function emptyConversion(): Conversion {
  return { objects: [], skipped: [], problems: [] };
}

/** Appends `more` to `into` (used to merge per-document results). */
export function mergeConversion(into: Conversion, more: Conversion): Conversion {
  into.objects.push(...more.objects);
  into.skipped.push(...more.skipped);
  into.problems.push(...more.problems);
  return into;
}
