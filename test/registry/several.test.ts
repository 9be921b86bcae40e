// The built binary with two registries at once, zone files and Nacos: both serve under the same
// zone, a service both define is answered from the zone files (first in priority order) with the
// conflict logged once, and Nacos going down leaves every name answering as before.

import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { udpQuery } from '../helpers/dns-client.js';
import { list, namespace, service } from '../helpers/manifests.js';
import { makeZonesDir } from '../helpers/server.js';
import { SpringCloudStyleApp } from './nacos/app.js';
import { FakeNacos } from './nacos/fake-nacos.js';

let cli: RunningCli | undefined;
let nacos: FakeNacos | undefined;
afterEach(async () => {
  cli?.child.kill('SIGTERM');
  await cli?.exited;
  cli = undefined;
  await nacos?.stop();
  nacos = undefined;
});

async function addresses(port: number, name: string): Promise<{ rcode: string; ips: string[] }> {
  const { packet } = await udpQuery(port, name, 'A');
  return { rcode: packet.rcode, ips: packet.answers.map((a) => String(a.data)).sort() };
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('zone files and Nacos at once', () => {
  it('serves both, prefers the zone files on a conflict, and survives Nacos going down', async () => {
    nacos = new FakeNacos({ cacheMillis: 100 });
    await nacos.start();
    for (const [service, ip] of [
      ['orders', '10.20.0.1'],
      ['web', '10.20.0.9'], // also in the zone files: the files win
    ] as const) {
      await new SpringCloudStyleApp({ nacos: nacos.url, service, ip, port: 8080 }).register();
    }
    const dir = await makeZonesDir({
      'cluster.yaml': list(
        namespace('default'),
        service('default', 'web', { clusterIPs: ['10.96.0.80'], ports: [{ name: 'http', port: 80 }] }),
      ),
    });
    const port = await freePort();
    cli = await startCli([
      '--zones',
      dir,
      '--nacos',
      nacos.url,
      '--nacos-namespace-map',
      'default=public',
      '--nacos-min-poll',
      '100ms',
      '--listen',
      `127.0.0.1:${port}`,
    ]);

    await until(async () => (await addresses(port, 'orders.default.svc.cluster.local')).ips.length > 0);
    expect(await addresses(port, 'orders.default.svc.cluster.local')).toEqual({
      rcode: 'NOERROR',
      ips: ['10.20.0.1'],
    });
    expect(await addresses(port, 'web.default.svc.cluster.local')).toEqual({
      rcode: 'NOERROR',
      ips: ['10.96.0.80'],
    });
    await new Promise((r) => setTimeout(r, 500)); // several Nacos polls: still one log line
    const conflicts = cli
      .output()
      .split('\n')
      .filter((line) => line.includes('service defined by two registries'));
    expect(conflicts).toHaveLength(1);
    expect(JSON.parse(conflicts[0]!)).toMatchObject({
      service: 'default/web',
      served: 'file',
      ignored: 'nacos',
    });

    await nacos.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(await addresses(port, 'orders.default.svc.cluster.local')).toEqual({
      rcode: 'NOERROR',
      ips: ['10.20.0.1'],
    });
    expect(await addresses(port, 'web.default.svc.cluster.local')).toEqual({
      rcode: 'NOERROR',
      ips: ['10.96.0.80'],
    });
  });
});
