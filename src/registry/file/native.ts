// The native zone format: a compact, hand-writable description of one namespace (see README.md).
// A document is native when it has no `apiVersion`; it converts to the same ClusterObjects as
// Kubernetes objects, so both formats join into one table.

import type { Endpoint, PortSpec, Service } from '../../table/types.js';
import {
  type Fields,
  FieldError,
  boolean,
  child,
  domainName,
  fail,
  ip,
  isRecord,
  label,
  list,
  optionalLabel,
  optionalLabelValue,
  optionalString,
  port,
  problemOf,
  portName,
  protocol,
  record,
  subdomain,
} from '../fields.js';
import { type Conversion, emptyConversion } from '../model.js';
import { PORT_RULE, isPortNumber } from '../../config/address.js';
import { trafficDistribution } from '../kubernetes/service.js';

const DOCUMENT_KEYS = ['namespace', 'services', 'pods'];
const SERVICE_KEYS = [
  'clusterIP',
  'clusterIPs',
  'headless',
  'externalName',
  'externalIPs',
  'trafficDistribution',
  'ports',
  'endpoints',
];
const ENDPOINT_KEYS = ['ip', 'hostname', 'ready', 'node', 'pod', 'zone', 'ports'];
const PORT_KEYS = ['name', 'port', 'protocol'];
const PORT_SYNTAX = '"name:port/protocol" (name and protocol optional, e.g. http:80, dns:53/udp or 8080)';

/** Kubernetes documents carry an apiVersion; anything else is read as native. */
export function isNativeDocument(doc: unknown): boolean {
  return isRecord(doc) && !('apiVersion' in doc);
}

/** Converts one native document; `where` ("document 2") names it while its namespace is unknown. */
export function convertNativeDocument(doc: unknown, where: string): Conversion {
  const result = emptyConversion();
  if (doc === null || doc === undefined) return result;

  let namespace: string;
  let services: Fields;
  let pods: Fields;
  try {
    const fields = record(doc, 'document');
    namespace = label(fields.namespace, 'namespace');
    where = `namespace ${namespace}`; // from here on, problems can name the namespace
    onlyKeys(fields, DOCUMENT_KEYS, '');
    services = optionalMapping(fields.services, 'services');
    pods = optionalMapping(fields.pods, 'pods');
  } catch (error) {
    result.problems.push({ object: where, problem: problemOf(error) });
    return result;
  }

  result.objects.push({ kind: 'Namespace', name: namespace });
  for (const [name, spec] of Object.entries(services)) {
    const object = `service ${namespace}/${name}`;
    try {
      result.objects.push({ kind: 'Service', service: convertService(namespace, name, spec) });
    } catch (error) {
      result.problems.push({ object, problem: problemOf(error) });
    }
  }
  for (const [name, ips] of Object.entries(pods)) {
    try {
      const addresses = typeof ips === 'string' ? [ips] : list(ips, 'ips');
      result.objects.push({
        kind: 'Pod',
        pod: {
          namespace,
          name: subdomain(name, 'name'),
          ips: addresses.map((a, i) => ip(a, Array.isArray(ips) ? `ips[${i}]` : 'ip')),
        },
      });
    } catch (error) {
      result.problems.push({ object: `pod ${namespace}/${name}`, problem: problemOf(error) });
    }
  }
  return result;
}

function convertService(namespace: string, name: string, value: unknown): Service {
  const fields = value === null || value === undefined ? {} : record(value, 'service');
  onlyKeys(fields, SERVICE_KEYS, '');
  const ports = list(fields.ports, 'ports').map((p, i) => nativePort(p, child('ports', i)));
  const service: Service = {
    namespace,
    name: label(name, 'name'),
    type: 'ClusterIP',
    clusterIPs: [],
    ports,
    endpoints: list(fields.endpoints, 'endpoints').map((e, i) =>
      nativeEndpoint(e, child('endpoints', i), ports),
    ),
  };
  // Addresses outside the cluster (a Service's spec.externalIPs or load balancer), for k8s_external.
  const external = list(fields.externalIPs, 'externalIPs').map((value, i) =>
    ip(value, child('externalIPs', i)),
  );
  if (external.length) service.externalIPs = external;
  Object.assign(service, trafficDistribution(fields.trafficDistribution));

  const headless = fields.headless === undefined ? false : boolean(fields.headless, 'headless');
  const ips = clusterIPs(fields);
  const kinds = [headless, ips !== undefined, fields.externalName !== undefined].filter(Boolean).length;
  if (kinds !== 1) {
    throw new FieldError(
      kinds === 0
        ? 'expected one of clusterIP, clusterIPs, headless: true or externalName'
        : 'clusterIP(s), headless: true and externalName exclude each other; keep one',
    );
  }

  if (fields.externalName !== undefined) {
    if (service.endpoints.length > 0) {
      throw new FieldError('endpoints: an externalName service has no endpoints');
    }
    return {
      ...service,
      type: 'ExternalName',
      externalName: domainName(fields.externalName, 'externalName'),
    };
  }
  // `clusterIP: None` is how Kubernetes spells headless; accept it for readers used to that.
  if (headless || ips?.[0] === 'None') return { ...service, type: 'Headless' };
  return { ...service, clusterIPs: ips ?? [] };
}

function clusterIPs(fields: Fields): string[] | undefined {
  if (fields.clusterIP !== undefined && fields.clusterIPs !== undefined) {
    throw new FieldError('clusterIP and clusterIPs exclude each other; keep one');
  }
  if (fields.clusterIP !== undefined) {
    return fields.clusterIP === 'None' ? ['None'] : [ip(fields.clusterIP, 'clusterIP')];
  }
  if (fields.clusterIPs === undefined) return undefined;
  const ips = list(fields.clusterIPs, 'clusterIPs');
  if (ips.length === 0) fail('clusterIPs', 'at least one IP address', fields.clusterIPs);
  return ips.map((value, i) => ip(value, child('clusterIPs', i)));
}

/** `http:80`, `dns:53/udp`, `8080`, or the long form `{ name, port, protocol }`. */
function nativePort(value: unknown, path: string): PortSpec {
  if (typeof value === 'number') return { name: '', protocol: 'TCP', port: port(value, path) };
  if (isRecord(value)) {
    // `[http: 80]` (with a space) parses as a one-entry mapping; say how to write it instead.
    if (!('port' in value)) fail(path, `${PORT_SYNTAX} (write it without a space after ":")`, value);
    onlyKeys(value, PORT_KEYS, path);
    return {
      name: portName(value.name, child(path, 'name')),
      protocol: protocol(value.protocol, child(path, 'protocol')),
      port: port(value.port, child(path, 'port')),
    };
  }
  const match =
    typeof value === 'string' ? /^(?:([^:/]*):)?([^:/]+)(?:\/([^:/]+))?$/.exec(value.trim()) : null;
  if (!match) fail(path, PORT_SYNTAX, value);
  const [, name, number, proto] = match;
  const parsed = /^\d+$/.test(number ?? '') ? Number(number) : Number.NaN;
  if (!isPortNumber(parsed)) fail(path, `${PORT_RULE} as the port`, value);
  return { name: portName(name, path), protocol: protocol(proto, path), port: parsed };
}

/** A bare IP, or `{ ip, hostname, ready, node, zone, pod, ports }`; ready unless `ready: false`. */
function nativeEndpoint(value: unknown, path: string, servicePorts: PortSpec[]): Endpoint {
  if (typeof value === 'string') {
    return { ip: ip(value, path), ready: true, ports: servicePorts };
  }
  const fields = record(value, path);
  onlyKeys(fields, ENDPOINT_KEYS, path);
  const endpoint: Endpoint = {
    ip: ip(fields.ip, child(path, 'ip')),
    ready: fields.ready === undefined ? true : boolean(fields.ready, child(path, 'ready')),
    ports:
      fields.ports === undefined
        ? servicePorts
        : list(fields.ports, child(path, 'ports')).map((p, i) =>
            nativePort(p, child(child(path, 'ports'), i)),
          ),
  };
  const hostname = optionalLabel(fields.hostname, child(path, 'hostname'));
  const nodeName = optionalString(fields.node, child(path, 'node'));
  const podName = optionalString(fields.pod, child(path, 'pod'));
  if (hostname !== undefined) endpoint.hostname = hostname;
  if (nodeName !== undefined) endpoint.nodeName = nodeName;
  if (podName !== undefined) endpoint.podName = podName;
  const zone = optionalLabelValue(fields.zone, child(path, 'zone'));
  if (zone !== undefined) endpoint.zone = zone;
  return endpoint;
}

/** `services:` with nothing under it is an empty mapping, not an error. */
function optionalMapping(value: unknown, path: string): Fields {
  return value === undefined || value === null ? {} : record(value, path);
}

/** Hand-written files get typos; an unknown key is reported rather than silently ignored. */
function onlyKeys(fields: Fields, allowed: string[], path: string): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      throw new FieldError(`${child(path, key)}: unknown key; expected one of ${allowed.join(', ')}`);
    }
  }
}
