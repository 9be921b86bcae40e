// The built binary as Prometheus scrapes it: every series deploy/grafana/clusterdns.json plots and
// every series the CoreDNS mixin's alerts read exists after a few queries, the build names its git
// commit, and a rejected reload is counted.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointUrl, freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { udpQuery } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { scrape, type Series } from '../helpers/prometheus.js';
import { makeZonesDir } from '../helpers/server.js';
import { eventually } from '../registry/kubernetes/helpers.js';

const DASHBOARD = join(import.meta.dirname, '../../deploy/grafana/clusterdns.json');

/**
 * The series the CoreDNS mixin's alerts read (CoreDNSDown reads Prometheus' own `up`):
 * https://github.com/povilasv/coredns-mixin/blob/master/alerts/coredns.libsonnet and
 * https://github.com/povilasv/coredns-mixin/blob/master/alerts/forward.libsonnet, the mixin
 * kube-prometheus and monitoring-mixins ship.
 */
const MIXIN_ALERTS: Record<string, string[]> = {
  CoreDNSLatencyHigh: ['coredns_dns_request_duration_seconds_bucket'],
  CoreDNSErrorsHigh: ['coredns_dns_responses_total'],
  CoreDNSForwardLatencyHigh: ['coredns_forward_request_duration_seconds_bucket'],
  CoreDNSForwardErrorsHigh: ['coredns_forward_responses_total'],
  CoreDNSForwardHealthcheckFailureCount: ['coredns_forward_healthcheck_failures_total'],
  CoreDNSForwardHealthcheckBrokenCount: ['coredns_forward_healthcheck_broken_total'],
};

interface Panel {
  title?: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of the dashboard: its panels' (rows' included) and its variables'. */
function dashboardExpressions(): { where: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; query?: string | { query: string } }[] };
  };
  const fromPanels = (panels: Panel[]): { where: string; expr: string }[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).map(({ expr }) => ({ where: `panel "${panel.title}"`, expr })),
      ...fromPanels(panel.panels ?? []),
    ]);
  const fromVariables = dashboard.templating.list.flatMap(({ name, query }) => {
    const text = typeof query === 'string' ? query : query?.query;
    return text?.includes('label_values') ? [{ where: `variable $${name}`, expr: text }] : [];
  });
  return [...fromPanels(dashboard.panels), ...fromVariables];
}

/** The metric names an expression reads: clusterdns exports only these four families. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:coredns|clusterdns|process|nodejs)_[a-z0-9_]+\b/g)].map(([name]) => name);
}

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
);

describe('/metrics of the binary, as dashboards and alerts read it', () => {
  let work: string;
  let zones: string;
  let file: string;
  let port: number;
  let upstream: FakeUpstream;
  let cli: RunningCli;
  let series: Series[];
  const url = () => endpointUrl(cli.output(), 'metrics');
  const writeConfig = (lines: string[]) => writeFile(file, `${lines.join('\n')}\n`);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clusterdns-dashboard-'));
    zones = await makeZonesDir({ 'shop.yaml': SHOP });
    file = join(work, 'clusterdns.yaml');
    port = await freePort();
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    await writeConfig([`zones: ${zones}`, `listen: [127.0.0.1:${port}]`]);
    cli = await startCli(['--config', file, '--upstream', `127.0.0.1:${upstream.port}`]);
    // A cluster name (twice: the second from compiled bytes), a missing one, a forwarded name
    // (twice: the second from the cache), and one with the DNSSEC OK bit.
    for (const [name, times] of [
      ['web.shop.svc.cluster.local', 2],
      ['nothere.shop.svc.cluster.local', 1],
      ['www.example.com', 2],
    ] as const) {
      for (let i = 0; i < times; i++) await udpQuery(port, name, 'A');
    }
    await udpQuery(port, 'web.shop.svc.cluster.local', 'AAAA', { udpSize: 1232, dnssecOk: true });
    series = (await scrape(url())).series;
  });
  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await upstream?.close();
    await rm(work, { recursive: true, force: true });
    await rm(zones, { recursive: true, force: true });
  });

  it('has every series the dashboard queries', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(30);
    const exported = new Set(series.map((s) => s.name));
    const missing = expressions.flatMap(({ where, expr }) => {
      const names = metricNames(expr);
      // An expression naming no series of ours would be checked for nothing.
      if (names.length === 0) return [`${where}: no clusterdns series in ${expr}`];
      return names.filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`);
    });
    expect(missing).toEqual([]);
  });

  it.each(Object.entries(MIXIN_ALERTS))('has what the mixin alert %s reads', (_alert, names) => {
    for (const name of names) expect(series.some((s) => s.name === name)).toBe(true);
  });

  it('names the git commit the binary was built from', async () => {
    const info = series.filter((s) => s.name === 'coredns_build_info');
    expect(info).toHaveLength(1);
    const { revision } = info[0]!.labels;
    expect(revision).toMatch(/^[0-9a-f]{40}$/);
    // A commit of this repository, not a made-up id.
    await promisify(execFile)('git', ['-C', import.meta.dirname, 'cat-file', '-e', `${revision}^{commit}`]);
    expect(info[0]!.labels.goversion).toBe(`node${process.versions.node}`);
  });

  it('counts a rejected reload in coredns_reload_failed_total and keeps answering', async () => {
    const failed = async () =>
      (await scrape(url())).series.find((s) => s.name === 'coredns_reload_failed_total')?.value;
    expect(await failed()).toBe(0);
    await writeConfig([`zones: ${zones}`, `listen: [127.0.0.1:${port}]`, 'ttl: 9000']);
    cli.child.kill('SIGHUP');
    await eventually(() => cli.output().includes('configuration rejected'), 5000, 'rejection');
    expect(await failed()).toBe(1);
    expect((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet.answers).toHaveLength(1);
  });
});
