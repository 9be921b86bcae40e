// discovery.k8s.io/v1 EndpointSlice → the endpoints of one service. Each address of each
// endpoint becomes one Endpoint carrying the slice's ports.

import type { Endpoint, PortSpec } from '../../table/types.js';
import type { ClusterObject } from '../model.js';
import {
  type Fields,
  child,
  fail,
  internedValue,
  ip,
  isRecord,
  label,
  list,
  optionalLabel,
  optionalLabelValue,
  optionalRecord,
  optionalString,
  record,
  subdomain,
} from '../fields.js';
import { slicePort } from './ports.js';
import { MC_SERVICE_NAME_LABEL, MC_SOURCE_CLUSTER_LABEL } from './service-import.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export type SliceResult = Extract<ClusterObject, { kind: 'EndpointSlice' }> | { skip: string };

export function convertEndpointSlice(object: Fields, namespace: string, name: string): SliceResult {
  const labels = optionalRecord(record(object.metadata, 'metadata').labels, 'metadata.labels');
  // An MCS controller's slice belongs to a ServiceImport, whatever other labels it carries: it is
  // never an endpoint of this cluster's own Service (KEP-1645, "EndpointSlice").
  const imported = present(labels[MC_SERVICE_NAME_LABEL]);
  const ownerLabel = imported ? MC_SERVICE_NAME_LABEL : SERVICE_NAME_LABEL;
  const owner = labels[ownerLabel];
  if (!present(owner)) {
    return { skip: `it has no ${SERVICE_NAME_LABEL} label, so it belongs to no service` };
  }
  const serviceName = label(owner, `metadata.labels["${ownerLabel}"]`);
  const clusterId = imported
    ? label(labels[MC_SOURCE_CLUSTER_LABEL], `metadata.labels["${MC_SOURCE_CLUSTER_LABEL}"]`)
    : undefined;

  const addressType = object.addressType;
  if (addressType === 'FQDN') return { skip: 'FQDN slices have no addresses to serve' };
  if (addressType !== 'IPv4' && addressType !== 'IPv6') {
    fail('addressType', 'IPv4, IPv6 or FQDN', addressType);
  }
  const family = addressType === 'IPv4' ? 4 : 6;

  const ports = list(object.ports, 'ports')
    .map((p, i) => slicePort(p, child('ports', i)))
    .filter((p): p is PortSpec => p !== undefined);
  const endpoints = list(object.endpoints, 'endpoints').flatMap((e, i) =>
    convertEndpoint(e, child('endpoints', i), family, ports),
  );
  if (clusterId !== undefined) for (const endpoint of endpoints) endpoint.clusterId = clusterId;
  return {
    kind: 'EndpointSlice',
    namespace,
    name: subdomain(name, 'metadata.name'),
    serviceName,
    endpoints,
    ...(imported && { imported: true as const }),
  };
}

/** Whether a raw EndpointSlice is an MCS controller's (read before converting it). */
export function isImportedSlice(raw: unknown): boolean {
  const metadata = isRecord(raw) ? raw.metadata : undefined;
  const labels = isRecord(metadata) ? metadata.labels : undefined;
  return isRecord(labels) && present(labels[MC_SERVICE_NAME_LABEL]);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function convertEndpoint(value: unknown, path: string, family: 4 | 6, ports: PortSpec[]): Endpoint[] {
  const fields = record(value, path);
  const addresses = list(fields.addresses, child(path, 'addresses'));
  if (addresses.length === 0) fail(child(path, 'addresses'), 'at least one address', fields.addresses);

  // Only `ready` decides, as in CoreDNS: absent or null means ready; serving/terminating are ignored.
  const ready = optionalRecord(fields.conditions, child(path, 'conditions')).ready;
  if (ready !== undefined && ready !== null && typeof ready !== 'boolean') {
    fail(child(path, 'conditions.ready'), 'true, false or nothing', ready);
  }
  const hostname = optionalLabel(fields.hostname, child(path, 'hostname'));
  const nodeNameField = optionalString(fields.nodeName, child(path, 'nodeName'));
  const nodeName = nodeNameField === undefined ? undefined : internedValue(nodeNameField);
  // The zone the EndpointSlice controller copies from the node's topology.kubernetes.io/zone label
  // (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/endpoint-slice-v1/).
  const zone = optionalLabelValue(fields.zone, child(path, 'zone'));
  const targetRef = optionalRecord(fields.targetRef, child(path, 'targetRef'));
  const podName =
    targetRef.kind === 'Pod' ? optionalString(targetRef.name, child(path, 'targetRef.name')) : undefined;

  return addresses.map((address, i) => {
    const endpoint: Endpoint = {
      ip: ip(address, child(child(path, 'addresses'), i), family),
      ready: ready !== false,
      ports,
    };
    if (hostname !== undefined) endpoint.hostname = hostname;
    if (nodeName !== undefined) endpoint.nodeName = nodeName;
    if (zone !== undefined) endpoint.zone = zone;
    if (podName !== undefined) endpoint.podName = podName;
    return endpoint;
  });
}
