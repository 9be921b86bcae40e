// A real UDP DNS server on loopback standing in for an upstream resolver: it answers from a
// small map, can set TC, can send a forged reply (wrong ID, wrong address) before the real one,
// can deny every other name below a zone (NXDOMAIN with the zone's SOA, which a cache keeps), and
// can stall (read queries, answer none), as a dead upstream does.
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { soa } from '../resolve/forward/stub.js';

export interface FakeUpstream {
  port: number;
  /** Questions asked, `name TYPE`; with `keepAsked: false`, only counted. */
  asked: string[];
  /** Queries received, stalled ones included. */
  received: number;
  /** While on, queries are read and never answered. */
  stall(on: boolean): void;
  close(): Promise<void>;
}

export interface FakeUpstreamOptions {
  truncate?: string[];
  forgeFirst?: boolean;
  /** Names in this zone that are not in the map get NXDOMAIN with an SOA (negative TTL 300). */
  denyBelow?: string;
  /** Keep every question in `asked` (default); a flood test turns it off to keep memory flat. */
  keepAsked?: boolean;
}

export async function startFakeUpstream(
  records: Record<string, string[]>,
  { truncate = [], forgeFirst = false, denyBelow, keepAsked = true }: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const socket: Socket = createSocket('udp4');
  let stalled = false;
  const upstream: FakeUpstream = {
    port: 0,
    asked: [],
    received: 0,
    stall: (on) => (stalled = on),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (message, remote) => {
    upstream.received++;
    if (stalled) return;
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    if (keepAsked) upstream.asked.push(`${question.name} ${question.type}`);
    const name = question.name.toLowerCase();
    const addresses = records[name];
    const denied =
      addresses === undefined &&
      denyBelow !== undefined &&
      (name === denyBelow || name.endsWith(`.${denyBelow}`));
    const reply = (id: number, forged = false) =>
      dnsPacket.encode({
        type: 'response',
        id,
        flags:
          dnsPacket.RECURSION_AVAILABLE |
          (truncate.includes(question.name) ? dnsPacket.TRUNCATED_RESPONSE : 0) |
          (denied ? 3 : 0),
        questions: [question],
        answers: (addresses ?? [])
          .filter((address) => (question.type === 'AAAA') === address.includes(':'))
          .map((address) => ({
            name: question.name,
            type: question.type as 'A',
            ttl: 300,
            data: forged ? '203.0.113.66' : address,
          })),
        authorities: denied ? [soa(denyBelow!, 300, 300)] : [],
      });
    if (forgeFirst) socket.send(reply((query.id! + 1) & 0xffff, true), remote.port, remote.address);
    socket.send(reply(query.id!), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  upstream.port = socket.address().port;
  return upstream;
}
