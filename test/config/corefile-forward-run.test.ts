// Corefiles that need forward's options (tls:// upstreams among them), bufsize and chaos, under `clusterdns --corefile` (the
// built binary), asked over UDP and TCP as a pod would. Loopback addresses come from flags, as in
// corefile-run.test.ts: --listen for the block's port, --upstream for its resolv.conf.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, startCorefile, type RunningCli } from '../helpers/cli.js';
import { makeTestPki, TEST_SERVER_NAME, type TestPki } from '../helpers/certificates.js';
import {
  answerLines,
  buildQuery,
  decodeReply,
  tcpQuery,
  udpExchange,
  udpQuery,
} from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { dig, requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../registry/kubernetes/helpers.js';
import { startDotStub, type DotStub } from '../resolve/forward/dot-stub.js';
import { a, reply } from '../resolve/forward/stub.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);
const pki = makeTestPki();
afterAll(() => pki?.remove());
const real = (name: string) =>
  readFileSync(new URL(`fixtures/corefiles/real/${name}`, import.meta.url), 'utf8');

describe('real Corefiles with forward options, bufsize and chaos', () => {
  let api: FakeApiServer;
  // Speaks UDP only: a question forwarded over TCP gets no answer from it.
  let upstream: FakeUpstream;
  let dir: string;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    api = await FakeApiServer.start();
    const many = Array.from({ length: 100 }, (_, i) => `10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    for (const object of [
      namespace('shop'),
      service('shop', 'web', { clusterIP: '10.96.45.10' }),
      slice('shop', 'web', ['10.244.1.5']),
      service('shop', 'big', { clusterIP: 'None' }),
      slice('shop', 'big', many),
    ])
      api.apply(object);
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80'] });
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-corefile-forward-'));
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

  it("runs kubespray's Corefile: prefer_udp asks over UDP even for a TCP client", async () => {
    const port = await serve('kubespray.Corefile', real('kubespray.Corefile'));
    expect(answerLines((await udpQuery(port, 'web.shop.svc.cluster.local', 'A')).packet)).toEqual([
      'web.shop.svc.cluster.local A 10.96.45.10',
    ]);
    // Over TCP: the UDP-only upstream answers, since prefer_udp keeps the upstream query on UDP.
    // Without it, CoreDNS (and clusterdns) would ask over TCP, as the client came.
    const overTcp = (await tcpQuery(port, 'www.example.com', 'A')).packet;
    expect(answerLines(overTcp)).toEqual(['www.example.com A 192.0.2.80']);
    expect(upstream.asked).toContain('www.example.com A');
  });

  // OpenShift's default Corefile as it is: bufsize 512 in the main block, and the hostname.bind
  // block with chaos.
  describe.skipIf(!hasDig)("OpenShift's Corefile", () => {
    let port: number;
    beforeAll(async () => {
      port = await serve('openshift.Corefile', real('openshift.Corefile'));
    });

    it('cuts UDP replies to bufsize 512 and advertises it, whatever size the client offers', async () => {
      const reply = (await udpExchange(
        port,
        buildQuery('big.shop.svc.cluster.local', 'A', { udpSize: 4096 }),
      ))!;
      expect(reply.length).toBeLessThanOrEqual(512);
      const { stdout } = await run('dig', [
        '@127.0.0.1',
        '-p',
        String(port),
        '+time=2',
        '+tries=1',
        '+bufsize=4096',
        '+ignore',
        'big.shop.svc.cluster.local',
      ]);
      expect(stdout).toContain('flags: qr aa tc rd');
      expect(stdout).toMatch(/; EDNS: version: 0, flags:; udp: 512\n/);
      expect(decodeReply(reply).answers.length).toBeLessThan(100);
    });

    it('answers CH TXT hostname.bind from the chaos block, and only that name', async () => {
      const dig = async (name: string) =>
        (
          await run('dig', [
            '@127.0.0.1',
            '-p',
            String(port),
            '+time=2',
            '+tries=1',
            '+short',
            'CH',
            'TXT',
            name,
          ])
        ).stdout.trim();
      expect(await dig('hostname.bind')).toBe(`"${hostname()}"`);
      expect(await dig('version.bind')).toBe('');
    });
  });
});

// forward's README example `forward . tls://9.9.9.9 { tls_servername dns.quad9.net }`, with a
// DNS-over-TLS upstream on loopback whose certificate a test CA signed for dns.test, and which
// wants our client certificate (`tls CERT KEY CA`).
describe.runIf(pki)('a Corefile forwarding over TLS', () => {
  const { ca, serverCert, serverKey, clientCert, clientKey, pem } = pki ?? ({} as TestPki);
  let api: FakeApiServer;
  let upstream: DotStub;
  let dir: string;
  const running: RunningCli[] = [];

  beforeAll(async () => {
    api = await FakeApiServer.start();
    api.apply(namespace('shop'));
    api.apply(service('shop', 'web', { clusterIP: '10.96.45.10' }));
    upstream = await startDotStub(
      (q) => [reply(q, { answers: [a(q.message.question[0]!.name, '192.0.2.53')] })],
      { cert: pem(serverCert), key: pem(serverKey), clientCa: pem(ca) },
    );
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-corefile-tls-'));
  });

  afterAll(async () => {
    for (const cli of running) cli.child.kill('SIGKILL');
    await Promise.all([upstream?.close(), api?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  async function serve(servername: string): Promise<{ port: number; cli: RunningCli }> {
    const corefile = join(dir, `${servername}.Corefile`);
    writeFileSync(
      corefile,
      `.:53 {\n  errors\n  kubernetes cluster.local\n` +
        `  forward . tls://127.0.0.1:${upstream.server.port} {\n` +
        `    tls_servername ${servername}\n    tls ${clientCert} ${clientKey} ${ca}\n  }\n}\n`,
    );
    const port = await freePort();
    const cli = await startCli([
      '--corefile',
      corefile,
      '--listen',
      `127.0.0.1:${port}`,
      '--kubernetes',
      api.url,
    ]);
    running.push(cli);
    if (cli.child.exitCode !== null) throw new Error(`clusterdns refused ${corefile}:\n${cli.output()}`);
    return { port, cli };
  }

  const ask = (port: number, ...args: string[]) => dig(port, args, 3);

  it.skipIf(!hasDig)('answers dig over UDP and TCP, reusing one TLS connection upstream', async () => {
    const { port } = await serve(TEST_SERVER_NAME);
    expect((await ask(port, '+short', 'www.example.com')).trim()).toBe('192.0.2.53');
    expect((await ask(port, '+short', '+tcp', 'www.example.org')).trim()).toBe('192.0.2.53');
    expect((await ask(port, '+short', 'web.shop.svc.cluster.local')).trim()).toBe('10.96.45.10');
    // The loop check at start-up and every question since, on one connection.
    expect(upstream.connections).toBe(1);
    expect(upstream.questions()).toEqual(expect.arrayContaining(['www.example.com 1', 'www.example.org 1']));
  });

  it.skipIf(!hasDig)(
    'answers SERVFAIL and logs why when the certificate is not for tls_servername',
    async () => {
      const { port, cli } = await serve('other.test');
      const asked = upstream.queries.length;
      expect(await ask(port, 'www.example.net')).toContain('status: SERVFAIL');
      expect(upstream.queries.length).toBe(asked);
      expect(cli.output()).toMatch(/TLS connection failed, nothing from it is used: .*other\.test/);
    },
  );
});
