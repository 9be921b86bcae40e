import { describe, expect, it } from 'vitest';
import { encodeResponse } from '../../src/dns/encode.js';
import { soaSerialOffset, ttlOffsets } from '../../src/dns/record-offsets.js';
import { Rcode, RRType, type Answer, type ResourceRecord } from '../../src/dns/types.js';

const NAME = 'web.shop.svc.cluster.local';
const question = { name: NAME, type: RRType.A, class: 1 };
const SOA: ResourceRecord = {
  name: 'cluster.local',
  ttl: 5,
  data: {
    type: 'SOA',
    mname: 'ns.dns.cluster.local',
    rname: 'hostmaster.cluster.local',
    serial: 0x01020304,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 5,
  },
};
const A = (ip: string, ttl: number): ResourceRecord => ({
  name: NAME,
  ttl,
  data: { type: 'A', address: ip },
});

function encoded(parts: Partial<Answer>, edns = false): { message: Buffer; questionEnd: number } {
  const answer: Answer = {
    rcode: Rcode.NOERROR,
    authoritative: true,
    answers: [],
    authority: [],
    additional: [],
    ...parts,
  };
  const message = encodeResponse({ id: 1, opcode: 0, rd: true, cd: false, question }, answer, {
    maxSize: 4096,
    ...(edns ? { edns: { udpSize: 1232, dnssecOk: false } } : {}),
  });
  return { message, questionEnd: 12 + NAME.length + 2 + 4 };
}

describe('record offsets in an encoded message', () => {
  it('finds each TTL, and no SOA serial in an answer without one', () => {
    const { message, questionEnd } = encoded({ answers: [A('10.0.0.1', 30), A('10.0.0.2', 31)] });
    const ttls = ttlOffsets(message, questionEnd)!;
    expect(ttls.map((at) => message.readUInt32BE(at))).toEqual([30, 31]);
    expect(soaSerialOffset(message, questionEnd)).toBe(-1);
  });

  it('finds the SOA serial past its two names, and the SOA TTL', () => {
    const { message, questionEnd } = encoded({ rcode: Rcode.NXDOMAIN, authority: [SOA] });
    expect(message.readUInt32BE(soaSerialOffset(message, questionEnd)!)).toBe(0x01020304);
    expect(ttlOffsets(message, questionEnd)!.map((at) => message.readUInt32BE(at))).toEqual([5]);
  });

  it('leaves out the OPT record, whose TTL field holds flags (RFC 6891 §6.1.3)', () => {
    const { message, questionEnd } = encoded({ answers: [A('10.0.0.1', 30)] }, true);
    expect(ttlOffsets(message, questionEnd)).toHaveLength(1);
  });

  it.each([
    ['cut short', (m: Buffer) => m.subarray(0, m.length - 1)],
    ['with a byte too many', (m: Buffer) => Buffer.concat([m, Buffer.from([0])])],
  ])('cannot walk a message %s', (_title, spoil) => {
    const { message, questionEnd } = encoded({ answers: [A('10.0.0.1', 30)], authority: [SOA] });
    expect(ttlOffsets(spoil(message), questionEnd)).toBeUndefined();
    expect(soaSerialOffset(spoil(message), questionEnd)).toBeUndefined();
  });
});
