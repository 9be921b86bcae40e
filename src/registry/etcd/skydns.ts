// The SkyDNS layout CoreDNS's etcd plugin reads, so data written for it serves here unchanged: a
// name is stored reversed under the prefix (`web.shop.svc.cluster.local` ⇒
// `/skydns/local/cluster/svc/shop/web`), each instance a key below it, each value a JSON object
// (coredns plugin/etcd/msg/path.go and service.go). Two optional fields of our own name the port
// for `_port._proto` SRV names; SkyDNS readers ignore fields they do not know.

import type { Protocol } from '../../table/types.js';
import {
  FieldError,
  domainName,
  fail,
  ip,
  isRecord,
  optionalLabel,
  port as portNumber,
  protocol as protocolOf,
} from '../fields.js';
import { isDnsLabel } from '../../dns/label-rules.js';
import { ipFamily, toProtocol } from '../validate.js';

/** Where a key sits in the cluster zone's `svc` layout. */
export interface InstanceKey {
  namespace: string;
  service: string;
  /** The last key segment; undefined for a value stored at the service's own key. */
  instance?: string;
  /** From a SkyDNS named-port key (`…/<svc>/_tcp/_http/<instance>`). */
  port?: { name: string; protocol: Protocol };
}

export type KeyPlace = { kind: 'instance'; key: InstanceKey } | { kind: 'other'; reason: string };

/** One instance as its value describes it: an address, or a name to alias (CNAME). */
export interface InstanceValue {
  host: { ip: string } | { name: string };
  /** Absent or 0: no port (the instance answers A/AAAA but has no SRV). */
  port?: number;
  priority?: number;
  /** Absent or 0: the SRV weight is shared out evenly, as CoreDNS does. */
  weight?: number;
  ttl?: number;
  /** Our extension: the port's name, making `_<portname>._<protocol>.<svc>…` SRV names. */
  portName?: string;
  /** Our extension: tcp (default), udp or sctp. */
  protocol?: Protocol;
}

/** The etcd key of one instance: the name `<instance>.<svc>.<ns>.svc.<zone>` reversed under the prefix. */
export function instanceKey(prefix: string, zone: string, key: Required<Omit<InstanceKey, 'port'>>): string {
  const reversed = [...zone.split('.').reverse(), 'svc', key.namespace, key.service, key.instance];
  return `${prefix}/${reversed.join('/')}`;
}

/**
 * Where `key` maps in the table. `zones` are the served forward zones, each as its labels
 * reversed (`cluster.local` ⇒ ['local', 'cluster']).
 */
export function placeKey(key: string, prefix: string, zones: readonly string[][]): KeyPlace {
  if (!key.startsWith(`${prefix}/`)) return { kind: 'other', reason: 'outside the prefix' };
  const segments = key
    .slice(prefix.length + 1)
    .split('/')
    .map((s) => s.toLowerCase());
  const zone = zones.find((labels) => labels.every((label, i) => segments[i] === label));
  if (!zone) return { kind: 'other', reason: 'not in a served cluster zone' };
  const rest = segments.slice(zone.length);
  if (rest[0] !== 'svc') return { kind: 'other', reason: 'not a service name (no svc label)' };
  const [, namespace, service, ...below] = rest;
  if (namespace === undefined || service === undefined) {
    return { kind: 'other', reason: 'no namespace and service labels' };
  }
  if (!isDnsLabel(namespace)) return { kind: 'other', reason: `namespace "${namespace}" is not a DNS label` };
  if (!isDnsLabel(service)) return { kind: 'other', reason: `service "${service}" is not a DNS label` };
  const place = (more: Partial<InstanceKey>): KeyPlace => ({
    kind: 'instance',
    key: { namespace, service, ...more },
  });
  if (below.length === 0) return place({});
  if (below.length === 1) return place({ instance: below[0]! });
  // SkyDNS writes named ports as `_<proto>/_<name>` below the service (the name reversed).
  const [proto, name, instance, ...deeper] = below;
  const protocol = proto?.startsWith('_') ? toProtocol(proto.slice(1)) : undefined;
  const portName = name?.startsWith('_') ? name.slice(1) : undefined;
  if (protocol && portName !== undefined && isDnsLabel(portName) && deeper.length === 0) {
    return place({ port: { name: portName, protocol }, ...(instance !== undefined ? { instance } : {}) });
  }
  return { kind: 'other', reason: 'deeper than <service>/<instance>' };
}

/** Reads one value; throws a FieldError saying what is wrong with it. */
export function parseValue(text: string): InstanceValue {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FieldError(`value is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(json)) fail('value', 'a JSON object', json);
  const rawHost = typeof json.host === 'string' ? json.host.trim() : json.host;
  const host =
    typeof rawHost === 'string' && ipFamily(rawHost) !== 0
      ? { ip: ip(rawHost, 'host') }
      : { name: domainName(rawHost, 'host') };
  const value: InstanceValue = { host };
  const port = optionalInteger(json.port, 'port', 0, 65535);
  if (port) value.port = portNumber(port, 'port');
  const priority = optionalInteger(json.priority, 'priority', 0, 65535);
  if (priority !== undefined) value.priority = priority;
  const weight = optionalInteger(json.weight, 'weight', 0, 65535);
  if (weight) value.weight = weight;
  const ttl = optionalInteger(json.ttl, 'ttl', 0, 2 ** 31 - 1);
  if (ttl !== undefined) value.ttl = ttl;
  const portName = optionalLabel(json.portname, 'portname');
  if (portName !== undefined) value.portName = portName;
  if (json.protocol !== undefined && json.protocol !== null && json.protocol !== '') {
    value.protocol = protocolOf(json.protocol, 'protocol');
  }
  return value;
}

/** The JSON a registration writes: SkyDNS's fields plus our `portname`/`protocol`. */
export function formatValue(value: {
  ip: string;
  port: number;
  portName?: string;
  protocol: Protocol;
  priority: number;
  weight: number;
  ttl: number;
}): string {
  return JSON.stringify({
    host: value.ip,
    port: value.port,
    priority: value.priority,
    weight: value.weight,
    ttl: value.ttl,
    ...(value.portName ? { portname: value.portName } : {}),
    protocol: value.protocol.toLowerCase(),
  });
}

function optionalInteger(value: unknown, path: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `an integer ${min}-${max}`, value);
  }
  return value;
}
