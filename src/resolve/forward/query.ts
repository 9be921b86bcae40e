// The query we send upstream and the test a reply must pass to be believed.
import { randomInt } from 'node:crypto';
import { writeIPv4, writeIPv6 } from '../../dns/address.js';
import { decodeMessage, namesEqual, type DecodedMessage } from '../../dns/index.js';
import { encodeQuery } from '../../dns/encode-query.js';
import { ADVERTISED_UDP_SIZE } from '../../dns/reply-size.js';
import type { Question } from '../../dns/types.js';
import type { HostPort } from '../../config/address.js';

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
  return encodeQuery(
    {
      id,
      rd: !options.noRecursion,
      ...(options.edns ? { edns: { udpSize: ADVERTISED_UDP_SIZE, dnssecOk: options.dnssecOk } } : {}),
    },
    question,
  );
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
