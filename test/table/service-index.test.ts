// The index is updated in place, one changed service at a time. Whatever sequence of changes it
// went through, it must answer exactly as an index built at once from the final content.

import { describe, expect, it } from 'vitest';
import { ipKey } from '../../src/table/ip.js';
import { endpointLabel, type ServiceIndex } from '../../src/table/service-index.js';
import { ServiceTable } from '../../src/table/table.js';
import type { Service, TableContent } from '../../src/table/types.js';

/** A small deterministic random generator, so a failure replays. */
function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state % n;
  };
}

const NAMESPACES = ['shop', 'data', 'ops'];

function randomService(pick: (n: number) => number, name: string, clusterIpHost: number): Service {
  const namespace = NAMESPACES[pick(NAMESPACES.length)]!;
  const headless = pick(3) === 0;
  // Endpoint addresses come from a small pool, so services share them (one PTR per service).
  const endpoints = Array.from({ length: pick(4) }, () => ({
    ip: pick(5) === 0 ? `fd00::${pick(20).toString(16)}` : `10.244.0.${pick(20)}`,
    ready: pick(4) !== 0,
    ports: [],
  }));
  return {
    namespace,
    name,
    type: headless ? 'Headless' : 'ClusterIP',
    // Unique per namespace and name: two services never share a cluster IP.
    clusterIPs: headless ? [] : [`10.96.${NAMESPACES.indexOf(namespace)}.${clusterIpHost}`],
    ports: [],
    endpoints,
  };
}

/** Everything a resolver can read from the index, in a comparable form. */
function observe(index: ServiceIndex) {
  const services = [...index.allServices()]
    .map(
      (e) =>
        `${e.service.namespace}/${e.service.name} ${e.ready.map((r) => `${endpointLabel(r)}=${r.ip}`).join(',')}`,
    )
    .sort();
  const addresses = [
    ...Array.from({ length: 120 }, (_, i) => `10.96.${Math.floor(i / 40)}.${i % 40}`),
    ...Array.from({ length: 20 }, (_, i) => `10.244.0.${i}`),
    ...Array.from({ length: 20 }, (_, i) => `fd00::${i.toString(16)}`),
  ];
  const reverse = addresses.map((ip) => {
    const entry = index.reverseOf(ipKey(ip));
    if (!entry) return `${ip} -`;
    const cluster = entry.clusterIpOf
      ? `${entry.clusterIpOf.service.namespace}/${entry.clusterIpOf.service.name}`
      : '';
    const of = entry.endpointOf.map((e) => `${e.service.service.namespace}/${e.service.service.name}`).sort();
    return `${ip} ${cluster} [${of.join(',')}]`;
  });
  // Reverse empty non-terminals: every prefix of every candidate address's key.
  const prefixes = addresses.flatMap((ip) => {
    const key = ipKey(ip);
    const family = key.length === 8 ? 4 : 6;
    return [1, 2, 3, key.length].map((cut) => {
      const prefix = key.slice(0, key.length - (cut === key.length ? 0 : cut));
      return `${prefix}:${index.hasReverseBelow(family, prefix)}`;
    });
  });
  return { services, reverse, prefixes, namespaces: [...index.namespaces].sort(), counts: index.counts };
}

describe('ServiceIndex updated in place', () => {
  it.each([1, 2, 3, 4, 5])('matches a fresh build after 300 random changes (seed %i)', (seed) => {
    const pick = random(seed);
    const table = new ServiceTable();
    const current = new Map<string, Service>();
    for (let step = 0; step < 300; step++) {
      const name = `s${pick(30)}`;
      if (pick(4) === 0) current.delete(name);
      else current.set(name, randomService(pick, name, Number(name.slice(1))));
      const content: TableContent = { namespaces: ['default'], services: [...current.values()], pods: [] };
      table.setContent('registry', content);
    }
    const fresh = new ServiceTable();
    fresh.setContent('registry', { namespaces: ['default'], services: [...current.values()], pods: [] });
    expect(observe(table.current)).toEqual(observe(fresh.current));
  });

  it.each([6, 7, 8])('matches a fresh build after 300 random deltas from two backends (seed %i)', (seed) => {
    const pick = random(seed);
    const table = new ServiceTable();
    const views = { kubernetes: new Map<string, Service>(), etcd: new Map<string, Service>() };
    for (const backend of Object.keys(views))
      table.setContent(backend, { namespaces: [], services: [], pods: [] });
    for (let step = 0; step < 300; step++) {
      const backend = pick(2) === 0 ? 'kubernetes' : 'etcd';
      const name = `s${pick(30)}`;
      const service = pick(4) === 0 ? undefined : randomService(pick, name, Number(name.slice(1)));
      const key = service
        ? `${service.namespace}/${name}`
        : [...views[backend].keys()].find((k) => k.endsWith(`/${name}`));
      if (!key) continue;
      if (service) views[backend].set(key, service);
      else views[backend].delete(key);
      table.applyChanges(backend, { services: new Map([[key, service]]), namespaces: [`ns-${step % 3}`] });
    }
    const fresh = new ServiceTable();
    for (const [backend, view] of Object.entries(views))
      fresh.setContent(backend, { namespaces: ['ns-2'], services: [...view.values()], pods: [] });
    expect(observe(table.current)).toEqual(observe(fresh.current));
  });

  it('places reverse keys alike whether a change is one big batch or many small ones', () => {
    const services: Service[] = Array.from({ length: 2000 }, (_, i) => ({
      namespace: 'bulk',
      name: `s${i}`,
      type: 'ClusterIP',
      clusterIPs: [`10.96.${i >> 8}.${i & 255}`],
      ports: [],
      endpoints: [{ ip: `10.244.${i >> 8}.${i & 255}`, ready: true, ports: [] }],
    }));
    const reverseView = (table: ServiceTable) =>
      services
        .flatMap((s) => [s.clusterIPs[0]!, s.endpoints[0]!.ip])
        .map((ip) => {
          const key = ipKey(ip);
          return [
            index(table).reverseOf(key)?.clusterIpOf?.service.name ?? '-',
            ...[2, 3, 4, 5, 6, 7].map((cut) => index(table).hasReverseBelow(4, key.slice(0, cut))),
          ].join(' ');
        });
    const index = (table: ServiceTable) => table.current;
    const content = (list: Service[]): TableContent => ({ namespaces: [], services: list, pods: [] });

    const batched = new ServiceTable();
    batched.setContent('registry', content(services)); // 4 000 keys at once: one sort
    const stepwise = new ServiceTable();
    for (let n = 1; n <= services.length; n += 37)
      stepwise.setContent('registry', content(services.slice(0, n)));
    stepwise.setContent('registry', content(services));
    expect(reverseView(stepwise)).toEqual(reverseView(batched));

    const half = services.filter((_, i) => i % 2 === 0);
    batched.setContent('registry', content(half)); // 2 000 keys go at once
    for (let n = services.length; n >= 0; n -= 41)
      stepwise.setContent('registry', content([...half, ...services.filter((_, i) => i % 2 === 1 && i < n)]));
    stepwise.setContent('registry', content(half));
    expect(reverseView(stepwise)).toEqual(reverseView(batched));
    expect(batched.current.hasReverseBelow(4, ipKey('10.96.0.1').slice(0, 8))).toBe(false);
    expect(batched.current.hasReverseBelow(4, ipKey('10.96.0.2').slice(0, 8))).toBe(true);
  });

  it('touches only the services that changed', () => {
    const table = new ServiceTable();
    const services = Array.from({ length: 1000 }, (_, i) => randomService(random(i), `s${i}`, i % 250));
    table.setContent('registry', { namespaces: [], services, pods: [] });
    const before = table.current.service(services[1]!.namespace, 's1');
    const changed = [...services];
    changed[0] = { ...services[0]!, clusterIPs: ['10.96.9.9'], type: 'ClusterIP' };
    table.setContent('registry', { namespaces: [], services: changed, pods: [] });
    expect(table.current.service(services[1]!.namespace, 's1')).toBe(before);
    expect(table.current.reverseOf(ipKey('10.96.9.9'))?.clusterIpOf?.service.name).toBe('s0');
  });
});
