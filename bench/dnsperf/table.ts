// The generated service table, written as native zone files (the most compact format: a 100 000-
// service table is a few MB of YAML), and the query file dnsperf replays over it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TableShape {
  services: number;
  namespaces: number;
  /** Every `headlessEvery`-th service is headless (3: a third). */
  headlessEvery: number;
  endpointsPerHeadless: number;
}

/** The benchmark's table unless told otherwise: issue 7's 10 000 services, a third headless. */
export const DEFAULT_SHAPE: TableShape = {
  services: 10_000,
  namespaces: 100,
  headlessEvery: 3,
  endpointsPerHeadless: 5,
};
/** Lines in the query file dnsperf loops over. */
export const DEFAULT_QUERY_LINES = 100_000;

export interface TableSummary {
  services: number;
  headless: number;
  endpoints: number;
  files: number;
  bytes: number;
}

const ZONE = 'cluster.local';
const namespaceName = (n: number) => `ns-${n}`;
const serviceName = (s: number) => `svc-${s}`;
// Service s lives in namespace s % namespaces, so every namespace gets the same share.
const namespaceOf = (s: number, shape: TableShape) => s % shape.namespaces;
const isHeadless = (s: number, shape: TableShape) => s % shape.headlessEvery === 0;
// 10.96.0.0/12 for cluster IPs and 10.128.0.0/9 for endpoints, as a cluster would hand them out.
const ip = (base: number, n: number) => `10.${base + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

/** Writes one file per namespace into `dir`. */
export function writeZoneFiles(dir: string, shape: TableShape): TableSummary {
  mkdirSync(dir, { recursive: true });
  const lines: string[][] = Array.from({ length: shape.namespaces }, (_, n) => [
    `namespace: ${namespaceName(n)}`,
    'services:',
  ]);
  let headless = 0;
  let endpoints = 0;
  for (let s = 0; s < shape.services; s++) {
    const out = lines[namespaceOf(s, shape)]!;
    if (isHeadless(s, shape)) {
      const ips = Array.from({ length: shape.endpointsPerHeadless }, () => ip(128, ++endpoints));
      out.push(`  ${serviceName(s)}: { headless: true, ports: [http:80], endpoints: [${ips.join(', ')}] }`);
      headless++;
    } else {
      out.push(`  ${serviceName(s)}: { clusterIP: ${ip(96, s + 1)}, ports: [http:80] }`);
    }
  }
  let bytes = 0;
  lines.forEach((file, n) => {
    // A namespace without services is written as just its name: `services:` alone would be null.
    const text = (file.length > 2 ? file : file.slice(0, 1)).join('\n') + '\n';
    bytes += text.length;
    writeFileSync(join(dir, `${namespaceName(n)}.yaml`), text);
  });
  return { services: shape.services, headless, endpoints, files: shape.namespaces, bytes };
}

/** A small seeded PRNG (mulberry32): the same flags give the same query file. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTERNAL = ['example.com', 'api.github.com', 's3.amazonaws.com', 'registry.npmjs.org'];

/**
 * The query mix: 70% A for existing services (ClusterIP and headless in the table's proportion),
 * 10% SRV, 10% NXDOMAIN inside a namespace, 10% the misses a pod's ndots:5 search list produces
 * (`<ns>.svc.cluster.local svc.cluster.local cluster.local` appended to a name with fewer than 5
 * dots) before the query that finds the name.
 */
export function queryLines(shape: TableShape, count: number, seed = 1): string[] {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const service = () => {
    const s = pick(shape.services);
    return `${serviceName(s)}.${namespaceName(namespaceOf(s, shape))}.svc.${ZONE}`;
  };
  const searchMiss = () => {
    const podNamespace = namespaceName(pick(shape.namespaces));
    const suffixes = [`${podNamespace}.svc.${ZONE}`, `svc.${ZONE}`, ZONE];
    const asked = next() < 0.5 ? service() : EXTERNAL[pick(EXTERNAL.length)]!;
    return `${asked}.${suffixes[pick(suffixes.length)]}`;
  };
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = next();
    if (r < 0.7) lines.push(`${service()} A`);
    else if (r < 0.8) lines.push(`_http._tcp.${service()} SRV`);
    else if (r < 0.9) {
      const ns = namespaceName(pick(shape.namespaces));
      lines.push(`missing-${pick(1_000_000)}.${ns}.svc.${ZONE} A`);
    } else lines.push(`${searchMiss()} A`);
  }
  return lines;
}

/** A name the server must answer once the table is in: the readiness probe. */
export const firstServiceName = (shape: TableShape) =>
  `${serviceName(0)}.${namespaceName(namespaceOf(0, shape))}.svc.${ZONE}`;
