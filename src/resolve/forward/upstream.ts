// A client for upstream resolvers, used to fetch ExternalName targets outside the served zones.
// Each question goes out from a fresh socket (a random source port) with a random ID, and a reply
// counts only if it comes from the server asked, with that ID and that question; anything else is
// dropped as a spoofing attempt and counted. Servers are tried in order until one answers in time.
import { randomInt } from 'node:crypto';
import DgramAsPromised from 'dgram-as-promised';
import dnsPacket from 'dns-packet';
import type { Logger } from 'pino';
import { decodeMessage, namesEqual, type DecodedMessage } from '../../dns/index.js';
import { RRClass, Rcode } from '../../dns/types.js';
import type { HostPort } from '../../config/address.js';
import type { UpstreamAnswer, UpstreamLookup } from '../types.js';

export interface UpstreamOptions {
  servers: HostPort[];
  timeoutMs: number;
  logger: Logger;
}

export class UdpUpstream implements UpstreamLookup {
  /** Replies dropped because their source, ID or question did not match what was asked. */
  spoofedDropped = 0;

  constructor(private readonly options: UpstreamOptions) {}

  async lookup(name: string, type: number): Promise<UpstreamAnswer | undefined> {
    for (const server of this.options.servers) {
      try {
        const reply = await this.ask(server, name, type);
        if (reply && reply.rcode !== Rcode.SERVFAIL) {
          return { rcode: reply.rcode, truncated: reply.tc, answers: reply.answers };
        }
      } catch (error) {
        this.options.logger.debug({ err: error, upstream: server.host, name }, 'upstream query failed');
      }
    }
    return undefined;
  }

  private async ask(server: HostPort, name: string, type: number): Promise<DecodedMessage | undefined> {
    const id = randomInt(0, 0x10000);
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: typeName(type), class: 'IN' }],
    });
    const socket = DgramAsPromised.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    const deadline = Date.now() + this.options.timeoutMs;
    try {
      await socket.bind(0);
      await socket.send(query, server.port, server.host);
      for (;;) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return undefined;
        socket.setTimeout(remaining);
        const packet = await socket.recv().catch(() => undefined);
        if (!packet) return undefined;
        const reply = this.accept(packet.msg, packet.rinfo, server, id, name, type);
        if (reply) return reply;
      }
    } finally {
      await socket.close().catch(() => undefined);
    }
  }

  private accept(
    message: Buffer,
    from: { address: string; port: number },
    server: HostPort,
    id: number,
    name: string,
    type: number,
  ): DecodedMessage | undefined {
    let reply: DecodedMessage | undefined;
    try {
      reply = decodeMessage(message);
    } catch {
      reply = undefined;
    }
    const question = reply?.question[0];
    const matches =
      reply !== undefined &&
      from.address === server.host &&
      from.port === server.port &&
      reply.qr &&
      reply.id === id &&
      reply.question.length === 1 &&
      question !== undefined &&
      question.type === type &&
      question.class === RRClass.IN &&
      namesEqual(question.name, name);
    if (!matches) {
      this.spoofedDropped++;
      return undefined;
    }
    return reply;
  }
}

/** dns-packet reads `UNKNOWN_<n>` as type n for any type, known or not. */
function typeName(type: number): dnsPacket.RecordType {
  return `UNKNOWN_${type}` as dnsPacket.RecordType;
}
