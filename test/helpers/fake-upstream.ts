// A real UDP DNS server on loopback standing in for an upstream resolver: it answers from a
// small map, can set TC, and can send a forged reply (wrong ID, wrong address) before the real one.
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface FakeUpstream {
  port: number;
  asked: string[];
  close(): Promise<void>;
}

export async function startFakeUpstream(
  records: Record<string, string[]>,
  { truncate = [] as string[], forgeFirst = false } = {},
): Promise<FakeUpstream> {
  const socket: Socket = createSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (message, remote) => {
    const query = dnsPacket.decode(message);
    const question = query.questions![0]!;
    asked.push(`${question.name} ${question.type}`);
    const addresses = records[question.name.toLowerCase()] ?? [];
    const reply = (id: number, forged = false) =>
      dnsPacket.encode({
        type: 'response',
        id,
        flags:
          dnsPacket.RECURSION_AVAILABLE |
          (truncate.includes(question.name) ? dnsPacket.TRUNCATED_RESPONSE : 0),
        questions: [question],
        answers: addresses
          .filter((address) => (question.type === 'AAAA') === address.includes(':'))
          .map((address) => ({
            name: question.name,
            type: question.type as 'A',
            ttl: 300,
            data: forged ? '203.0.113.66' : address,
          })),
      });
    if (forgeFirst) socket.send(reply((query.id! + 1) & 0xffff, true), remote.port, remote.address);
    socket.send(reply(query.id!), remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    asked,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
