// decodeMessage's exactRdata option, which forwarding relies on to pass records on unchanged.
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeResponse } from '../../../src/dns/index.js';

const question = { name: 'example.com', type: 16, class: 1 };

function response(answers: dnsPacket.Answer[]): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: 0,
    questions: [{ name: 'example.com', type: 'TXT' }],
    answers,
  });
}

function reencode(buf: Buffer, exactRdata: boolean): Buffer {
  const message = decodeMessage(buf, { exactRdata });
  return encodeResponse(
    { id: 7, opcode: 0, rd: false, cd: false, question },
    { rcode: 0, authoritative: false, answers: message.answers, authority: [], additional: [] },
    { maxSize: 4096 },
  );
}

describe('decodeMessage with exactRdata', () => {
  const texts = [Buffer.from([0xff, 0x00, 0x80]), Buffer.from('ok')];
  const wire = response([{ name: 'example.com', type: 'TXT', ttl: 1, data: texts }]);

  it('keeps TXT as raw bytes that encode back unchanged, non-UTF-8 included', () => {
    const [record] = decodeMessage(wire, { exactRdata: true }).answers;
    expect(record!.data).toEqual({
      type: 'RAW',
      typeCode: 16,
      rdata: Buffer.from([3, 0xff, 0x00, 0x80, 2, 0x6f, 0x6b]),
    });
    expect(dnsPacket.decode(reencode(wire, true)).answers![0]).toMatchObject({ data: texts });
  });

  it('is off by default: TXT is decoded to strings, and non-UTF-8 bytes are lost', () => {
    expect(decodeMessage(wire).answers[0]!.data.type).toBe('TXT');
    expect(dnsPacket.decode(reencode(wire, false)).answers![0]).not.toMatchObject({ data: texts });
  });

  it('writes out compressed names in older types (RP) so the raw RDATA stands alone', () => {
    // RP RDATA: mailbox and TXT owner, both compressed against the question name (offset 12).
    const header = Buffer.from([0, 7, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
    const qname = Buffer.from([7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0, 0, 17, 0, 1]);
    const rdata = Buffer.from([5, ...Buffer.from('admin'), 0xc0, 12, 0xc0, 12]);
    const rr = Buffer.concat([Buffer.from([0xc0, 12, 0, 17, 0, 1, 0, 0, 0, 60, 0, rdata.length]), rdata]);
    const [record] = decodeMessage(Buffer.concat([header, qname, rr]), { exactRdata: true }).answers;
    const expanded = Buffer.from([
      ...[5, ...Buffer.from('admin'), 7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0],
      ...[7, ...Buffer.from('example'), 3, ...Buffer.from('com'), 0],
    ]);
    expect(record!.data).toEqual({ type: 'RAW', typeCode: 17, rdata: expanded });
  });

  it('leaves the types it decodes (A, MX, SOA, ...) decoded', () => {
    const mixed = response([
      { name: 'example.com', type: 'A', ttl: 1, data: '192.0.2.1' },
      { name: 'example.com', type: 'MX', ttl: 1, data: { preference: 5, exchange: 'mx.example.com' } },
    ]);
    expect(decodeMessage(mixed, { exactRdata: true }).answers.map((rr) => rr.data.type)).toEqual(['A', 'MX']);
  });
});
