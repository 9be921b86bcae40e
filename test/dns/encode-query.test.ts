import { describe, expect, it } from 'vitest';
import { encodeQuery, type QueryHeader } from '../../src/dns/encode-query.js';
import { WireError } from '../../src/dns/errors.js';
import { RRClass, RRType } from '../../src/dns/types.js';
import { bytes, u16, u32 } from './wire.js';

const OPT_ROOT = 0;

describe('encodeQuery', () => {
  // Header (RFC 1035 §4.1.1), the question (§4.1.2) and the OPT record (RFC 6891 §6.1.2), byte for byte.
  const cases: { title: string; header: QueryHeader; name: string; expected: Buffer }[] = [
    {
      title: 'recursive, no EDNS',
      header: { id: 0x1234, rd: true },
      name: 'web.shop.svc.cluster.local',
      expected: bytes(
        u16(0x1234),
        u16(0x0100),
        u16(1),
        u16(0),
        u16(0),
        u16(0),
        'web.shop.svc.cluster.local',
        u16(1),
        u16(1),
      ),
    },
    {
      title: 'no recursion (a health probe with no_rec), no EDNS',
      header: { id: 7, rd: false },
      name: '',
      expected: bytes(u16(7), u16(0), u16(1), u16(0), u16(0), u16(0), '', u16(1), u16(1)),
    },
    {
      title: 'EDNS with our payload size',
      header: { id: 1, rd: true, edns: { udpSize: 1232, dnssecOk: false } },
      name: 'example.com',
      expected: bytes(
        [...u16(1), ...u16(0x0100), ...u16(1), ...u16(0), ...u16(0), ...u16(1)],
        'example.com',
        u16(1),
        u16(1),
        OPT_ROOT,
        u16(RRType.OPT),
        u16(1232),
        u32(0),
        u16(0),
      ),
    },
    {
      title: 'EDNS with the DO bit',
      header: { id: 1, rd: true, edns: { udpSize: 1232, dnssecOk: true } },
      name: 'example.com',
      expected: bytes(
        [...u16(1), ...u16(0x0100), ...u16(1), ...u16(0), ...u16(0), ...u16(1)],
        'example.com',
        u16(1),
        u16(1),
        OPT_ROOT,
        u16(RRType.OPT),
        u16(1232),
        u32(0x8000),
        u16(0),
      ),
    },
    {
      title: 'a label with an escaped dot and an escaped byte, written as the bytes they stand for',
      header: { id: 2, rd: true },
      name: 'a\\.b\\255.example',
      expected: bytes(
        u16(2),
        u16(0x0100),
        u16(1),
        u16(0),
        u16(0),
        u16(0),
        [4, 0x61, 0x2e, 0x62, 0xff],
        'example',
        u16(1),
        u16(1),
      ),
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
