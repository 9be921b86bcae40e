// The soak: the built server with a Kubernetes API server (the test one, list+watch), a real etcd
// and a fake upstream, under a steady query load that checks every answer, while the table
// churns through both registries, the API server is killed and restarted, the upstream stalls,
// and a fuzzer sends garbage on the side. Used by `npm run soak` and by the CI soak test.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import dnsPacket from 'dns-packet';
import { endpointUrl, freePort, startCli, type RunningCli } from '../../test/helpers/cli.js';
import { startFakeUpstream, type FakeUpstream } from '../../test/helpers/fake-upstream.js';
import { scrape, valueOf } from '../../test/helpers/prometheus.js';
import { startEtcd, type EtcdServer } from '../../test/registry/etcd/etcd-server.js';
import { FakeApiServer } from '../../test/registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../../test/registry/kubernetes/helpers.js';
import { DnsLoadClient, type Exchange } from './client.js';
import { AnswerHistory } from './history.js';

export interface SoakOptions {
  seconds: number;
  /** Queries a second, each checked. */
  rate: number;
  /** Registry changes a second, half through the API server, half through etcd. */
  changesPerSecond: number;
  /** The API server is stopped for `apiDownMs`, then started again, this often. */
  apiRestartEverySeconds: number;
  apiDownMs: number;
  /** The upstream stops answering for `stallMs` this often. */
  stallEverySeconds: number;
  stallMs: number;
  /** Garbage datagrams a second. */
  fuzzPerSecond: number;
  /** The share of the run before RSS is taken as the baseline. */
  warmupShare: number;
  /** How long after a registry change an older answer is still right. */
  lagMs: number;
  log?: (line: string) => void;
}

export const SOAK_DEFAULTS: SoakOptions = {
  seconds: 600,
  rate: 1000,
  changesPerSecond: 100,
  apiRestartEverySeconds: 30,
  apiDownMs: 2000,
  stallEverySeconds: 45,
  stallMs: 3000,
  fuzzPerSecond: 100,
  warmupShare: 0.25,
  lagMs: 3000,
};

const K8S_SERVICES = 100;
const ETCD_SERVICES = 50;
const UPSTREAM_TIMEOUT_MS = 1000;
const DENIAL_CACHE = 2000;
const BUCKET_MS = 250;
/** A query counts toward "full rate" when answered right within this. */
const FAST_MS = 500;

type Kind = 'kubernetes' | 'etcd' | 'missing' | 'cached' | 'denied';

export interface FaultRecovery {
  fault: string;
  at: number;
  /** ms from the fault's end until queries were answered right at full rate again. */
  recoveryMs: number;
}

export interface SoakReport {
  options: SoakOptions;
  sent: number;
  byKind: Record<Kind, { sent: number; ok: number; wrong: number; lost: number }>;
  wrongSamples: string[];
  changes: { kubernetes: number; etcd: number };
  apiRestarts: number;
  /** ms from each API server restart until the server answered a change made after it. */
  resyncMs: number[];
  stalls: number;
  fuzzSent: number;
  rss: { baselineMb: number; endMb: number; maxMb: number; growthPercent: number };
  recoveries: FaultRecovery[];
  serverAlive: boolean;
  metrics: { panics: number; uncaught: number; backendRestarts: number; malformed: number };
  /** Failures a user would call a failed soak: empty means passed. */
  failures: string[];
}

export async function runSoak(partial: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const options = { ...SOAK_DEFAULTS, ...partial };
  const log = options.log ?? (() => {});
  const rig = await startRig();
  try {
    return await drive(rig, options, log);
  } finally {
    await rig.close();
  }
}

interface Rig {
  api: FakeApiServer;
  etcd: EtcdServer;
  writer: Etcd3;
  upstream: FakeUpstream;
  cli: RunningCli;
  port: number;
  metricsUrl: string;
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const api = await FakeApiServer.start({ historySize: 100_000 });
  api.apply(namespace('soak'));
  api.apply(service('soak', 'sentinel', { clusterIP: 'None' }));
  for (let i = 0; i < K8S_SERVICES; i++) {
    api.apply(service('soak', `h${i}`, { clusterIP: 'None' }));
    api.apply(slice('soak', `h${i}`, initialK8s(i)));
  }
  const etcd = await startEtcd();
  const writer = new Etcd3({ hosts: etcd.url });
  for (let i = 0; i < ETCD_SERVICES; i++) await writer.put(etcdKey(i)).value(etcdValue(initialEtcd(i)));
  const upstream = await startFakeUpstream(
    { 'www.example.com': ['192.0.2.80'] },
    { denyBelow: 'example.com', keepAsked: false },
  );
  const port = await freePort();
  const cli = await startCli([
    '--listen',
    `127.0.0.1:${port}`,
    '--kubernetes',
    api.url,
    '--etcd',
    etcd.url,
    '--upstream',
    `127.0.0.1:${upstream.port}`,
    '--upstream-timeout',
    `${UPSTREAM_TIMEOUT_MS}ms`,
    '--startup-timeout',
    '20s',
    // Small enough that the random external names fill the denial cache during warm-up: RSS is
    // then compared with every bounded part already at its bound.
    '--cache-denial-size',
    String(DENIAL_CACHE),
  ]);
  const metricsUrl = endpointUrl(cli.output(), 'metrics');
  return {
    api,
    etcd,
    writer,
    upstream,
    cli,
    port,
    metricsUrl,
    async close() {
      if (cli.child.exitCode === null) {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
      writer.close();
      await upstream.close();
      await etcd.stop();
      await api.close();
    },
  };
}

async function drive(rig: Rig, options: SoakOptions, log: (line: string) => void): Promise<SoakReport> {
  const k8s = new AnswerHistory(options.lagMs);
  const etcd = new AnswerHistory(options.lagMs);
  const t0 = performance.now();
  for (let i = 0; i < K8S_SERVICES; i++) k8s.set(k8sName(i), initialK8s(i), t0);
  for (let i = 0; i < ETCD_SERVICES; i++) etcd.set(etcdName(i), [initialEtcd(i)], t0);
  const client = await DnsLoadClient.open(rig.port);
  await waitUntilServing(client, k8s, etcd);

  const report = emptyReport(options);
  const stalls: { from: number; to?: number }[] = [];
  const faultEnds: { fault: string; at: number }[] = [];
  const buckets: { sent: number; fast: number }[] = [];
  let apiDown = false;
  let restarting: Promise<void> = Promise.resolve();
  const start = performance.now();
  const endAt = start + options.seconds * 1000;
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, action: () => void) => timers.push(setInterval(action, ms));
  const pending = new Set<Promise<void>>();

  const onAnswer = (kind: Kind, exchange: Exchange) => {
    const counts = report.byKind[kind];
    const bucket = (buckets[Math.floor((exchange.sentAt - start) / BUCKET_MS)] ??= { sent: 0, fast: 0 });
    bucket.sent++;
    if (!exchange.reply) {
      counts.lost++;
      return;
    }
    const verdict = judge(kind, exchange, { k8s, etcd, stalls });
    if (verdict === 'wrong') {
      counts.wrong++;
      if (report.wrongSamples.length < 20) {
        report.wrongSamples.push(
          `${exchange.name}: ${exchange.reply.rcode} ${addressesOf(exchange).join(',')} at ${Math.round(exchange.sentAt - start)} ms`,
        );
      }
      return;
    }
    counts.ok++;
    if (verdict === 'ok' && exchange.doneAt - exchange.sentAt <= FAST_MS) bucket.fast++;
  };

  // Load: a steady rate, each query checked when its reply (or its timeout) comes.
  every(10, () => {
    const now = performance.now();
    if (now >= endAt) return;
    const due = Math.floor(((now - start) / 1000) * options.rate) - report.sent;
    for (let i = 0; i < due; i++) {
      report.sent++;
      const [kind, name] = pickQuestion();
      report.byKind[kind].sent++;
      const done = client.query(name, 'A', 3000).then((exchange) => onAnswer(kind, exchange));
      pending.add(done);
      void done.finally(() => pending.delete(done));
    }
  });

  // Churn: both registries, a new address set for a random service each time.
  let churnDue = 0;
  every(10, () => {
    churnDue += options.changesPerSecond / 100;
    for (; churnDue >= 1; churnDue--) {
      if (Math.random() < 0.5) {
        if (apiDown) continue;
        const i = Math.floor(Math.random() * K8S_SERVICES);
        const addresses = [randomAddress(), randomAddress()];
        rig.api.apply(slice('soak', `h${i}`, addresses));
        k8s.set(k8sName(i), addresses, performance.now());
        report.changes.kubernetes++;
      } else {
        const i = Math.floor(Math.random() * ETCD_SERVICES);
        const address = randomAddress();
        etcd.set(etcdName(i), [address], performance.now());
        void rig.writer
          .put(etcdKey(i))
          .value(etcdValue(address))
          .catch(() => {});
        report.changes.etcd++;
      }
    }
  });

  // Faults: the API server killed and restarted, the upstream stalled.
  every(options.apiRestartEverySeconds * 1000, () => {
    if (performance.now() + options.apiDownMs >= endAt) return;
    apiDown = true;
    k8s.registryDown(performance.now());
    restarting = rig.api.stop().then(async () => {
      await sleep(options.apiDownMs);
      await rig.api.restart();
      apiDown = false;
      const at = performance.now();
      faultEnds.push({ fault: 'API server restarted', at });
      report.apiRestarts++;
      const caughtUp = await catchUp(rig, client);
      k8s.registryUp(caughtUp);
      report.resyncMs.push(Math.round(caughtUp - at));
      log(
        `${seconds(at - start)} s: API server back after ${options.apiDownMs} ms down; ` +
          `the server caught up ${Math.round(caughtUp - at)} ms later`,
      );
    });
  });
  every(options.stallEverySeconds * 1000, () => {
    if (performance.now() + options.stallMs >= endAt) return;
    const stall: { from: number; to?: number } = { from: performance.now() };
    stalls.push(stall);
    rig.upstream.stall(true);
    timers.push(
      setTimeout(() => {
        rig.upstream.stall(false);
        stall.to = performance.now();
        faultEnds.push({ fault: 'upstream answering again', at: stall.to });
        report.stalls++;
        log(`${seconds(stall.to - start)} s: upstream answering after a ${options.stallMs} ms stall`);
      }, options.stallMs),
    );
  });

  // Garbage on the side: random bytes, and real queries with random bytes flipped.
  const fuzzer = createSocket('udp4');
  fuzzer.on('message', () => {});
  const seed = dnsPacket.encode({ type: 'query', id: 1, questions: [{ name: k8sName(1), type: 'A' }] });
  let fuzzDue = 0;
  every(10, () => {
    fuzzDue += options.fuzzPerSecond / 100;
    for (; fuzzDue >= 1; fuzzDue--) {
      report.fuzzSent++;
      fuzzer.send(fuzzPacket(seed), rig.port, '127.0.0.1');
    }
  });

  // Memory: the server's resident set, once a second.
  const rss: number[] = [];
  every(1000, () => {
    const sample = rssMb(rig.cli.child.pid!);
    if (sample !== undefined) rss.push(sample);
    const elapsed = performance.now() - start;
    if (rss.length % 30 === 0) {
      log(
        `${seconds(elapsed)} s: ${report.sent} queries, RSS ${sample?.toFixed(1)} MB, ` +
          `wrong ${sum(report, 'wrong')}, lost ${sum(report, 'lost')}`,
      );
    }
  });

  await sleep(endAt - performance.now());
  for (const timer of timers) clearInterval(timer);
  rig.upstream.stall(false);
  await restarting;
  await Promise.all([...pending]);
  fuzzer.close();
  await client.close();

  report.serverAlive = rig.cli.child.exitCode === null && rig.cli.child.signalCode === null;
  if (report.serverAlive) report.metrics = await readMetrics(rig.metricsUrl);
  report.rss = rssGrowth(rss, options.warmupShare);
  report.recoveries = faultEnds.map(({ fault, at }) => ({
    fault,
    at: Math.round(at - start),
    recoveryMs: recoveryAfter(buckets, Math.floor((at - start) / BUCKET_MS)),
  }));
  report.failures = failuresOf(report);
  return report;
}

function judge(
  kind: Kind,
  exchange: Exchange,
  known: { k8s: AnswerHistory; etcd: AnswerHistory; stalls: { from: number; to?: number }[] },
): 'ok' | 'slow-ok' | 'wrong' {
  const reply = exchange.reply!;
  const addresses = addressesOf(exchange);
  switch (kind) {
    case 'kubernetes':
    case 'etcd': {
      if (reply.rcode !== 'NOERROR') return 'wrong';
      const history = kind === 'kubernetes' ? known.k8s : known.etcd;
      return history.check(exchange.name, addresses, exchange.sentAt, exchange.doneAt);
    }
    case 'missing':
      return reply.rcode === 'NXDOMAIN' && addresses.length === 0 ? 'ok' : 'wrong';
    case 'cached':
      return reply.rcode === 'NOERROR' && addresses.join() === '192.0.2.80' ? 'ok' : 'wrong';
    case 'denied': {
      if (reply.rcode === 'NXDOMAIN' && addresses.length === 0) return 'ok';
      // SERVFAIL is the right answer only when the upstream could not be reached.
      const stalled = known.stalls.some(
        ({ from, to }) =>
          exchange.doneAt >= from && exchange.sentAt <= (to ?? Infinity) + UPSTREAM_TIMEOUT_MS,
      );
      return reply.rcode === 'SERVFAIL' && stalled ? 'slow-ok' : 'wrong';
    }
  }
}

/** Buckets (by send time) from `first` until one where nearly every query got its right answer fast. */
function recoveryAfter(buckets: { sent: number; fast: number }[], first: number): number {
  for (let b = first; b < buckets.length; b++) {
    const bucket = buckets[b];
    if (bucket && bucket.sent > 0 && bucket.fast / bucket.sent >= 0.95)
      return Math.max(0, (b - first) * BUCKET_MS);
  }
  return Infinity;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/**
 * RSS after warm-up against RSS at the end, each the lowest sample of a window: the garbage
 * collector's sawtooth moves the peaks by tens of megabytes either way, a leak raises the floor.
 */
function rssGrowth(samples: number[], warmupShare: number): SoakReport['rss'] {
  const from = Math.floor(samples.length * warmupShare);
  const window = Math.max(3, Math.floor(samples.length * 0.1));
  const floor = (values: number[]) => (values.length ? Math.min(...values) : 0);
  const baselineMb = floor(samples.slice(from, from + window));
  const endMb = floor(samples.slice(-window));
  return {
    baselineMb,
    endMb,
    maxMb: Math.max(0, ...samples),
    growthPercent: baselineMb ? ((endMb - baselineMb) / baselineMb) * 100 : 0,
  };
}

function failuresOf(report: SoakReport): string[] {
  const failures: string[] = [];
  const wrong = sum(report, 'wrong');
  const lost = sum(report, 'lost');
  if (!report.serverAlive) failures.push('the server exited');
  if (wrong > 0) failures.push(`${wrong} wrong answers: ${report.wrongSamples.slice(0, 5).join('; ')}`);
  // Loopback loses a datagram only when a socket buffer overflows on a loaded machine.
  if (lost > report.sent / 1000) failures.push(`${lost} queries of ${report.sent} got no reply`);
  if (report.rss.growthPercent >= 10) {
    failures.push(`RSS grew ${report.rss.growthPercent.toFixed(1)} % after warm-up`);
  }
  if (report.metrics.uncaught > 0) failures.push(`${report.metrics.uncaught} uncaught errors`);
  for (const { fault, at, recoveryMs } of report.recoveries) {
    if (recoveryMs > 2000) failures.push(`${fault} at ${at} ms: full rate only after ${recoveryMs} ms`);
  }
  return failures;
}

export function formatReport(report: SoakReport): string {
  const { options, rss } = report;
  const rows: [string, string][] = [
    ['duration', `${options.seconds} s at ${options.rate} queries/s, every answer checked`],
    ['queries', `${report.sent} sent`],
    ...(Object.entries(report.byKind) as [Kind, SoakReport['byKind'][Kind]][]).map(
      ([kind, c]): [string, string] => [
        `  ${kind}`,
        `${c.sent} sent, ${c.ok} right, ${c.wrong} wrong, ${c.lost} lost`,
      ],
    ),
    [
      'registry changes',
      `${report.changes.kubernetes} through the API server, ${report.changes.etcd} through etcd`,
    ],
    [
      'faults',
      `API server killed ${report.apiRestarts}×, upstream stalled ${report.stalls}×, ${report.fuzzSent} garbage packets`,
    ],
    [
      'API resync',
      report.resyncMs.length
        ? `a change made after each API restart answered within ${Math.max(...report.resyncMs)} ms (median ${median(report.resyncMs)} ms)`
        : 'no restarts',
    ],
    ['server', report.serverAlive ? 'running at the end' : 'EXITED'],
    [
      'errors',
      `${report.metrics.panics} SERVFAIL for failed queries, ${report.metrics.uncaught} uncaught, ` +
        `${report.metrics.backendRestarts} backend restarts, ${report.metrics.malformed} malformed dropped`,
    ],
    [
      'RSS',
      `${rss.baselineMb.toFixed(1)} MB after warm-up, ${rss.endMb.toFixed(1)} MB at the end ` +
        `(${rss.growthPercent >= 0 ? '+' : ''}${rss.growthPercent.toFixed(1)} %; lowest of each window), peak ${rss.maxMb.toFixed(1)} MB`,
    ],
    ['recovery to full rate', recoverySummary(report.recoveries)],
    ['result', report.failures.length ? `FAILED: ${report.failures.join('; ')}` : 'passed'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

function recoverySummary(recoveries: FaultRecovery[]): string {
  const faults = [...new Set(recoveries.map((r) => r.fault))];
  if (faults.length === 0) return 'no faults';
  return faults
    .map((fault) => {
      const times = recoveries.filter((r) => r.fault === fault).map((r) => r.recoveryMs);
      return `${fault}: at most ${Math.max(...times)} ms (${times.length}×)`;
    })
    .join('; ');
}

function emptyReport(options: SoakOptions): SoakReport {
  const kinds: Kind[] = ['kubernetes', 'etcd', 'missing', 'cached', 'denied'];
  return {
    options,
    sent: 0,
    byKind: Object.fromEntries(
      kinds.map((k) => [k, { sent: 0, ok: 0, wrong: 0, lost: 0 }]),
    ) as SoakReport['byKind'],
    wrongSamples: [],
    changes: { kubernetes: 0, etcd: 0 },
    apiRestarts: 0,
    resyncMs: [],
    stalls: 0,
    fuzzSent: 0,
    rss: { baselineMb: 0, endMb: 0, maxMb: 0, growthPercent: 0 },
    recoveries: [],
    serverAlive: false,
    metrics: { panics: 0, uncaught: 0, backendRestarts: 0, malformed: 0 },
    failures: [],
  };
}

/**
 * After an API server restart: changes a service kept for this (never queried by the load) and
 * waits until the server answers the change; returns when it did.
 */
async function catchUp(rig: Rig, client: DnsLoadClient): Promise<number> {
  const address = randomAddress();
  rig.api.apply(slice('soak', 'sentinel', [address]));
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const exchange = await client.query(SENTINEL, 'A', 1000);
    if (addressesOf(exchange).join() === address) return exchange.doneAt;
    await sleep(50);
  }
  return Infinity;
}

async function waitUntilServing(
  client: DnsLoadClient,
  k8s: AnswerHistory,
  etcd: AnswerHistory,
): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const [a, b] = await Promise.all([client.query(k8sName(0), 'A'), client.query(etcdName(0), 'A')]);
    const ready =
      a.reply?.rcode === 'NOERROR' &&
      b.reply?.rcode === 'NOERROR' &&
      k8s.check(a.name, addressesOf(a), a.sentAt, a.doneAt) === 'ok' &&
      etcd.check(b.name, addressesOf(b), b.sentAt, b.doneAt) === 'ok';
    if (ready) return;
    if (performance.now() > deadline) throw new Error('the server did not serve both registries within 30 s');
    await sleep(100);
  }
}

async function readMetrics(url: string): Promise<SoakReport['metrics']> {
  const { series } = await scrape(url);
  const total = (name: string) => series.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
  return {
    panics: valueOf(series, 'coredns_panics_total'),
    uncaught: total('clusterdns_uncaught_errors_total'),
    backendRestarts: total('clusterdns_backend_restarts_total'),
    malformed: valueOf(series, 'clusterdns_malformed_packets_dropped_total'),
  };
}

function pickQuestion(): [Kind, string] {
  const roll = Math.random();
  if (roll < 0.6) return ['kubernetes', k8sName(Math.floor(Math.random() * K8S_SERVICES))];
  if (roll < 0.8) return ['etcd', etcdName(Math.floor(Math.random() * ETCD_SERVICES))];
  if (roll < 0.9) return ['missing', `never${Math.floor(Math.random() * 1000)}.soak.svc.cluster.local`];
  if (roll < 0.95) return ['cached', 'www.example.com'];
  return ['denied', `${randomBytes(6).toString('hex')}.example.com`];
}

function fuzzPacket(seed: Buffer): Buffer {
  if (Math.random() < 0.5) return randomBytes(Math.floor(Math.random() * 120));
  const packet = Buffer.from(seed);
  for (let flips = 1 + Math.floor(Math.random() * 4); flips > 0; flips--) {
    packet[Math.floor(Math.random() * packet.length)] = Math.floor(Math.random() * 256);
  }
  return packet;
}

const SENTINEL = 'sentinel.soak.svc.cluster.local';
const k8sName = (i: number) => `h${i}.soak.svc.cluster.local`;
const etcdName = (i: number) => `e${i}.etc.svc.cluster.local`;
const etcdKey = (i: number) => `/skydns/local/cluster/svc/etc/e${i}/x`;
const etcdValue = (address: string) => JSON.stringify({ host: address });
const initialK8s = (i: number) => [`10.1.${i}.1`, `10.1.${i}.2`];
const initialEtcd = (i: number) => `10.2.${i}.1`;

function randomAddress(): string {
  const bytes = randomBytes(3);
  return `10.${100 + (bytes[0]! % 100)}.${bytes[1]}.${1 + (bytes[2]! % 254)}`;
}

function addressesOf(exchange: Exchange): string[] {
  return (exchange.reply?.answers ?? []).filter((a) => a.type === 'A').map((a) => String(a.data));
}

function rssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function sum(report: SoakReport, field: 'wrong' | 'lost'): number {
  return Object.values(report.byKind).reduce((total, counts) => total + counts[field], 0);
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
