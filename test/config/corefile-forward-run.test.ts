// Corefiles that need forward's options, bufsize and chaos, under `clusterdns --corefile` (the
// built binary), asked over UDP and TCP as a pod would. Loopback addresses come from flags, as in
// corefile-run.test.ts: --listen for the block's port, --upstream for its resolv.conf.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorefile, type RunningCli } from '../helpers/cli.js';
import {
  answerLines,
  buildQuery,
  decodeReply,
  tcpQuery,
  udpExchange,
  udpQuery,
} from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../kubernetes/fake-apiserver.js';
import { namespace, service, slice } from '../kubernetes/helpers.js';

const run = promisify(execFile);
const hasDig = requireTool('dig', ['-v']);
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
