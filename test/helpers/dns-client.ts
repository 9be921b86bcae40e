// A DNS client for tests over real loopback sockets. Queries are built and replies decoded with
// dns-packet, independently of the server's own codec, so the two check each other.
import DgramAsPromised, { TimeoutError } from 'dgram-as-promised';
import { connect } from 'node:net';
import dnsPacket, { type Packet } from 'dns-packet';

/** A decoded record, loosely typed: tests read whichever fields its type has. */
export interface AnyRecord {
  name: string;
  type: string;
  ttl?: number;
  data?: unknown;
  udpPayloadSize?: number;
  extendedRcode?: number;
}

/** A decoded reply, as dns-packet reads it (its own typings omit rcode and mix OPT into answers). */
export interface Reply {
  id: number;
  flags: number;
  rcode: string;
  answers: AnyRecord[];
  authorities: AnyRecord[];
  additionals: AnyRecord[];
}

export function decodeReply(bytes: Buffer): Reply {
  return replyOf(dnsPacket.decode(bytes));
}

/** A message dns-packet decoded, as a Reply. */
export function replyOf(decoded: Packet): Reply {
  const packet = decoded as unknown as Partial<Reply>;
  return {
    id: packet.id ?? 0,
    flags: packet.flags ?? 0,
    rcode: packet.rcode ?? 'NOERROR',
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: packet.additionals ?? [],
  };
}

export interface QueryOptions {
  id?: number;
  /** Adds an OPT record with this UDP payload size. */
  udpSize?: number;
  dnssecOk?: boolean;
  recursionDesired?: boolean;
  checkingDisabled?: boolean;
}

export function buildQuery(name: string, type: string, options: QueryOptions = {}): Buffer {
  const packet: Packet = {
    type: 'query',
    id: options.id ?? Math.floor(Math.random() * 0x10000),
    flags:
      (options.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED) |
      (options.checkingDisabled ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
  };
  if (options.udpSize !== undefined) {
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: options.udpSize,
        flags: options.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
        options: [],
      } as unknown as dnsPacket.Answer,
    ];
  }
  return dnsPacket.encode(packet);
}

/** Send raw bytes over UDP and wait for one reply (or undefined after `timeoutMs`). */
export async function udpExchange(
  port: number,
  message: Buffer,
  host = '127.0.0.1',
  timeoutMs = 2000,
  /** Send from this local address (another loopback address plays another client). */
  from?: string,
): Promise<Buffer | undefined> {
  const socket = DgramAsPromised.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  // No reply within timeoutMs: recv() rejects with a TimeoutError, and the answer is "none".
  socket.setTimeout(timeoutMs);
  try {
    if (from) await socket.bind(0, from);
    // Listening before sending: the socket keeps no message for a recv() that comes later, and a
    // reply from loopback can arrive before send() has resolved.
    const reply = socket.recv();
    reply.catch(() => undefined); // its rejection is handled below, once send() has resolved
    await socket.send(message, port, host);
    return (await reply)?.msg;
  } catch (error) {
    if (error instanceof TimeoutError) return undefined;
    throw error;
  } finally {
    await socket.close();
  }
}

export async function udpQuery(
  port: number,
  name: string,
  type: string,
  options: QueryOptions & { from?: string } = {},
) {
  const reply = await udpExchange(port, buildQuery(name, type, options), '127.0.0.1', 2000, options.from);
  if (!reply) throw new Error(`no UDP reply for ${name} ${type}`);
  return { bytes: reply, packet: decodeReply(reply) };
}

/** Messages as a TCP stream carries them: each behind its two-byte length (RFC 7766 §8). */
export function framed(messages: Buffer[]): Buffer {
  return Buffer.concat(
    messages.flatMap((message) => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      return [length, message];
    }),
  );
}

/** Send several framed messages on one TCP connection (optionally in tiny chunks); collect `expect` replies. */
export function tcpExchange(
  port: number,
  messages: Buffer[],
  {
    expect = messages.length,
    chunkSize,
    host = '127.0.0.1',
    from,
  }: { expect?: number; chunkSize?: number; host?: string; from?: string } = {},
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, ...(from ? { localAddress: from } : {}) });
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TCP: got ${replies.length} of ${expect} replies`));
    }, 5000);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length >= expect) {
        clearTimeout(timer);
        socket.end();
        resolve(replies);
      }
    });
    const stream = framed(messages);
    socket.on('connect', async () => {
      if (!chunkSize) {
        socket.write(stream);
        return;
      }
      for (let i = 0; i < stream.length; i += chunkSize) {
        socket.write(stream.subarray(i, i + chunkSize));
        await new Promise((r) => setTimeout(r, 1));
      }
    });
  });
}

export async function tcpQuery(
  port: number,
  name: string,
  type: string,
  options: QueryOptions & { from?: string } = {},
) {
  const [reply] = await tcpExchange(
    port,
    [buildQuery(name, type, options)],
    options.from ? { from: options.from } : {},
  );
  return { bytes: reply!, packet: decodeReply(reply!) };
}

/** Answer records as `name TYPE data` strings. */
export function answerLines(packet: Reply): string[] {
  return packet.answers.map((answer) => {
    const data = answer.data;
    const text =
      typeof data === 'object' && data !== null && !Buffer.isBuffer(data) && !Array.isArray(data)
        ? Object.values(data as object).join(' ')
        : String(data);
    return `${answer.name} ${answer.type} ${text}`;
  });
}
