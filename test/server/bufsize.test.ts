// bufsize (https://coredns.io/plugins/bufsize/) over real sockets: our EDNS payload size is what a
// reply's OPT record advertises and the most a UDP reply to an EDNS client holds, whatever larger
// size the client offers; a smaller offer is kept. The compiled fast path (the second ask) and the
// general path (the first) must agree.
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, decodeReply, udpExchange } from '../helpers/dns-client.js';
import { bigHeadless, list, namespace } from '../helpers/manifests.js';
import { startServer, type TestServer } from '../helpers/server.js';

// 200 A records: about 3.3 KB, over 1232 and under 4096.
const SHOP = list(namespace('shop'), ...bigHeadless('shop', 'big', 200));
const NAME = 'big.shop.svc.cluster.local';

/** The reply's OPT payload size, read from its bytes (the last record: root, type 41, CLASS). */
function advertised(reply: Buffer): number {
  const opt = (dnsPacket.decode(reply).additionals ?? []).find((record) => record.type === 'OPT') as
    { udpPayloadSize: number } | undefined;
  return opt?.udpPayloadSize ?? 0;
}

describe.each([
  // [bufsize flag, client's offer, largest reply, whole answer fits, OPT advertised]
  [undefined, 4096, 1232, false, 1232],
  ['512', 4096, 512, false, 512],
  ['512', 1232, 512, false, 512],
  ['4096', 4096, 4096, true, 4096],
  ['4096', 1500, 1500, false, 4096],
  ['4096', 65535, 4096, true, 4096],
] as const)('bufsize %s, client offering %i', (bufsize, offer, limit, whole, size) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP }, bufsize ? ['--bufsize', bufsize] : []);
  });
  afterAll(async () => server.close());

  it(`replies within ${limit} bytes${whole ? ' with all 200 records' : ', truncated'}, advertising ${size}`, async () => {
    // The first ask takes the general path and compiles the answer; the second is served compiled.
    for (const pass of ['general', 'compiled']) {
      const reply = (await udpExchange(server.port, buildQuery(NAME, 'A', { udpSize: offer })))!;
      expect(reply, pass).toBeDefined();
      expect(reply.length, pass).toBeLessThanOrEqual(limit);
      const decoded = decodeReply(reply);
      expect(decoded.flags & dnsPacket.TRUNCATED_RESPONSE, pass).toBe(
        whole ? 0 : dnsPacket.TRUNCATED_RESPONSE,
      );
      if (whole) expect(decoded.answers, pass).toHaveLength(200);
      expect(advertised(reply), pass).toBe(size);
    }
  });
});

it('refuses a bufsize outside 512-4096, naming the option', async () => {
  for (const value of ['511', '4097', 'big']) {
    await expect(startServer({}, ['--bufsize', value])).rejects.toThrow(
      /--bufsize: ".*": expected a whole number from 512 to 4096/,
    );
  }
});
