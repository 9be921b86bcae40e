import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { parseQuery, type ParseOutcome } from '../../src/dns/parse.js';
import { bytes, header, rrTail, u16 } from './wire.js';

const RD = 0x0100;
const CD = 0x0010;

function query(extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 0x4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: 'Web.Default.svc.cluster.local' }],
    ...extra,
  });
}

// dns-packet's typings want every decoded OPT field; the encoder needs only these.
function opt(fields: { udpPayloadSize: number; flags?: number; ednsVersion?: number; options?: object[] }) {
  return { type: 'OPT', name: '.', ...fields } as unknown as dnsPacket.Answer;
}

const question = { name: 'Web.Default.svc.cluster.local', type: 1, class: 1 };

describe('parseQuery on real queries', () => {
  it('reads a plain query, keeping the name case', () => {
    expect(parseQuery(query())).toEqual({
      kind: 'query',
      query: { id: 0x4242, opcode: 0, rd: true, cd: false, question },
    });
  });

  it('reads the OPT record: UDP size, version, DO', () => {
    const buf = query({
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED,
      additionals: [opt({ udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK })],
    });
    expect(parseQuery(buf)).toEqual({
      kind: 'query',
      query: {
        id: 0x4242,
        opcode: 0,
        rd: true,
        cd: true,
        question,
        edns: { udpSize: 1232, version: 0, dnssecOk: true },
      },
    });
  });

  it('reads an OPT record without DO, with options', () => {
    const buf = query({
      flags: 0,
      additionals: [opt({ udpPayloadSize: 4096, options: [{ code: 10, data: Buffer.alloc(8, 1) }] })],
    });
    expect(parseQuery(buf)).toEqual({
      kind: 'query',
      query: {
        id: 0x4242,
        opcode: 0,
        rd: false,
        cd: false,
        question,
        edns: { udpSize: 4096, version: 0, dnssecOk: false },
      },
    });
  });

  it('answers EDNS version 1 with badvers', () => {
    const buf = query({ additionals: [opt({ udpPayloadSize: 512, ednsVersion: 1 })] });
    expect(parseQuery(buf)).toEqual({
      kind: 'badvers',
      query: {
        id: 0x4242,
        opcode: 0,
        rd: true,
        cd: false,
        question,
        edns: { udpSize: 512, version: 1, dnssecOk: false },
      },
    });
  });

  it('leaves unknown types and classes to the resolver', () => {
    const buf = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ type: 'UNKNOWN_65000' as dnsPacket.RecordType, name: 'x', class: 'CH' }],
    });
    expect(parseQuery(buf)).toMatchObject({
      kind: 'query',
      query: { question: { name: 'x', type: 65000, class: 3 } },
    });
    expect(parseQuery(bytes(...header(1, 0, 1), 'x', ...u16(0), ...u16(254)))).toMatchObject({
      kind: 'query',
      query: { question: { name: 'x', type: 0, class: 254 } },
    });
  });

  it('ignores bytes after the last counted record', () => {
    const buf = Buffer.concat([query(), Buffer.from([1, 2, 3, 0xc0])]);
    expect(parseQuery(buf).kind).toBe('query');
  });

  it('accepts well-formed records in the answer and authority sections', () => {
    const buf = query({
      answers: [{ type: 'A', name: 'a.b', data: '1.2.3.4' }],
      authorities: [{ type: 'NS', name: 'b', data: 'ns.b' }],
      additionals: [{ type: 'TXT', name: 'c', data: 'hi' }],
    });
    expect(parseQuery(buf)).toEqual({
      kind: 'query',
      query: { id: 0x4242, opcode: 0, rd: true, cd: false, question },
    });
  });
});

// A name at 12 (the question) for hand-built messages.
const Q = ['www.example', ...u16(1), ...u16(1)] as const;
const qParsed = { name: 'www.example', type: 1, class: 1 };
const OPT = ['', ...rrTail(41, 1232, 0)] as const;

const cases: [string, Buffer, ParseOutcome | { kind: string; question?: unknown }][] = [
  ['empty buffer', bytes(), { kind: 'drop', reason: 'message shorter than a header' }],
  [
    '11 bytes',
    bytes(...header(1, 0, 1).slice(0, 11)),
    { kind: 'drop', reason: 'message shorter than a header' },
  ],
  ['QR set', bytes(...header(1, 0x8000, 1), ...Q), { kind: 'drop', reason: 'QR set: message is a response' }],
  [
    'opcode 2 (STATUS) with a question',
    bytes(...header(9, (2 << 11) | RD, 1), ...Q),
    { kind: 'notimp', id: 9, opcode: 2, rd: true, cd: false, question: qParsed },
  ],
  [
    'opcode 4 (NOTIFY) with OPT',
    bytes(...header(9, 4 << 11, 1, 0, 0, 1), ...Q, ...OPT),
    {
      kind: 'notimp',
      id: 9,
      opcode: 4,
      rd: false,
      cd: false,
      question: qParsed,
      edns: { udpSize: 1232, version: 0, dnssecOk: false },
    },
  ],
  [
    'opcode 5 with garbage',
    bytes(...header(9, 5 << 11, 3), 0xff),
    { kind: 'notimp', id: 9, opcode: 5, rd: false, cd: false },
  ],
  [
    'QDCOUNT 0',
    bytes(...header(2, CD, 0)),
    { kind: 'formerr', id: 2, opcode: 0, rd: false, cd: true, reason: 'QDCOUNT is not 1' },
  ],
  [
    'QDCOUNT 2',
    bytes(...header(2, RD, 2), ...Q, ...Q),
    { kind: 'formerr', id: 2, opcode: 0, rd: true, cd: false, reason: 'QDCOUNT is not 1' },
  ],
  [
    'question without type and class',
    bytes(...header(3, 0, 1), 'www.example', 0, 1),
    {
      kind: 'formerr',
      id: 3,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'question runs past the end of the message',
    },
  ],
  [
    'question name cut short',
    bytes(...header(3, 0, 1), 3, 0x77, 0x77),
    {
      kind: 'formerr',
      id: 3,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'label runs past the end of the message',
    },
  ],
  [
    'compression pointer to itself',
    bytes(...header(4, 0, 1), 0xc0, 12, ...u16(1), ...u16(1)),
    {
      kind: 'formerr',
      id: 4,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'compression pointer does not point backwards',
    },
  ],
  [
    'forward compression pointer',
    bytes(...header(4, 0, 1), 0xc0, 18, ...u16(1), ...u16(1), 1, 0x61, 0),
    {
      kind: 'formerr',
      id: 4,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'compression pointer does not point backwards',
    },
  ],
  [
    'compression pointer loop through a label',
    bytes(...header(4, 0, 1), 1, 0x61, 0xc0, 12, ...u16(1), ...u16(1)),
    { kind: 'formerr', id: 4, opcode: 0, rd: false, cd: false, reason: 'too many compression pointers' },
  ],
  [
    'label of 64 bytes',
    bytes(...header(5, 0, 1), 64, ...Buffer.alloc(64, 0x61), 0, ...u16(1), ...u16(1)),
    {
      kind: 'formerr',
      id: 5,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'label longer than 63 bytes or unsupported label type',
    },
  ],
  [
    'name of 257 bytes',
    bytes(...header(5, 0, 1), Array(4).fill('a'.repeat(63)).join('.'), ...u16(1), ...u16(1)),
    { kind: 'formerr', id: 5, opcode: 0, rd: false, cd: false, reason: 'name longer than 255 bytes' },
  ],
  [
    'ANCOUNT 1 with no answer',
    bytes(...header(6, 0, 1, 1), ...Q),
    {
      kind: 'formerr',
      id: 6,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'name runs past the end of the message',
      question: qParsed,
    },
  ],
  [
    'ARCOUNT 2 with one record',
    bytes(...header(6, 0, 1, 0, 0, 2), ...Q, ...OPT),
    {
      kind: 'formerr',
      id: 6,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'name runs past the end of the message',
      question: qParsed,
    },
  ],
  [
    'RDLENGTH past the end',
    bytes(...header(6, 0, 1, 0, 1), ...Q, 'x', ...u16(1), ...u16(1), 0, 0, 0, 0, ...u16(5), 1, 2),
    {
      kind: 'formerr',
      id: 6,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'record data runs past the end of the message',
      question: qParsed,
    },
  ],
  [
    'record cut inside the fixed part',
    bytes(...header(6, 0, 1, 0, 0, 1), ...Q, 0, ...u16(41)),
    {
      kind: 'formerr',
      id: 6,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'record runs past the end of the message',
      question: qParsed,
    },
  ],
  [
    'OPT twice',
    bytes(...header(7, 0, 1, 0, 0, 2), ...Q, ...OPT, ...OPT),
    {
      kind: 'formerr',
      id: 7,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'more than one OPT record',
      question: qParsed,
    },
  ],
  [
    'OPT with a non-root owner',
    bytes(...header(7, 0, 1, 0, 0, 1), ...Q, 'opt', ...rrTail(41, 1232, 0)),
    {
      kind: 'formerr',
      id: 7,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'OPT owner is not the root',
      question: qParsed,
    },
  ],
  [
    'OPT owner compressed to a non-root name',
    bytes(...header(7, 0, 1, 0, 0, 1), ...Q, 0xc0, 12, ...rrTail(41, 1232, 0)),
    {
      kind: 'formerr',
      id: 7,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'OPT owner is not the root',
      question: qParsed,
    },
  ],
  [
    'OPT in the answer section',
    bytes(...header(7, 0, 1, 1), ...Q, ...OPT),
    {
      kind: 'formerr',
      id: 7,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'OPT outside the additional section',
      question: qParsed,
    },
  ],
  [
    'OPT in the authority section',
    bytes(...header(7, 0, 1, 0, 1), ...Q, ...OPT),
    {
      kind: 'formerr',
      id: 7,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'OPT outside the additional section',
      question: qParsed,
    },
  ],
  [
    'OPT with a cut option',
    bytes(...header(7, 0, 1, 0, 0, 1), ...Q, '', ...rrTail(41, 1232, 0, [0, 10, 0, 8, 1, 2])),
    {
      kind: 'formerr',
      id: 7,
      opcode: 0,
      rd: false,
      cd: false,
      reason: 'malformed EDNS options',
      question: qParsed,
    },
  ],
  [
    'OPT after another additional record, DO set, pointer to the root',
    bytes(
      ...header(8, 0, 1, 0, 0, 2),
      ...Q,
      'x',
      ...rrTail(16, 1, 0, [1, 0x61]),
      0xc0,
      24,
      ...rrTail(41, 700, 0x0000_8000),
    ),
    {
      kind: 'query',
      query: {
        id: 8,
        opcode: 0,
        rd: false,
        cd: false,
        question: qParsed,
        edns: { udpSize: 700, version: 0, dnssecOk: true },
      },
    },
  ],
];

describe('parseQuery on malformed and unusual messages', () => {
  it.each(cases)('%s', (_label, buf, expected) => {
    expect(parseQuery(buf)).toEqual(expected);
  });
});
