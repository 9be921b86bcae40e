// k8s_external under `clusterdns --corefile` (the built binary), reading the Kubernetes API double
// and asked with real dig: a LoadBalancer service answers its ingress IP, a service with
// externalIPs its addresses, a headless service its endpoints; the zone's apex answers SOA and
// NS; a name that is not there is NXDOMAIN with the zone's SOA, or under a fallthrough zone goes
// on to the upstream.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, startCorefile, type RunningCli } from '../helpers/cli.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../registry/kubernetes/helpers.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);

/** A LoadBalancer the cloud has given an address (status.loadBalancer.ingress). */
function loadBalancer(ns: string, name: string, ingress: object[]) {
  const object = service(ns, name, { clusterIP: '10.96.45.10' });
  return { ...object, spec: { ...object.spec, type: 'LoadBalancer' }, status: { loadBalancer: { ingress } } };
}

function withExternalIPs(ns: string, name: string, externalIPs: string[]) {
  const object = service(ns, name, { clusterIP: '10.96.45.20', ports: [{ name: 'grpc', port: 9090 }] });
  return { ...object, spec: { ...object.spec, externalIPs } };
}

describe.skipIf(!hasDig)('k8s_external from a Corefile', () => {
  let api: FakeApiServer;
  let upstream: FakeUpstream;
  let dir: string;
  let cli: RunningCli;
  let port: number;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      loadBalancer('shop', 'web', [{ ip: '203.0.113.10' }, { hostname: 'lb.example.net' }]),
      withExternalIPs('shop', 'api', ['192.0.2.20', '2001:db8::20']),
      service('shop', 'db', { clusterIP: 'None' }),
      slice('shop', 'db', ['10.244.1.20', '10.244.2.21']),
      service('shop', 'internal', { clusterIP: '10.96.45.30' }),
    ])
      api.apply(object);
    upstream = await startFakeUpstream({ 'legacy.shop.example.net': ['198.51.100.9'] });
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-external-'));
    const corefile = join(dir, 'Corefile');
    writeFileSync(
      corefile,
      `.:53 {
  kubernetes cluster.local
  k8s_external example.org example.net {
    headless
    fallthrough example.net
  }
  forward . 192.0.2.53
}
`,
    );
    ({ port, ...cli } = await startCorefile(corefile, api.url, upstream.port));
  });

  afterAll(async () => {
    cli?.child.kill('SIGKILL');
    await upstream?.close();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const dig = async (...args: string[]) =>
    (
      await run('dig', [
        '@127.0.0.1',
        '-p',
        String(port),
        '+time=2',
        '+tries=1',
        '+nocmd',
        '+nostats',
        '+noall',
        '+comments',
        '+answer',
        '+authority',
        '+additional',
        ...args,
      ])
    ).stdout;
  /** The records of a section as `name ttl type data`, whitespace collapsed. */
  const records = (output: string) =>
    output
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith(';'))
      .map((line) => line.split(/\s+/).join(' '));

  it("answers a LoadBalancer's ingress IP, authoritatively, TTL 5", async () => {
    const output = await dig('web.shop.example.org', 'A');
    expect(output).toMatch(/status: NOERROR/);
    expect(output).toMatch(/flags: qr aa rd ra;/);
    expect(records(output)).toEqual(['web.shop.example.org. 5 IN A 203.0.113.10']);
  });

  it('answers externalIPs as A, AAAA and SRV with the addresses as glue', async () => {
    expect(records(await dig('api.shop.example.org', 'A'))).toEqual([
      'api.shop.example.org. 5 IN A 192.0.2.20',
    ]);
    expect(records(await dig('api.shop.example.org', 'AAAA'))).toEqual([
      'api.shop.example.org. 5 IN AAAA 2001:db8::20',
    ]);
    expect(records(await dig('_grpc._tcp.api.shop.example.org', 'SRV'))).toEqual([
      '_grpc._tcp.api.shop.example.org. 5 IN SRV 0 50 9090 api.shop.example.org.',
      'api.shop.example.org. 5 IN A 192.0.2.20',
      'api.shop.example.org. 5 IN AAAA 2001:db8::20',
    ]);
  });

  it("answers a headless service's endpoints (headless)", async () => {
    expect(records(await dig('db.shop.example.org', 'A')).sort()).toEqual([
      'db.shop.example.org. 5 IN A 10.244.1.20',
      'db.shop.example.org. 5 IN A 10.244.2.21',
    ]);
    expect(records(await dig('10-244-2-21.db.shop.example.org', 'A'))).toEqual([
      '10-244-2-21.db.shop.example.org. 5 IN A 10.244.2.21',
    ]);
  });

  it('answers SOA and NS at the apex, and NXDOMAIN with the SOA for a service with no external address', async () => {
    const soa = records(await dig('example.org', 'SOA'));
    expect(soa).toHaveLength(1);
    expect(soa[0]).toMatch(
      /^example\.org\. 5 IN SOA ns1\.dns\.example\.org\. hostmaster\.dns\.example\.org\. \d+ 7200 1800 86400 5$/,
    );
    expect(records(await dig('example.org', 'NS'))[0]).toBe('example.org. 5 IN NS ns1.dns.example.org.');
    const missing = await dig('internal.shop.example.org', 'A');
    expect(missing).toMatch(/status: NXDOMAIN/);
    expect(records(missing)).toEqual([soa[0]]);
    // The service is still served in the cluster zone, by its cluster IP.
    expect(records(await dig('internal.shop.svc.cluster.local', 'A'))).toEqual([
      'internal.shop.svc.cluster.local. 5 IN A 10.96.45.30',
    ]);
  });

  it('hands a name that is not there to the upstream in the fallthrough zones only', async () => {
    expect(records(await dig('legacy.shop.example.net', 'A'))).toEqual([
      'legacy.shop.example.net. 300 IN A 198.51.100.9',
    ]);
    expect(records(await dig('web.shop.example.net', 'A'))).toEqual([
      'web.shop.example.net. 5 IN A 203.0.113.10',
    ]);
    // Nothing else of either zone was asked upstream (the HINFO is forward's loop probe).
    expect(upstream.asked.filter((asked) => !asked.endsWith(' HINFO'))).toEqual([
      'legacy.shop.example.net A',
    ]);
  });

  it('follows the load balancer: a new ingress IP is served as soon as the watch delivers it', async () => {
    api.apply(loadBalancer('shop', 'web', [{ ip: '203.0.113.11' }]));
    const deadline = Date.now() + 5000;
    let answer: string[] = [];
    while (Date.now() < deadline) {
      answer = records(await dig('web.shop.example.org', 'A'));
      if (answer[0]?.endsWith('203.0.113.11')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(answer).toEqual(['web.shop.example.org. 5 IN A 203.0.113.11']);
  });
});

describe('k8s_external outside the kubernetes block', () => {
  it('is refused at start-up with the line and why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clusterdns-external-'));
    try {
      const corefile = join(dir, 'Corefile');
      writeFileSync(corefile, '.:53 {\n  kubernetes cluster.local\n}\nexample.org:53 {\n  k8s_external\n}\n');
      const cli = await startCli(['--corefile', corefile, '--listen', '127.0.0.1:0']);
      expect(await cli.exited).not.toBe(0);
      expect(cli.output()).toContain(
        `${corefile}:5: k8s_external needs kubernetes in the same server block: it serves the external addresses of the services that kubernetes reads`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
