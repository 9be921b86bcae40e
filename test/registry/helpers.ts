// Builders for Kubernetes objects shaped as `kubectl get -o yaml` prints them, and a pino logger
// whose lines can be inspected.

import pino from 'pino';
import type { BackendSink } from '../../src/registry/backend.js';
import type { Pod, Service, TableContent } from '../../src/table/types.js';
import { keyOf } from '../../src/table/service-index.js';

type Fields = Record<string, unknown>;

export function namespace(name: string): Fields {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, resourceVersion: '1', uid: `uid-${name}` },
  };
}

export function service(ns: string, name: string, spec: Fields): Fields {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, resourceVersion: '10', uid: `uid-${ns}-${name}` },
    spec,
    status: { loadBalancer: {} },
  };
}

export function slice(
  ns: string,
  name: string,
  serviceName: string | undefined,
  body: { addressType?: string; endpoints?: unknown[]; ports?: unknown[] },
): Fields {
  const labels: Fields = { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
  if (serviceName !== undefined) labels['kubernetes.io/service-name'] = serviceName;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: body.addressType ?? 'IPv4',
    metadata: { name, namespace: ns, labels, resourceVersion: '11' },
    endpoints: body.endpoints ?? [],
    ports: body.ports ?? [],
  };
}

export function pod(ns: string, name: string, status: Fields): Fields {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { nodeName: 'node-a' },
    status,
  };
}

export function list(...items: unknown[]): Fields {
  return { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A debug-level logger that records every line it writes. */
export function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

export const WARN = 40;

/**
 * A backend sink that hands `onContent` the backend's whole view after each delivery (the file
 * backend delivers its first view whole and changes after it; both are folded into the view here,
 * as the table does), and ignores freshness.
 */
export function sinkOf(onContent: (content: TableContent) => void): BackendSink {
  const services = new Map<string, Service>();
  let namespaces: string[] = [];
  let pods: Pod[] = [];
  const view = (): TableContent => ({
    namespaces,
    services: [...services.values()].sort((a, b) =>
      a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace),
    ),
    pods: [...pods].sort((a, b) =>
      a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace),
    ),
  });
  return {
    content: (content) => {
      services.clear();
      for (const service of content.services) services.set(keyOf(service), service);
      namespaces = content.namespaces;
      pods = content.pods;
      onContent(view());
    },
    changes: (changes) => {
      for (const [key, service] of changes.services) {
        if (service) services.set(key, service);
        else services.delete(key);
      }
      if (changes.namespaces) namespaces = changes.namespaces;
      if (changes.pods) pods = changes.pods;
      onContent(view());
    },
    fresh: () => {},
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
