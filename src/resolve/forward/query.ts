// The query we send upstream and the test a reply must pass to be believed.
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { writeIPv4, writeIPv6 } from '../../dns/address.js';
import {
  decodeMessage,
  encodeName,
  namesEqual,
  MAX_NAME_LENGTH,
  type DecodedMessage,
} from '../../dns/index.js';
import type { Question } from '../../dns/types.js';
import type { HostPort } from '../../config/address.js';

/**
 * Our advertised UDP payload size: large enough for most answers, small enough to avoid IP
 * fragmentation (the DNS Flag Day 2020 value).
 */
export const EDNS_UDP_SIZE = 1232;

export interface QueryOptions {
  /** Add an OPT record (RFC 6891). Off only for a server that rejected EDNS with FORMERR. */
  edns: boolean;
  /** Set the DO bit so DNSSEC records come back (RFC 3225). */
  dnssecOk: boolean;
  /** Clear RD: a health probe with `no_rec` asks the upstream not to recurse. Default false. */
  noRecursion?: boolean;
}

/**
 * A fresh random 16-bit ID from a cryptographic source: with the random source port it is what an
 * off-path attacker must guess to spoof a reply (RFC 5452 §9.2).
 */
export function randomId(): number {
  return randomInt(0, 0x10000);
}

/** A recursive query (RD set unless `noRecursion`) for `question`, with an OPT record unless `edns` is off. */
export function buildQuery(id: number, question: Question, options: QueryOptions): Buffer {
  const frame = dnsPacket.encode({
    type: 'query',
    id,
    flags: options.noRecursion ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [],
    additionals: options.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: EDNS_UDP_SIZE,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: options.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
            flag_do: options.dnssecOk,
            options: [],
          },
        ]
      : [],
  });
  // dns-packet writes labels as UTF-8 and knows no escapes, and has no name for most classes; our
  // names carry `\.` and `\DDD` escapes, so the question itself is written by our codec, after the
  // header, as the one entry of the question section.
  const name = Buffer.alloc(MAX_NAME_LENGTH);
  const nameLength = encodeName(question.name, name, 0);
  const entry = Buffer.alloc(nameLength + 4);
  name.copy(entry, 0, 0, nameLength);
  entry.writeUInt16BE(question.type, nameLength);
  entry.writeUInt16BE(question.class, nameLength + 2);
  const query = Buffer.concat([frame.subarray(0, 12), entry, frame.subarray(12)]);
  query.writeUInt16BE(1, 4);
  return query;
}

/**
 * The reply in `message` when it answers our query `id` for `question`: QR set, the same ID, and
 * exactly our one question (name compared case-insensitively, RFC 4343; type; class). Anything
 * else, or anything that does not decode, is undefined: the caller drops it and keeps waiting
 * (RFC 5452 §9.1). Records are decoded exactly, so forwarding reproduces the upstream's RDATA.
 */
export function matchReply(message: Buffer, id: number, question: Question): DecodedMessage | undefined {
  if (message.length < 12 || message.readUInt16BE(0) !== id) return undefined;
  let reply: DecodedMessage;
  try {
    reply = decodeMessage(message, { exactRdata: true });
  } catch {
    return undefined;
  }
  const echoed = reply.question[0];
  const matches =
    reply.qr &&
    reply.question.length === 1 &&
    echoed !== undefined &&
    echoed.type === question.type &&
    echoed.class === question.class &&
    namesEqual(echoed.name, question.name);
  return matches ? reply : undefined;
}

/** True when `address` (as a socket reports it) is the server's address, whatever its spelling. */
export function isServerAddress(address: string, server: HostPort): boolean {
  if (address === server.host) return true;
  const size = server.family === 6 ? 16 : 4;
  const a = Buffer.alloc(size);
  const b = Buffer.alloc(size);
  try {
    const write = server.family === 6 ? writeIPv6 : writeIPv4;
    write(address, a, 0);
    write(server.host, b, 0);
  } catch {
    return false;
  }
  return a.equals(b);
}
