// QTYPE ANY per RFC 8482, over real sockets: one small RRset for every kind of name (cluster,
// hosts, forwarded), the lookup's own rcode for names that do not exist, and a UDP reply too small
// to amplify anything, even for a headless service with 200 endpoints.
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, decodeReply, tcpQuery, udpExchange } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { bigHeadless, endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
  service('shop', 'alias', { externalName: 'www.example.com' }),
  ...bigHeadless('shop', 'big', 200),
);

/** `name TYPE data` for each answer, HINFO as its two strings. */
function lines(packet: dnsPacket.Packet): string[] {
  return (packet.answers ?? []).map((answer) => {
    const data = (answer as { data: unknown }).data;
    const shown =
      answer.type === 'HINFO'
        ? `"${(data as { cpu: string }).cpu}" "${(data as { os: string }).os}"`
        : String(data);
    return `${answer.name} ${answer.type} ${shown}`;
  });
}

describe('ANY (RFC 8482)', () => {
  let server: TestServer;
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream({ 'www.example.com': ['192.0.2.80', '2001:db8::80'] });
    server = await startServer({ 'shop.yaml': SHOP }, [
      '--upstream',
      `127.0.0.1:${upstream.port}`,
      '--hosts',
      '10.0.0.9 gateway.example',
    ]);
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });

  const any = async (name: string, udpSize?: number) => {
    const query = buildQuery(name, 'ANY', udpSize ? { udpSize } : {});
    const reply = await udpExchange(server.port, query);
    if (!reply) throw new Error(`no reply for ANY ${name}`);
    return { query, reply, packet: decodeReply(reply) as unknown as dnsPacket.Packet & { rcode: string } };
  };

  it.each([
    ['a headless service with 200 endpoints', 'big.shop.svc.cluster.local', 'NOERROR'],
    ['a ClusterIP service', 'web.shop.svc.cluster.local', 'NOERROR'],
    ['a hosts entry', 'gateway.example', 'NOERROR'],
    ['a forwarded name', 'www.example.com', 'NOERROR'],
    ['the zone apex', 'cluster.local', 'NOERROR'],
  ])('%s gets one HINFO "RFC8482" "" and a reply under twice the query', async (_what, name, rcode) => {
    for (const udpSize of [undefined, 4096]) {
      const { query, reply, packet } = await any(name, udpSize);
      expect(packet.rcode).toBe(rcode);
      expect(lines(packet)).toEqual([`${name} HINFO "RFC8482" ""`]);
      expect(packet.flags! & dnsPacket.TRUNCATED_RESPONSE).toBe(0);
      expect(reply.length).toBeLessThan(2 * query.length);
    }
  });

  it('caps a UDP reply at 1232 bytes whatever buffer the client claims; TCP has the rest', async () => {
    const query = buildQuery('big.shop.svc.cluster.local', 'A', { udpSize: 65535 });
    const reply = (await udpExchange(server.port, query))!;
    expect(reply.length).toBeLessThanOrEqual(1232);
    expect(decodeReply(reply).flags & dnsPacket.TRUNCATED_RESPONSE).toBeTruthy();
    const { packet } = await tcpQuery(server.port, 'big.shop.svc.cluster.local', 'A');
    expect(packet.answers).toHaveLength(200);
  });

  it('answers an alias with its CNAME alone', async () => {
    const { packet } = await any('alias.shop.svc.cluster.local');
    expect(lines(packet)).toEqual(['alias.shop.svc.cluster.local CNAME www.example.com']);
  });

  it('keeps NXDOMAIN for names that do not exist', async () => {
    const { packet } = await any('nope.shop.svc.cluster.local');
    expect(packet.rcode).toBe('NXDOMAIN');
    expect(packet.answers).toEqual([]);
  });

  it('answers the same over TCP, and never asks an upstream for ANY', async () => {
    const { packet } = await tcpQuery(server.port, 'big.shop.svc.cluster.local', 'ANY');
    expect(packet.answers).toHaveLength(1);
    expect(upstream.asked.filter((asked) => asked.endsWith(' ANY'))).toEqual([]);
    expect(upstream.asked).toContain('www.example.com A');
  });
});
