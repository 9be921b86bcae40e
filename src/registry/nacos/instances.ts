// One Nacos instance-list answer → endpoints. Accepts every shape the servers send: the 1.x v1
// list (`dom`, hosts with `valid`), the 2.x v1 and v2 lists (`name`, hosts with `healthy`,
// `enabled`), and the 3.x client list (a bare array of instances). A malformed instance is
// skipped and reported; the rest of the list still counts.

import type { Endpoint } from '../../table/types.js';
import { isDnsLabel } from '../../dns/label-rules.js';
import { isPortNumber } from '../../config/address.js';
import { ipFamily } from '../validate.js';
import { NACOS_MAX_WEIGHT, srvWeight } from './weight.js';

/** The instance metadata key naming the port in `_<name>._tcp` SRV records. */
export const PORT_NAME_KEY = 'dns.port-name';
export const DEFAULT_PORT_NAME = 'http';

export interface InstanceProblem {
  /** The instance as Nacos names it: its instanceId, else ip#port, else its index in the list. */
  instance: string;
  problem: string;
}

export interface InstanceList {
  /** Every well-formed instance; `ready` says whether DNS answers with it. */
  endpoints: Endpoint[];
  problems: InstanceProblem[];
  /** How long the server says the list may be cached, in ms; absent in 3.x answers. */
  cacheMillis?: number;
  /** The server returned unhealthy instances as healthy to keep the service from collapsing. */
  reachProtectionThreshold: boolean;
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a list body (v1 object, v2 `data` object, or v3 `data` array) into endpoints. */
export function readInstanceList(body: unknown): InstanceList {
  const hosts = Array.isArray(body) ? body : isObject(body) ? body.hosts : undefined;
  if (!Array.isArray(hosts)) throw new Error('instance list has no "hosts" array');
  const result: InstanceList = { endpoints: [], problems: [], reachProtectionThreshold: false };
  if (isObject(body)) {
    if (typeof body.cacheMillis === 'number' && body.cacheMillis > 0) result.cacheMillis = body.cacheMillis;
    result.reachProtectionThreshold = body.reachProtectionThreshold === true;
  }
  hosts.forEach((host, index) => {
    const read = readInstance(host, index);
    if ('problem' in read) result.problems.push(read);
    else result.endpoints.push(read);
  });
  return result;
}

function readInstance(host: unknown, index: number): Endpoint | InstanceProblem {
  if (!isObject(host)) return { instance: `#${index}`, problem: 'not an object' };
  const instance = instanceName(host, index);
  const fail = (problem: string): InstanceProblem => ({ instance, problem });
  const { ip, port } = host;
  if (typeof ip !== 'string' || ipFamily(ip) === 0)
    return fail(`ip ${JSON.stringify(ip)} is not an IP address`);
  if (!isPortNumber(port)) return fail(`port ${JSON.stringify(port)} is not an integer 1-65535`);
  // 1.x says `valid`, 2.x and later `healthy`; an instance saying neither is not vouched for.
  const healthy = typeof host.healthy === 'boolean' ? host.healthy : host.valid;
  if (typeof healthy !== 'boolean') return fail('has neither "healthy" nor "valid"');
  const weight = host.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > NACOS_MAX_WEIGHT) {
    return fail(`weight ${JSON.stringify(host.weight)} is not a number 0-${NACOS_MAX_WEIGHT}`);
  }
  // 1.x lists leave disabled instances out and do not send the field.
  const enabled = host.enabled ?? true;
  if (typeof enabled !== 'boolean') return fail(`enabled ${JSON.stringify(enabled)} is not a boolean`);
  const metadata = isObject(host.metadata) ? host.metadata : {};
  const named = metadata[PORT_NAME_KEY];
  const portName = typeof named === 'string' && named !== '' ? named.toLowerCase() : DEFAULT_PORT_NAME;
  if (!isDnsLabel(portName)) return fail(`metadata ${PORT_NAME_KEY} "${String(named)}" is not a DNS label`);
  return {
    ip,
    ready: healthy && enabled && weight > 0,
    ports: [{ name: portName, protocol: 'TCP', port }],
    weight: srvWeight(weight),
  };
}

function instanceName(host: Fields, index: number): string {
  if (typeof host.instanceId === 'string' && host.instanceId !== '') return host.instanceId;
  if (typeof host.ip === 'string') return `${host.ip}#${String(host.port)}`;
  return `#${index}`;
}
