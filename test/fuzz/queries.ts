// Generators of hostile DNS queries for the property tests and `npm run fuzz`: random bytes, and
// real queries mangled the ways attackers and broken clients mangle them (truncated headers,
// counts that lie, compression pointer loops and forward pointers, labels over 63 bytes, names
// over 255, OPT records in the wrong place or twice, unknown classes and types).
import fc from 'fast-check';
import { buildQuery } from '../../src/resolve/forward/query.js';
import { RRClass, RRType } from '../../src/dns/types.js';

const QUESTIONS: [string, number][] = [
  ['web.shop.svc.cluster.local', RRType.A],
  ['Web.Shop.svc.cluster.local', RRType.AAAA],
  ['_http._tcp.web.shop.svc.cluster.local', RRType.SRV],
  ['db.shop.svc.cluster.local', RRType.A],
  ['db-0.db.shop.svc.cluster.local', RRType.ANY],
  ['search.shop.svc.cluster.local', RRType.CNAME],
  ['10.10.96.10.in-addr.arpa', RRType.PTR],
  ['cluster.local', RRType.SOA],
  ['cluster.local', RRType.NS],
  ['nope.shop.svc.cluster.local', RRType.A],
  ['gateway.example', RRType.A],
  ['www.example.com', RRType.A],
  ['dns-version.cluster.local', RRType.TXT],
];

/** A well-formed query the server would see from a real client. */
export const realQuery: fc.Arbitrary<Buffer> = fc
  .record({
    question: fc.constantFrom(...QUESTIONS),
    id: fc.integer({ min: 0, max: 0xffff }),
    edns: fc.boolean(),
    dnssecOk: fc.boolean(),
  })
  .map(({ question: [name, type], id, edns, dnssecOk }) =>
    buildQuery(id, { name, type, class: RRClass.IN }, { edns, dnssecOk }),
  );

const u16 = (n: number) => [(n >>> 8) & 0xff, n & 0xff];
const QD = 4;
const SECTION_COUNTS = [4, 6, 8, 10];
const NAME_AT = 12;

// An OPT record: root owner, type 41, UDP size, extended rcode/version/flags, no options.
function optRecord(udpSize: number, version = 0): number[] {
  return [0, ...u16(41), ...u16(udpSize), 0, version, 0, 0, 0, 0];
}

function bumpCount(buf: Buffer, at: number, by: number): Buffer {
  // A header already cut short has no count to bump: the message stays as broken as it was.
  if (buf.length >= at + 2) buf.writeUInt16BE((buf.readUInt16BE(at) + by) & 0xffff, at);
  return buf;
}

/** The end of the question name at offset 12, or the end of the message when it is not readable. */
function questionNameEnd(buf: Buffer): number {
  let pos = NAME_AT;
  while (pos < buf.length && buf[pos]! !== 0 && buf[pos]! < 0x40) pos += buf[pos]! + 1;
  return Math.min(pos + 1, buf.length);
}

/** The message with its question name replaced by `name` bytes. */
function withName(buf: Buffer, name: number[]): Buffer {
  return Buffer.concat([buf.subarray(0, NAME_AT), Buffer.from(name), buf.subarray(questionNameEnd(buf))]);
}

type Mutation = (buf: Buffer) => Buffer;

const label = (length: number, fill = 0x61) => [length, ...new Array<number>(length).fill(fill)];

/** One hostile change to a query, chosen and parameterised by fast-check so it shrinks. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Truncated anywhere, headers included.
  fc.nat({ max: 80 }).map(
    (n): Mutation =>
      (buf) =>
        buf.subarray(0, Math.min(n, buf.length)),
  ),
  // A count that lies (question, answer, authority or additional).
  fc.tuple(fc.constantFrom(QD, ...SECTION_COUNTS), fc.integer({ min: 0, max: 0xffff })).map(
    ([at, value]): Mutation =>
      (buf) =>
        buf.length >= at + 2 ? (buf.writeUInt16BE(value, at), buf) : buf,
  ),
  // Any byte set to anything.
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([at, value]): Mutation =>
      (buf) =>
        buf.length > 0 ? ((buf[at % buf.length] = value), buf) : buf,
  ),
  // Flags and opcode: QR, opcodes other than QUERY, every bit.
  fc.integer({ min: 0, max: 0xffff }).map(
    (flags): Mutation =>
      (buf) =>
        buf.length >= 4 ? (buf.writeUInt16BE(flags, 2), buf) : buf,
  ),
  // A compression pointer to itself, to the next pointer and back, or forward.
  fc.constant<Mutation>((buf) => withName(buf, [0xc0, NAME_AT])),
  fc.constant<Mutation>((buf) => withName(buf, [0xc0, NAME_AT + 2, 0xc0, NAME_AT])),
  fc.nat({ max: 0x3fff }).map(
    (target): Mutation =>
      (buf) =>
        withName(buf, [0xc0 | (target >> 8), target & 0xff]),
  ),
  fc.constant<Mutation>((buf) => withName(buf, [1, 0x61, 0xc0, NAME_AT])),
  // A label over 63 bytes (its length byte has the reserved 0x40 or 0x80 bits) or of those types.
  fc.integer({ min: 64, max: 191 }).map(
    (length): Mutation =>
      (buf) =>
        withName(buf, [...label(length), 0]),
  ),
  // A name over 255 bytes: five labels of 63 (or with one zero-length twist in the middle).
  fc.integer({ min: 4, max: 8 }).map(
    (labels): Mutation =>
      (buf) =>
        withName(buf, [...new Array<number[]>(labels).fill(label(63)).flat(), 0]),
  ),
  // One OPT record of any size and version (a second one when the query had its own).
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 })).map(
    ([size, version]): Mutation =>
      (buf) =>
        bumpCount(Buffer.concat([buf, Buffer.from(optRecord(size, version))]), 10, 1),
  ),
  // OPT records where they may not be: answer or authority section, twice, with a non-root owner.
  fc.constantFrom(6, 8).map(
    (at): Mutation =>
      (buf) =>
        bumpCount(Buffer.concat([buf, Buffer.from(optRecord(1232))]), at, 1),
  ),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 })).map(
    ([size, version]): Mutation =>
      (buf) =>
        bumpCount(Buffer.concat([buf, Buffer.from([...optRecord(size, version), ...optRecord(512)])]), 10, 2),
  ),
  fc.constant<Mutation>((buf) =>
    bumpCount(Buffer.concat([buf, Buffer.from([...label(1), ...optRecord(1232).slice(1)])]), 10, 1),
  ),
  // OPT with a broken option list: a length running past the RDATA.
  fc.constant<Mutation>((buf) =>
    bumpCount(
      Buffer.concat([
        buf,
        Buffer.from([0, ...u16(41), ...u16(1232), 0, 0, 0, 0, ...u16(4), ...u16(10), 0, 9]),
      ]),
      10,
      1,
    ),
  ),
  // Any type and class in the question.
  fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }))
    .map(([type, cls]): Mutation => (buf) => {
      const at = questionNameEnd(buf);
      if (at + 4 <= buf.length) {
        buf.writeUInt16BE(type, at);
        buf.writeUInt16BE(cls, at + 2);
      }
      return buf;
    }),
  // Junk after the last record.
  fc.uint8Array({ maxLength: 64 }).map(
    (junk): Mutation =>
      (buf) =>
        Buffer.concat([buf, junk]),
  ),
);

/** A real query with one to four hostile changes. */
export const mutatedQuery: fc.Arbitrary<Buffer> = fc
  .tuple(realQuery, fc.array(mutation, { minLength: 1, maxLength: 4 }))
  .map(([query, mutations]) => mutations.reduce<Buffer>((buf, mutate) => mutate(buf), Buffer.from(query)));

/** Bytes that look like a query header, then anything. */
export const headerThenJunk: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0x7fff }),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
    fc.uint8Array({ maxLength: 300 }),
  )
  .map(([id, flags, counts, body]) =>
    Buffer.from([...u16(id), ...u16(flags), ...counts.flatMap(u16), ...body]),
  );

/** Any byte string, up to a little over a plain UDP message. */
export const anyBytes: fc.Arbitrary<Buffer> = fc
  .uint8Array({ maxLength: 600 })
  .map((bytes) => Buffer.from(bytes));

/** Everything above, in proportions that spend most of the time past the header checks. */
export const hostileMessage: fc.Arbitrary<Buffer> = fc.oneof(
  { arbitrary: mutatedQuery, weight: 6 },
  { arbitrary: headerThenJunk, weight: 2 },
  { arbitrary: anyBytes, weight: 1 },
  { arbitrary: realQuery, weight: 1 },
);
