// Every real Corefile of the corpus (fixtures/corefiles/real/, and the two Kubernetes ships) run as
// it is, the way an operator swaps clusterdns in for CoreDNS: `clusterdns --corefile FILE` with
// loopback addresses from flags (--listen, --kubernetes for the API, --upstream for what the file
// forwards to the node's resolver). Each must start and answer a cluster name from the API and an
// external name through its forwarder. NodeLocal DNSCache files forward cluster names to the
// cluster's DNS service instead (corefile-blocks-run.test.ts runs one against a cluster DNS).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorefile } from '../helpers/cli.js';
import { answerLines, udpQuery } from '../helpers/dns-client.js';
import { a, reply, startStub, type Stub } from '../resolve/forward/stub.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../registry/kubernetes/helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
const REAL = readdirSync(fixture('corefiles/real')).map((name) => `corefiles/real/${name}`);
const CORPUS = ['kubeadm.Corefile', 'kubernetes-addon.Corefile', ...REAL];
/** These forward cluster.local to the cluster's DNS service, which is not on this machine. */
const forwardsClusterNames = (name: string) => /nodelocal/.test(name);

describe('the corpus of real Corefiles, run as they are', () => {
  let api: FakeApiServer;
  /** The node's resolver, over UDP and TCP (some files forward with force_tcp). */
  let upstream: Stub;

  beforeAll(async () => {
    api = await FakeApiServer.start();
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
    ])
      api.apply(object);
    upstream = await startStub((query) => {
      const question = query.message.question[0]!;
      return [reply(query, question.type === 1 ? { answers: [a(question.name, '192.0.2.80')] } : {})];
    });
  });

  afterAll(async () => {
    await Promise.all([upstream?.close(), api?.close()]);
  });

  it.each(CORPUS)('%s starts and answers', async (name) => {
    const { port, child } = await startCorefile(fixture(name), api.url, upstream.server.port);
    try {
      if (!forwardsClusterNames(name)) {
        expect(answerLines((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet)).toEqual([
          'web.shop.svc.cluster.local A 10.96.45.10',
        ]);
      }
      // Not example.com: OpenShift's forwarders file sends that zone to upstreams of its own.
      expect(answerLines((await udpQuery(port, 'www.example.net', 'A')).packet)).toEqual([
        'www.example.net A 192.0.2.80',
      ]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
