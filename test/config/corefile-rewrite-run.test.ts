// CoreDNS's rewrite plugin under `clusterdns --corefile` (the built binary), asked with real dig:
// the examples of https://coredns.io/plugins/rewrite/ as a table of question → what dig shows
// (the question section, the client's own name, and the answer section), vcluster's default
// Corefile, and `stop` against `continue` over a list of rules.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorefile, type RunningCli } from '../helpers/cli.js';
import { answerLines, udpQuery } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { dig, requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../registry/kubernetes/helpers.js';

const hasDig = requireTool('dig', ['-v']);
const real = (name: string) =>
  readFileSync(new URL(`fixtures/corefiles/real/${name}`, import.meta.url), 'utf8');

/** What dig shows of a reply: its status, then the question and answer sections, one line each. */
async function digShown(port: number, name: string, type = 'A'): Promise<string[]> {
  const stdout = await dig(port, ['+nocmd', '+nostats', '+noadditional', '+noauthority', type, name]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? 'no reply';
  const lines = stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && (!line.startsWith(';') || /^;[^;\s]/.test(line)))
    .map((line) => line.replace(/\s+/g, ' ').replace(/ \d+ IN /, ' IN '));
  return [status, ...lines];
}

/** The README's examples, each a rewrite line of one block (each stops at its match). */
const EXAMPLES_COREFILE = `.:53 {
    errors
    rewrite name exact red.example.org web.shop.svc.cluster.local
    rewrite name prefix www.shop web.shop
    rewrite name prefix api.shop web.shop answer auto
    rewrite name suffix .schmoogle.com. .google.com.
    rewrite name suffix .example.internal .svc.cluster.local answer auto
    rewrite name substring service.us-west-1.example.org service.us-west-1.consul
    rewrite name regex (.*)-(us-west-1)\\.example\\.org {1}.service.{2}.consul
    rewrite stop {
        name regex (.*)-(us-west-1)\\.coredns\\.rocks {1}.service.{2}.consul
        answer name (.*)\\.service\\.(us-west-1)\\.consul {1}-{2}.coredns.rocks
    }
    rewrite name regex (?P<svc>[a-z]+)\\.legacy\\.corp {1}.shop.svc.cluster.local answer auto
    rewrite name regex (.*)\\.broken\\.test {1}..test
    kubernetes cluster.local
    forward . 127.0.0.1
}
`;

const CONSUL = ['10.10.10.10', '10.20.20.20', '10.30.30.30'];

const EXAMPLES: [what: string, name: string, type: string, shown: string[]][] = [
  [
    'exact: the answer is named back always',
    'red.example.org',
    'A',
    ['NOERROR', ';red.example.org. IN A', 'red.example.org. IN A 10.96.45.10'],
  ],
  [
    "exact: the client's case is kept in the question and the answer",
    'Red.Example.ORG',
    'A',
    ['NOERROR', ';Red.Example.ORG. IN A', 'Red.Example.ORG. IN A 10.96.45.10'],
  ],
  [
    'prefix without answer: the answer keeps the rewritten name',
    'www.shop.svc.cluster.local',
    'A',
    ['NOERROR', ';www.shop.svc.cluster.local. IN A', 'web.shop.svc.cluster.local. IN A 10.96.45.10'],
  ],
  [
    'prefix with answer auto',
    'api.shop.svc.cluster.local',
    'A',
    ['NOERROR', ';api.shop.svc.cluster.local. IN A', 'api.shop.svc.cluster.local. IN A 10.96.45.10'],
  ],
  [
    'suffix, forwarded upstream',
    'www.schmoogle.com',
    'A',
    ['NOERROR', ';www.schmoogle.com. IN A', 'www.google.com. IN A 192.0.2.10'],
  ],
  [
    'suffix with answer auto',
    'web.shop.example.internal',
    'A',
    ['NOERROR', ';web.shop.example.internal. IN A', 'web.shop.example.internal. IN A 10.96.45.10'],
  ],
  [
    'suffix with answer auto: SRV owner names and targets are named back',
    '_http._tcp.web.shop.example.internal',
    'SRV',
    [
      'NOERROR',
      ';_http._tcp.web.shop.example.internal. IN SRV',
      '_http._tcp.web.shop.example.internal. IN SRV 0 100 80 web.shop.example.internal.',
    ],
  ],
  [
    'substring',
    'ftp.service.us-west-1.example.org',
    'A',
    [
      'NOERROR',
      ';ftp.service.us-west-1.example.org. IN A',
      ...CONSUL.map((ip) => `ftp.service.us-west-1.consul. IN A ${ip}`),
    ],
  ],
  [
    'regex with {1} and {2}: the answer keeps the rewritten name',
    'ftp-us-west-1.example.org',
    'A',
    [
      'NOERROR',
      ';ftp-us-west-1.example.org. IN A',
      ...CONSUL.map((ip) => `ftp.service.us-west-1.consul. IN A ${ip}`),
    ],
  ],
  [
    'regex with answer name (the block form)',
    'ftp-us-west-1.coredns.rocks',
    'A',
    [
      'NOERROR',
      ';ftp-us-west-1.coredns.rocks. IN A',
      ...CONSUL.map((ip) => `ftp-us-west-1.coredns.rocks. IN A ${ip}`),
    ],
  ],
  [
    'regex with a Go named group, (?P<svc>...), and answer auto',
    'web.legacy.corp',
    'A',
    ['NOERROR', ';web.legacy.corp. IN A', 'web.legacy.corp. IN A 10.96.45.10'],
  ],
  [
    'a name no rule matches is answered as asked',
    'web.shop.svc.cluster.local',
    'A',
    ['NOERROR', ';web.shop.svc.cluster.local. IN A', 'web.shop.svc.cluster.local. IN A 10.96.45.10'],
  ],
  [
    'a rule that makes no name: SERVFAIL, as CoreDNS',
    'a.broken.test',
    'A',
    ['SERVFAIL', ';a.broken.test. IN A'],
  ],
];

/** `stop` (the default) ends the list at a match; `continue` goes on with the rewritten name. */
const ORDER_COREFILE = `.:53 {
    rewrite continue name suffix .old.example .mid.example
    rewrite name suffix .mid.example .shop.svc.cluster.local answer auto
    rewrite name suffix .shop.svc.cluster.local .nowhere.example
    kubernetes cluster.local
    forward . 127.0.0.1
}
`;

const ORDER: [what: string, name: string, shown: string[]][] = [
  [
    'continue, then a stop rule whose answer auto names the answer back one step',
    'web.old.example',
    ['NOERROR', ';web.old.example. IN A', 'web.mid.example. IN A 10.96.45.10'],
  ],
  [
    'stop: the rule after it is not applied',
    'web.mid.example',
    ['NOERROR', ';web.mid.example. IN A', 'web.mid.example. IN A 10.96.45.10'],
  ],
  [
    'the last rule alone sends a cluster name to a denied zone upstream',
    'web.shop.svc.cluster.local',
    ['NXDOMAIN', ';web.shop.svc.cluster.local. IN A'],
  ],
];

describe.skipIf(!hasDig)('rewrite under --corefile, asked with dig', () => {
  let api: FakeApiServer;
  let upstream: FakeUpstream;
  let dir: string;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('default'),
      service('default', 'kubernetes', { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] }),
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
    ])
      api.apply(object);
    upstream = await startFakeUpstream(
      { 'www.google.com': ['192.0.2.10'], 'ftp.service.us-west-1.consul': CONSUL },
      { denyBelow: 'nowhere.example' },
    );
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-corefile-rewrite-'));
  });

  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await Promise.all([upstream?.close(), api?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(name: string, text: string): Promise<number> {
    const corefile = join(dir, name);
    writeFileSync(corefile, text);
    const { port, ...cli } = await startCorefile(corefile, api.url, upstream.port);
    running.push(cli);
    return port;
  }

  describe("the plugin README's examples", () => {
    let port: number;
    beforeAll(async () => {
      port = await serve('examples.Corefile', EXAMPLES_COREFILE);
    });

    it.each(EXAMPLES)('%s: %s %s', async (_what, name, type, shown) => {
      expect(await digShown(port, name, type)).toEqual(shown);
    });

    it('answers a rewritten name asked again from the rewritten name, not from a compiled answer', async () => {
      // A cluster name asked twice in a plain query (as a stub resolver sends it) is answered from
      // compiled bytes the second time, kept until what the asked name depends on changes. Compiled
      // under the asked name (api.shop, no service), the answer to a rewritten one would outlive a
      // change to the service it came from (web.shop).
      const asked = 'api.shop.svc.cluster.local';
      const ask = async (name: string) => answerLines((await udpQuery(port, name, 'A')).packet);
      expect(await ask(asked)).toEqual([`${asked} A 10.96.45.10`]);
      expect(await ask(asked)).toEqual([`${asked} A 10.96.45.10`]);
      api.apply(service('shop', 'web', { clusterIP: '10.96.45.11' }));
      try {
        const deadline = Date.now() + 5000;
        while ((await ask('web.shop.svc.cluster.local'))[0]?.endsWith('10.96.45.10')) {
          if (Date.now() > deadline) throw new Error('the server never saw the changed service');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(await ask(asked)).toEqual([`${asked} A 10.96.45.11`]);
      } finally {
        api.apply(service('shop', 'web', { clusterIP: '10.96.45.10' }));
      }
    });
  });

  describe('stop and continue over a list of rules', () => {
    let port: number;
    beforeAll(async () => {
      port = await serve('order.Corefile', ORDER_COREFILE);
    });

    it.each(ORDER)('%s: %s', async (_what, name, shown) => {
      expect(await digShown(port, name)).toEqual(shown);
    });
  });

  describe("vcluster's default Corefile", () => {
    let port: number;
    beforeAll(async () => {
      // Its hosts file is the node list vcluster syncs into the pod: an empty one here.
      const hosts = join(dir, 'NodeHosts');
      writeFileSync(hosts, '');
      port = await serve('vcluster.Corefile', real('vcluster.Corefile').replace('/etc/NodeHosts', hosts));
    });

    it('answers a node name with the API server service, under the name asked', async () => {
      expect(await digShown(port, 'worker-1.nodes.vcluster.com')).toEqual([
        'NOERROR',
        ';worker-1.nodes.vcluster.com. IN A',
        'kubernetes.default.svc.cluster.local. IN A 10.96.0.1',
      ]);
    });

    it('answers cluster names as before', async () => {
      expect(await digShown(port, 'web.shop.svc.cluster.local')).toEqual([
        'NOERROR',
        ';web.shop.svc.cluster.local. IN A',
        'web.shop.svc.cluster.local. IN A 10.96.45.10',
      ]);
    });
  });
});
