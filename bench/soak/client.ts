// A DNS client for load that checks what it gets: one UDP socket, many queries in flight, each
// reply matched to its query by ID and question and decoded with dns-packet (not the server's own
// codec, so the two check each other). Used by the soak and the flood tests.
import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { replyOf, type Reply } from '../../test/helpers/dns-client.js';

export interface Exchange {
  name: string;
  type: string;
  /** performance.now() when sent and when the reply came (or the wait ended). */
  sentAt: number;
  doneAt: number;
  /** Undefined when no reply came within the timeout. */
  reply?: Reply;
}

interface Pending {
  name: string;
  type: string;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve: (exchange: Exchange) => void;
}

export class DnsLoadClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = Math.floor(Math.random() * 0x10000);
  /** Replies that matched no query in flight (late, after their timeout). */
  unmatched = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly port: number,
    private readonly host: string,
  ) {
    socket.on('message', (bytes) => this.received(bytes));
  }

  static async open(port: number, host = '127.0.0.1'): Promise<DnsLoadClient> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    // Replies at load rates must not be dropped by a small default receive buffer.
    socket.setRecvBufferSize(4 << 20);
    return new DnsLoadClient(socket, port, host);
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends one question; resolves when the reply comes or after `timeoutMs` without it. */
  query(name: string, type: string, timeoutMs = 2000): Promise<Exchange> {
    const id = this.freeId();
    const bytes = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
    });
    return new Promise((resolve) => {
      const sentAt = performance.now();
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ name, type, sentAt, doneAt: performance.now() });
      }, timeoutMs);
      this.pending.set(id, { name, type, sentAt, timer, resolve });
      this.socket.send(bytes, this.port, this.host);
    });
  }

  close(): Promise<void> {
    for (const waiting of this.pending.values()) clearTimeout(waiting.timer);
    this.pending.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private freeId(): number {
    if (this.pending.size >= 0x10000) throw new Error('65536 queries in flight on one socket');
    while (this.pending.has(this.nextId)) this.nextId = (this.nextId + 1) & 0xffff;
    const id = this.nextId;
    this.nextId = (this.nextId + 1) & 0xffff;
    return id;
  }

  private received(bytes: Buffer): void {
    if (bytes.length < 12) return;
    const waiting = this.pending.get(bytes.readUInt16BE(0));
    if (!waiting) {
      this.unmatched++;
      return;
    }
    let packet: dnsPacket.Packet;
    try {
      packet = dnsPacket.decode(bytes);
    } catch {
      return;
    }
    const question = packet.questions?.[0];
    if (!question || question.name.toLowerCase() !== waiting.name.toLowerCase()) {
      this.unmatched++;
      return;
    }
    const reply = replyOf(packet);
    this.pending.delete(reply.id);
    clearTimeout(waiting.timer);
    waiting.resolve({
      name: waiting.name,
      type: waiting.type,
      sentAt: waiting.sentAt,
      doneAt: performance.now(),
      reply,
    });
  }
}

/**
 * Runs `count` queries keeping `window` in flight, handing each finished exchange to `check`.
 * Returns how many got no reply.
 */
export async function runWindowed(
  client: DnsLoadClient,
  count: number,
  window: number,
  question: (i: number) => [string, string],
  check: (exchange: Exchange) => void,
): Promise<number> {
  let next = 0;
  let lost = 0;
  const worker = async () => {
    while (next < count) {
      const [name, type] = question(next++);
      const exchange = await client.query(name, type);
      if (!exchange.reply) lost++;
      check(exchange);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return lost;
}
