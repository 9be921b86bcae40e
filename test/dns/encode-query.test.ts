import { describe, expect, it } from 'vitest';
import { encodeQuery, type QueryHeader } from '../../src/dns/encode-query.js';
import { WireError } from '../../src/dns/errors.js';
import { RRClass, RRType } from '../../src/dns/types.js';
import { bytes, u16, u32 } from './wire.js';

/**
 * The query as RFC 1035 §4.1 lays it out: header (one question, and one additional record with an
 * OPT), the question for A IN, then the OPT record of RFC 6891 §6.1.2 (root owner, payload size in
 * CLASS, the DO bit in TTL, no options).
 */
function wire(
  id: number,
  flags: number,
  name: number[] | string,
  opt?: { udpSize: number; ttl: number },
): Buffer {
  const header = [...u16(id), ...u16(flags), ...u16(1), ...u16(0), ...u16(0), ...u16(opt ? 1 : 0)];
  const question = [...bytes(name), ...u16(RRType.A), ...u16(RRClass.IN)];
  const additional = opt ? [0, ...u16(RRType.OPT), ...u16(opt.udpSize), ...u32(opt.ttl), ...u16(0)] : [];
  return Buffer.from([...header, ...question, ...additional]);
}

const RD = 0x0100;

describe('encodeQuery', () => {
  const cases: { title: string; header: QueryHeader; name: string; expected: Buffer }[] = [
    {
      title: 'recursive, no EDNS',
      header: { id: 0x1234, rd: true },
      name: 'web.shop.svc.cluster.local',
      expected: wire(0x1234, RD, 'web.shop.svc.cluster.local'),
    },
    {
      title: 'no recursion (a health probe with no_rec), no EDNS, the root',
      header: { id: 7, rd: false },
      name: '',
      expected: wire(7, 0, ''),
    },
    {
      title: 'EDNS with our payload size',
      header: { id: 1, rd: true, edns: { udpSize: 1232, dnssecOk: false } },
      name: 'example.com',
      expected: wire(1, RD, 'example.com', { udpSize: 1232, ttl: 0 }),
    },
    {
      title: 'EDNS with the DO bit',
      header: { id: 1, rd: true, edns: { udpSize: 1232, dnssecOk: true } },
      name: 'example.com',
      expected: wire(1, RD, 'example.com', { udpSize: 1232, ttl: 0x8000 }),
    },
    {
      title: 'a label with an escaped dot and an escaped byte, written as the bytes they stand for',
      header: { id: 2, rd: true },
      name: 'a\\.b\\255.example',
      expected: wire(2, RD, [4, 0x61, 0x2e, 0x62, 0xff, 7, ...Buffer.from('example'), 0]),
    },
  ];

  it.each(cases)('$title', ({ header, name, expected }) => {
    expect(encodeQuery(header, { name, type: RRType.A, class: RRClass.IN })).toEqual(expected);
  });

  it('rejects a name it cannot write', () => {
    expect(() =>
      encodeQuery({ id: 1, rd: true }, { name: `${'a'.repeat(64)}.com`, type: 1, class: 1 }),
    ).toThrow(WireError);
  });
});
