// The backend's copy of the keys under the prefix, each parsed once when it arrives, and their
// conversion into a TableContent. Instances of one service with addresses answer like a headless
// service (A/AAAA for the name, SRV from their ports); a service whose instances name a host is an
// alias (CNAME) for it.

import type { Logger } from 'pino';
import type { Endpoint, PortSpec, Service, TableContent } from '../../table/types.js';
import { FieldError, problemOf } from '../fields.js';
import { joinKubernetesObjects } from '../kubernetes/join.js';
import type { ClusterObject } from '../model.js';
import { isDnsLabel } from '../../dns/label-rules.js';
import { type InstanceKey, type InstanceValue, parseValue, placeKey } from './skydns.js';

type Parsed =
  | { kind: 'instance'; key: InstanceKey; value: InstanceValue }
  | { kind: 'namespace-only'; namespace: string }
  | { kind: 'ignored' };

/**
 * The largest value read. A SkyDNS value is a JSON object of about 100 bytes; 16 KiB leaves room
 * for fields we do not read (a long `text`) while a key holding megabytes (etcd accepts 1.5 MiB by
 * default) is skipped, named in a log line, like a value that is not valid, before it is decoded.
 */
export const ETCD_MAX_VALUE_BYTES = 16 * 1024;

/** One key as etcd hands it over: the value still in bytes, so an oversized one is never decoded. */
export interface EtcdKeyValue {
  key: string;
  value: Uint8Array;
  modRevision: string;
}

interface Entry {
  modRevision: string;
  parsed: Parsed;
}

export class SkyDnsView {
  private readonly entries = new Map<string, Entry>();
  /** Service-level complaints already logged, so a change elsewhere does not repeat them. */
  private complaints = new Set<string>();
  private readonly zones: string[][];

  constructor(
    private readonly prefix: string,
    zones: readonly string[],
    private readonly logger: Logger,
    private readonly maxValueBytes = ETCD_MAX_VALUE_BYTES,
  ) {
    this.zones = zones.map((zone) => zone.split('.').reverse());
  }

  get size(): number {
    return this.entries.size;
  }

  /** Replaces every key with a fresh read; values unchanged since last time are not parsed again. */
  replace(kvs: readonly EtcdKeyValue[]): void {
    const previous = new Map(this.entries);
    this.entries.clear();
    for (const kv of kvs) {
      const old = previous.get(kv.key);
      if (old && old.modRevision === kv.modRevision) this.entries.set(kv.key, old);
      else this.put(kv.key, kv.value, kv.modRevision);
    }
  }

  put(key: string, value: Uint8Array, modRevision: string): void {
    this.entries.set(key, { modRevision, parsed: this.parse(key, value) });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  content(): TableContent {
    const namespaces = new Set<string>();
    const byService = new Map<string, { key: InstanceKey; value: InstanceValue; etcdKey: string }[]>();
    for (const [etcdKey, { parsed }] of this.entries) {
      if (parsed.kind === 'ignored') continue;
      if (parsed.kind === 'namespace-only') {
        namespaces.add(parsed.namespace);
        continue;
      }
      namespaces.add(parsed.key.namespace);
      const id = `${parsed.key.namespace}/${parsed.key.service}`;
      const list = byService.get(id) ?? [];
      list.push({ key: parsed.key, value: parsed.value, etcdKey });
      byService.set(id, list);
    }
    const complaints = new Set<string>();
    const objects: ClusterObject[] = [...namespaces].map((name) => ({ kind: 'Namespace', name }));
    for (const [id, instances] of byService) {
      const service = this.service(id, instances, complaints);
      if (service) objects.push({ kind: 'Service', service });
    }
    this.complaints = complaints;
    return joinKubernetesObjects(objects);
  }

  private service(
    id: string,
    instances: { key: InstanceKey; value: InstanceValue; etcdKey: string }[],
    complaints: Set<string>,
  ): Service | undefined {
    const [namespace, name] = id.split('/') as [string, string];
    instances.sort((a, b) => (a.etcdKey < b.etcdKey ? -1 : a.etcdKey > b.etcdKey ? 1 : 0));
    const withIp = instances.filter((i) => 'ip' in i.value.host);
    const aliases = instances.filter((i) => 'name' in i.value.host);
    const complain = (message: string, fields: object) => {
      complaints.add(message);
      if (!this.complaints.has(message)) this.logger.warn(fields, message);
    };
    if (withIp.length === 0) {
      const targets = [...new Set(aliases.map((i) => (i.value.host as { name: string }).name))];
      if (targets.length > 1) {
        complain(`etcd service ${id}: its instances name ${targets.length} different hosts; skipped`, {
          keys: aliases.map((i) => i.etcdKey),
          hosts: targets,
        });
        return undefined;
      }
      return {
        namespace,
        name,
        type: 'ExternalName',
        externalName: targets[0]!,
        clusterIPs: [],
        ports: [],
        endpoints: [],
      };
    }
    if (aliases.length > 0) {
      complain(`etcd service ${id}: instances naming a host are ignored beside instances with an address`, {
        keys: aliases.map((i) => i.etcdKey),
      });
    }
    const endpoints = withIp.map((i) => endpoint(i.key, i.value));
    return {
      namespace,
      name,
      type: 'Headless',
      clusterIPs: [],
      ports: uniquePorts(endpoints.flatMap((e) => e.ports)),
      endpoints,
    };
  }

  private parse(key: string, value: Uint8Array): Parsed {
    const place = placeKey(key, this.prefix, this.zones);
    if (place.kind === 'other') {
      this.logger.debug({ key }, `etcd key skipped: ${place.reason}`);
      return { kind: 'ignored' };
    }
    try {
      if (value.length > this.maxValueBytes) {
        throw new FieldError(`value is ${value.length} bytes, over the limit of ${this.maxValueBytes}`);
      }
      return { kind: 'instance', key: place.key, value: parseValue(utf8.decode(value)) };
    } catch (error) {
      this.logger.warn({ key }, `etcd key ${key} skipped: ${problemOf(error)}`);
      // The namespace is there even if this one value is not usable.
      return { kind: 'namespace-only', namespace: place.key.namespace };
    }
  }
}

const utf8 = new TextDecoder();

function endpoint(key: InstanceKey, value: InstanceValue): Endpoint {
  const ports: PortSpec[] = [];
  if (value.port !== undefined) {
    ports.push({
      name: key.port?.name ?? value.portName ?? '',
      protocol: key.port?.protocol ?? value.protocol ?? 'TCP',
      port: value.port,
    });
  }
  const hostname = key.instance !== undefined && isDnsLabel(key.instance) ? key.instance : undefined;
  return {
    ip: (value.host as { ip: string }).ip,
    ...(hostname !== undefined ? { hostname } : {}),
    ready: true,
    ports,
    ...(value.weight !== undefined ? { weight: value.weight } : {}),
    ...(value.priority !== undefined ? { priority: value.priority } : {}),
  };
}

function uniquePorts(ports: PortSpec[]): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const p of ports) seen.set(`${p.name}/${p.protocol}/${p.port}`, p);
  return [...seen.values()];
}
