// A table kept equal to another by its steps: what each answering process of --workers holds. The
// steps cross a structured-clone boundary here exactly as they cross the IPC channel (v8
// serialization), and the follower must then answer every question as the original does.
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { RRClass, RRType } from '../../src/dns/types.js';
import { ClusterZoneResolver } from '../../src/resolve/cluster/resolver.js';
import { ZoneSet } from '../../src/dns/zones.js';
import { ServiceTable, type TableOp } from '../../src/table/table.js';
import type { Pod, Service } from '../../src/table/types.js';

function random(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state % n;
  };
}

const NAMESPACES = ['shop', 'data'];

function service(pick: (n: number) => number, namespace: string, i: number): Service {
  const headless = pick(3) === 0;
  return {
    namespace,
    name: `s${i}`,
    type: headless ? 'Headless' : 'ClusterIP',
    clusterIPs: headless ? [] : [`10.96.${NAMESPACES.indexOf(namespace)}.${i}`],
    ports: [{ name: 'http', protocol: 'TCP', port: 80 + pick(3) }],
    endpoints: Array.from({ length: pick(4) }, (_, e) => ({
      ip: `10.244.${pick(3)}.${pick(20)}`,
      ready: pick(4) !== 0,
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      ...(e === 0 ? { hostname: `h${pick(5)}` } : {}),
    })),
  };
}

/**
 * Every question the churn can change the answer to, answered from `table`. `anyOrder`: records
 * within a section compared as a set. A table built from a replay holds the same records, but where
 * several services share an endpoint address it may list their PTRs in another order, as a server
 * restarted on the same registry content may: DNS gives no meaning to the order within an RRset.
 */
async function answers(table: ServiceTable, anyOrder = false): Promise<string[]> {
  const resolver = new ClusterZoneResolver(table, {
    zones: ZoneSet.parse(['cluster.local', 'in-addr.arpa']),
    ttl: 5,
    pods: 'verified',
    ignoreEmptyService: false,
    nsAddresses: ['127.0.0.1'],
  });
  const names: [string, number][] = [['cluster.local', RRType.SOA]];
  for (const ns of [...NAMESPACES, 'gone'])
    for (let i = 0; i < 12; i++) {
      names.push([`s${i}.${ns}.svc.cluster.local`, RRType.A]);
      names.push([`_http._tcp.s${i}.${ns}.svc.cluster.local`, RRType.SRV]);
      names.push([`h${i % 5}.s${i}.${ns}.svc.cluster.local`, RRType.A]);
    }
  for (let i = 0; i < 20; i++) {
    names.push([`${i}.0.96.10.in-addr.arpa`, RRType.PTR]);
    names.push([`${i}.1.244.10.in-addr.arpa`, RRType.PTR]);
    names.push([`10-0-0-${i}.shop.pod.cluster.local`, RRType.A]);
  }
  const out: string[] = [];
  for (const [name, type] of names) {
    const answer = await resolver.resolve({ name, type, class: RRClass.IN });
    if (answer && anyOrder) {
      for (const section of ['answers', 'additional'] as const)
        answer[section].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    out.push(`${name} ${type} ${JSON.stringify(answer)}`);
  }
  out.push(`state ${table.servingState} ${table.notReady().join(',')}`);
  return out;
}

describe('a table following another', () => {
  it.each([1, 2, 3])('answers as the original after a churn of two backends (seed %i)', async (seed) => {
    let now = 1_700_000_000_000;
    const clock = () => now;
    const pick = random(seed);
    const original = new ServiceTable(clock);
    const early = new ServiceTable(clock);
    const late = new ServiceTable(clock);
    /** What the IPC channel does to a step: v8 serialization there and back. */
    const carry = (step: TableOp) => deserialize(serialize(step)) as TableOp;
    original.follow((step) => early.take(carry(step)));
    original.reserve('kubernetes');
    original.reserve('etcd');
    original.expectBackend('kubernetes', 30_000);
    original.expectBackend('etcd');
    original.markSynced('etcd');
    const views = { kubernetes: new Map<string, Service>(), etcd: new Map<string, Service>() };
    let pods: Pod[] = [];
    let stopLate: (() => void) | undefined;
    for (let step = 0; step < 400; step++) {
      now += 1000;
      if (step === 150) {
        // A worker started (or restarted) midway: the steps so far, then every step after.
        for (const op of original.replay()) late.take(carry(op));
        stopLate = original.follow((op) => late.take(carry(op)));
      }
      const backend = pick(2) === 0 ? 'kubernetes' : 'etcd';
      const ns = NAMESPACES[pick(2)]!;
      const i = pick(12);
      const key = `${ns}/s${i}`;
      const kind = pick(10);
      if (kind === 0) {
        pods = [...pods, { namespace: ns, name: `p${step}`, ips: [`10.0.0.${pick(20)}`] }];
        original.setContent(backend, {
          namespaces: [...NAMESPACES],
          services: [...views[backend].values()],
          pods,
        });
      } else if (kind === 1 || step === 0) {
        original.markSynced(backend === 'etcd' ? 'kubernetes' : backend);
      } else if (kind < 6) {
        const next = pick(4) === 0 ? undefined : service(pick, ns, i);
        if (next) views[backend].set(key, next);
        else views[backend].delete(key);
        original.applyChanges(backend, { services: new Map([[key, next]]) });
      } else {
        if (pick(3) === 0) views[backend].delete(key);
        else views[backend].set(key, service(pick, ns, i));
        original.setContent(backend, {
          namespaces: step % 50 === 0 ? ['shop'] : [...NAMESPACES],
          services: [...views[backend].values()],
          pods,
        });
      }
      if (step % 100 === 99) {
        const expected = await answers(original);
        expect(await answers(early)).toEqual(expected);
        if (stopLate) expect(await answers(late, true)).toEqual(await answers(original, true));
      }
    }
    expect(early.current.version).toBe(original.current.version);
    // A stale backend (kubernetes allows 30 s) answers SERVFAIL in every copy alike.
    now += 60_000;
    expect(original.servingState).toBe('stale');
    expect(await answers(late, true)).toEqual(await answers(original, true));
    expect(await answers(early)).toEqual(await answers(original));
    stopLate?.();
    original.applyChanges('etcd', { services: new Map([['shop/s0', undefined]]) });
    expect(await answers(early)).toEqual(await answers(original));
    expect(late.current.version).not.toBe(original.current.version);
  });
});
