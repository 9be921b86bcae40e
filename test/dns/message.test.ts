import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { encodeResponse } from '../../src/dns/encode.js';
import { WireError } from '../../src/dns/errors.js';
import { decodeMessage } from '../../src/dns/message.js';
import { Rcode, type ResourceRecord } from '../../src/dns/types.js';
import { bytes, header, rrTail, u16 } from './wire.js';

const zone = 'svc.cluster.local';

const records: ResourceRecord[] = [
  { name: `a.${zone}`, ttl: 5, class: 1, data: { type: 'A', address: '10.0.0.1' } },
  { name: `a.${zone}`, ttl: 5, class: 1, data: { type: 'AAAA', address: '2001:db8::7' } },
  { name: `c.${zone}`, ttl: 5, class: 1, data: { type: 'CNAME', target: `a.${zone}` } },
  { name: '1.0.0.10.in-addr.arpa', ttl: 5, class: 1, data: { type: 'PTR', target: `a.${zone}` } },
  { name: zone, ttl: 5, class: 1, data: { type: 'NS', target: `ns.${zone}` } },
  { name: zone, ttl: 5, class: 1, data: { type: 'MX', preference: 5, exchange: `mx.${zone}` } },
  {
    name: `_dns._udp.${zone}`,
    ttl: 5,
    class: 1,
    data: { type: 'SRV', priority: 1, weight: 2, port: 53, target: `ns.${zone}` },
  },
  { name: `t.${zone}`, ttl: 5, class: 3, data: { type: 'TXT', texts: ['v=1', '', 'ünï'] } },
  {
    name: `we\\.ird\\000.${zone}`,
    ttl: 5,
    class: 1,
    data: { type: 'RAW', typeCode: 99, rdata: Buffer.from('abc') },
  },
];
const soa: ResourceRecord = {
  name: zone,
  ttl: 60,
  class: 1,
  data: {
    type: 'SOA',
    mname: `ns.${zone}`,
    rname: `hostmaster.${zone}`,
    serial: 2024010101,
    refresh: 1,
    retry: 2,
    expire: 3,
    minimum: 4,
  },
};

describe('decodeMessage', () => {
  it('round-trips every record type through encodeResponse (with compression)', () => {
    const buf = encodeResponse(
      { id: 0xabcd, opcode: 0, rd: true, cd: true, question: { name: `a.${zone}`, type: 255, class: 1 } },
      {
        rcode: Rcode.NXDOMAIN,
        authoritative: true,
        ra: true,
        answers: records,
        authority: [soa],
        additional: records.slice(0, 2),
      },
      { maxSize: 4096, edns: { udpSize: 1232, dnssecOk: true } },
    );
    expect(decodeMessage(buf)).toEqual({
      id: 0xabcd,
      qr: true,
      opcode: 0,
      aa: true,
      tc: false,
      rd: true,
      ra: true,
      cd: true,
      rcode: Rcode.NXDOMAIN,
      question: [{ name: `a.${zone}`, type: 255, class: 1 }],
      answers: records,
      authority: [soa],
      additional: records.slice(0, 2),
      edns: { udpSize: 1232, version: 0, dnssecOk: true },
    });
  });

  it('combines the extended rcode from OPT', () => {
    const buf = encodeResponse(
      { id: 1, opcode: 0, rd: false, cd: false },
      { rcode: Rcode.BADVERS, authoritative: false, answers: [], authority: [], additional: [] },
      { maxSize: 512, edns: { udpSize: 512, dnssecOk: false } },
    );
    expect(decodeMessage(buf)).toMatchObject({
      rcode: 16,
      edns: { udpSize: 512, version: 0 },
      additional: [],
    });
  });

  it('reads messages built by dns-packet', () => {
    const buf = dnsPacket.encode({
      type: 'response',
      id: 77,
      flags: dnsPacket.TRUNCATED_RESPONSE,
      questions: [{ type: 'SRV', name: '_x._tcp.example' }],
      answers: [
        {
          type: 'SRV',
          name: '_x._tcp.example',
          ttl: 9,
          data: { priority: 0, weight: 0, port: 1, target: 'h.example' },
        },
      ],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1400, ednsVersion: 2 } as dnsPacket.Answer],
    });
    expect(decodeMessage(buf)).toMatchObject({
      id: 77,
      qr: true,
      tc: true,
      question: [{ name: '_x._tcp.example', type: 33, class: 1 }],
      answers: [{ name: '_x._tcp.example', data: { type: 'SRV', port: 1, target: 'h.example' } }],
      edns: { udpSize: 1400, version: 2, dnssecOk: false },
    });
  });

  const q = ['a', ...u16(1), ...u16(1)] as const;
  it.each([
    ['short header', bytes(1, 2, 3)],
    ['question past the end', bytes(...header(1, 0x8000, 1), 'a', 0)],
    [
      'answer count lies',
      bytes(...header(1, 0x8000, 1, 2), ...q, 0xc0, 12, ...rrTail(1, 1, 0, [1, 2, 3, 4])),
    ],
    [
      'A with 5 bytes',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(1, 1, 0, [1, 2, 3, 4, 5])),
    ],
    [
      'AAAA with 4 bytes',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(28, 1, 0, [1, 2, 3, 4])),
    ],
    [
      'CNAME name shorter than RDATA',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(5, 1, 0, [0xc0, 12, 0])),
    ],
    [
      'CNAME name past RDATA',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(5, 1, 0, [1, 0x62]), 0),
    ],
    ['MX too short', bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(15, 1, 0, [0, 1]))],
    [
      'SOA without counters',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(6, 1, 0, [0, 0, 1, 2])),
    ],
    [
      'TXT string past RDATA',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(16, 1, 0, [5, 0x61])),
    ],
    ['OPT in answers', bytes(...header(1, 0x8000, 1, 1), ...q, 0, ...rrTail(41, 512, 0))],
    [
      'OPT twice',
      bytes(...header(1, 0x8000, 1, 0, 0, 2), ...q, 0, ...rrTail(41, 512, 0), 0, ...rrTail(41, 512, 0)),
    ],
    ['OPT not at the root', bytes(...header(1, 0x8000, 1, 0, 0, 1), ...q, 0xc0, 12, ...rrTail(41, 512, 0))],
    [
      'pointer to itself in RDATA',
      bytes(...header(1, 0x8000, 1, 1), ...q, 0xc0, 12, ...rrTail(2, 1, 0, [0xc0, 31])),
    ],
  ])('rejects %s', (_label, buf) => {
    expect(() => decodeMessage(buf)).toThrow(WireError);
  });

  it('keeps unknown types as RAW bytes', () => {
    const buf = bytes(
      ...header(1, 0x8000, 0, 1),
      'x',
      ...rrTail(257, 1, 10, [0, 5, 0x69, 0x73, 0x73, 0x75, 0x65]),
    );
    expect(decodeMessage(buf).answers).toEqual([
      {
        name: 'x',
        ttl: 10,
        class: 1,
        data: { type: 'RAW', typeCode: 257, rdata: Buffer.from([0, 5, 0x69, 0x73, 0x73, 0x75, 0x65]) },
      },
    ]);
  });
});
