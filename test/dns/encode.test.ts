import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { NameCompressor } from '../../src/dns/compress.js';
import { encodeResponse, type EncodeOptions, type ResponseHeader } from '../../src/dns/encode.js';
import { WireError } from '../../src/dns/errors.js';
import { nameWireLength } from '../../src/dns/name.js';
import { Rcode, RRType, type Answer, type RecordData, type ResourceRecord } from '../../src/dns/types.js';

const QNAME = 'web.default.svc.cluster.local';

function hdr(question?: { name: string; type: number }): ResponseHeader {
  return {
    id: 0xbeef,
    opcode: 0,
    rd: true,
    cd: false,
    ...(question && { question: { ...question, class: 1 } }),
  };
}

function answer(parts: Partial<Answer>): Answer {
  return { rcode: Rcode.NOERROR, authoritative: true, answers: [], authority: [], additional: [], ...parts };
}

function rr(name: string, data: RecordData, ttl = 30): ResourceRecord {
  return { name, ttl, data };
}

function aRecords(name: string, count: number): ResourceRecord[] {
  return Array.from({ length: count }, (_, i) =>
    rr(name, { type: 'A', address: `10.0.${i >> 8}.${i & 0xff}` }),
  );
}

const udp512: EncodeOptions = { maxSize: 512 };

describe('encodeResponse: record types round-trip through dns-packet', () => {
  const cases: [string, RecordData, Partial<dnsPacket.Answer>][] = [
    ['A', { type: 'A', address: '10.1.2.3' }, { type: 'A', data: '10.1.2.3' }],
    ['AAAA', { type: 'AAAA', address: 'fd00::1:2' }, { type: 'AAAA', data: 'fd00::1:2' }],
    ['CNAME', { type: 'CNAME', target: 'real.example.org' }, { type: 'CNAME', data: 'real.example.org' }],
    ['PTR', { type: 'PTR', target: `x.${QNAME}` }, { type: 'PTR', data: `x.${QNAME}` }],
    ['NS', { type: 'NS', target: 'ns.dns.cluster.local' }, { type: 'NS', data: 'ns.dns.cluster.local' }],
    [
      'MX',
      { type: 'MX', preference: 10, exchange: `mail.${QNAME}` },
      { type: 'MX', data: { preference: 10, exchange: `mail.${QNAME}` } },
    ],
    [
      'SRV',
      { type: 'SRV', priority: 0, weight: 100, port: 8080, target: QNAME },
      { type: 'SRV', data: { priority: 0, weight: 100, port: 8080, target: QNAME } },
    ],
    [
      'TXT',
      { type: 'TXT', texts: ['hello', '', 'wörld'] },
      { type: 'TXT', data: [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('wörld')] },
    ],
    [
      'SOA',
      {
        type: 'SOA',
        mname: 'ns.dns.cluster.local',
        rname: 'hostmaster.cluster.local',
        serial: 4294967295,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: 5,
      },
      {
        type: 'SOA',
        data: {
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          serial: 4294967295,
          refresh: 7200,
          retry: 1800,
          expire: 86400,
          minimum: 5,
        },
      },
    ],
    [
      'RAW',
      { type: 'RAW', typeCode: 65280, rdata: Buffer.from([1, 2, 3]) },
      {
        type: 'UNKNOWN_65280' as dnsPacket.RecordType,
        data: Buffer.from([1, 2, 3]),
      } as Partial<dnsPacket.Answer>,
    ],
  ];

  it.each(cases)('%s', (_label, data, expected) => {
    const owner = `Owner.${QNAME}`;
    const buf = encodeResponse(
      hdr({ name: QNAME, type: 255 }),
      answer({ answers: [rr(owner, data, 300)] }),
      udp512,
    );
    const decoded = dnsPacket.decode(buf);
    expect(decoded.answers).toHaveLength(1);
    expect(decoded.answers![0]).toMatchObject({ name: owner, ttl: 300, class: 'IN', ...expected });
  });

  it('splits a long TXT string into 255-byte strings without cutting a character', () => {
    const text = 'x'.repeat(254) + 'é' + 'y'.repeat(300);
    const buf = encodeResponse(hdr(), answer({ answers: [rr('t', { type: 'TXT', texts: [text] })] }), {
      maxSize: 4096,
    });
    const data = (dnsPacket.decode(buf).answers![0] as { data: Buffer[] }).data;
    expect(data.map((b) => b.length)).toEqual([254, 255, 47]);
    expect(Buffer.concat(data).toString('utf8')).toBe(text);
  });

  it('writes the class, defaulting to IN', () => {
    const buf = encodeResponse(
      hdr(),
      answer({ answers: [{ name: 'v', ttl: 0, class: 3, data: { type: 'TXT', texts: ['ch'] } }] }),
      udp512,
    );
    expect(dnsPacket.decode(buf).answers![0]).toMatchObject({ class: 'CH' });
  });
});

describe('encodeResponse: header', () => {
  it('writes id, QR, opcode, AA, RD, RA, CD, rcode and counts', () => {
    const buf = encodeResponse(
      { id: 0x1234, opcode: 0, rd: true, cd: true, question: { name: 'a.b', type: 1, class: 1 } },
      answer({ rcode: Rcode.NXDOMAIN, ra: true }),
      udp512,
    );
    // QR | AA | RD | RA | CD | NXDOMAIN
    expect(buf.subarray(0, 12).toString('hex')).toBe('1234' + '8593' + '0001' + '0000' + '0000' + '0000');
    expect(buf.length).toBe(12 + 5 + 4);
  });

  it('echoes opcode, leaves AA and RA clear when not set', () => {
    const buf = encodeResponse(
      { id: 7, opcode: 2, rd: false, cd: false },
      answer({ rcode: 4, authoritative: false }),
      udp512,
    );
    expect(buf.toString('hex')).toBe('0007' + '9004' + '0000'.repeat(4));
  });

  // RD and CD belong to QUERY: a reply to any other opcode carries neither (RFC 8906 §8.1.4).
  it.each([
    [0, true, true, '8110'],
    [0, false, true, '8010'],
    [0, true, false, '8100'],
    [1, true, true, '8804'],
    [2, true, true, '9004'],
    [4, true, true, 'a004'],
    [5, true, true, 'a804'],
    [15, true, true, 'f804'],
  ])('opcode %i with RD %s and CD %s: flags %s', (opcode, rd, cd, flags) => {
    const rcode = opcode === 0 ? Rcode.NOERROR : Rcode.NOTIMP;
    const buf = encodeResponse({ id: 1, opcode, rd, cd }, answer({ rcode, authoritative: false }), udp512);
    expect(buf.subarray(2, 4).toString('hex')).toBe(flags);
  });

  it('keeps the question case exactly and points same-case names at it', () => {
    const buf = encodeResponse(
      hdr({ name: 'WwW.ExAmple.COM', type: RRType.A }),
      answer({ answers: [rr('WwW.ExAmple.COM', { type: 'A', address: '1.2.3.4' })] }),
      udp512,
    );
    expect(buf.subarray(12, 29).toString('latin1')).toBe('\x03WwW\x07ExAmple\x03COM\x00');
    expect(buf.subarray(33, 35).toString('hex')).toBe('c00c');
    const decoded = dnsPacket.decode(buf);
    expect(decoded.questions![0]!.name).toBe('WwW.ExAmple.COM');
    expect(decoded.answers![0]!.name).toBe('WwW.ExAmple.COM');
  });

  it('never points a name at a differently-cased occurrence: each name reads as it was given', () => {
    const buf = encodeResponse(
      hdr({ name: 'WwW.ExAmple.COM', type: RRType.CNAME }),
      answer({ answers: [rr('WwW.ExAmple.COM', { type: 'CNAME', target: 'web.example.com' })] }),
      udp512,
    );
    const decoded = dnsPacket.decode(buf);
    expect((decoded.answers![0] as { data: string }).data).toBe('web.example.com');
  });

  it('sets TC when the answer is already known to be truncated', () => {
    const buf = encodeResponse(hdr(), answer({ truncated: true, answers: aRecords('a', 1) }), udp512);
    expect(dnsPacket.decode(buf).flag_tc).toBe(true);
    expect(buf.readUInt16BE(6)).toBe(1);
  });
});

describe('encodeResponse: compression', () => {
  it('compresses 40 owner names to pointers', () => {
    const name = 'a-rather-long-service-name.some-namespace.svc.cluster.local';
    const qsize = nameWireLength(name) + 4;
    const buf = encodeResponse(hdr({ name, type: 1 }), answer({ answers: aRecords(name, 40) }), {
      maxSize: 4096,
    });
    // Each record: pointer (2) + fixed (10) + address (4).
    expect(buf.length).toBe(12 + qsize + 40 * 16);
    expect(buf.length).toBeLessThan((12 + qsize + 40 * (qsize - 4 + 14)) / 3);
    const decoded = dnsPacket.decode(buf);
    expect(decoded.answers).toHaveLength(40);
    expect(decoded.answers!.every((a) => a.name === name)).toBe(true);
    expect(decoded.answers!.map((a) => (a as { data: string }).data)).toEqual(
      aRecords(name, 40).map((r) => (r.data as { address: string }).address),
    );
  });

  it('compresses suffixes, names in NS, CNAME, PTR, MX and SOA RDATA', () => {
    const records: ResourceRecord[] = [
      rr(QNAME, { type: 'CNAME', target: `other.${QNAME.slice(4)}` }),
      rr('cluster.local', { type: 'NS', target: 'ns.cluster.local' }),
      rr('1.0.0.10.in-addr.arpa', { type: 'PTR', target: QNAME }),
      rr('cluster.local', { type: 'MX', preference: 1, exchange: 'ns.cluster.local' }),
      rr('cluster.local', {
        type: 'SOA',
        mname: 'ns.cluster.local',
        rname: 'CLUSTER.local',
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 5,
      }),
    ];
    const buf = encodeResponse(hdr({ name: QNAME, type: 255 }), answer({ answers: records }), udp512);
    const q = 12;
    // Offsets of the question's suffixes.
    const defaultAt = q + 4;
    const clusterAt = q + 4 + 8 + 4;
    let p = q + 31 + 4;
    // CNAME owner = whole question.
    expect(buf.readUInt16BE(p)).toBe(0xc000 | q);
    p += 12;
    // CNAME target "other" + pointer to "default.svc...".
    expect(buf.subarray(p, p + 6).toString('latin1')).toBe('\x05other');
    expect(buf.readUInt16BE(p + 6)).toBe(0xc000 | defaultAt);
    p += 8;
    // NS owner "cluster.local" points into the question; target "ns" + pointer to it.
    expect(buf.readUInt16BE(p)).toBe(0xc000 | clusterAt);
    expect(buf.subarray(p + 12, p + 15).toString('latin1')).toBe('\x02ns');
    expect(buf.readUInt16BE(p + 15)).toBe(0xc000 | clusterAt);
    const nsTargetAt = p + 12;
    p += 17;
    // PTR owner is new, target is the whole question.
    const ptrOwner = '\x011\x010\x010\x0210\x07in-addr\x04arpa\x00';
    expect(buf.subarray(p, p + ptrOwner.length).toString('latin1')).toBe(ptrOwner);
    p += ptrOwner.length + 10;
    expect(buf.readUInt16BE(p)).toBe(0xc000 | q);
    p += 2;
    // MX: owner pointer, preference, exchange = pointer to the NS target.
    expect(buf.readUInt16BE(p)).toBe(0xc000 | clusterAt);
    expect(buf.readUInt16BE(p + 12)).toBe(1);
    expect(buf.readUInt16BE(p + 14)).toBe(0xc000 | nsTargetAt);
    p += 16;
    // SOA: mname is a pointer; rname differs in case, so only its same-case tail "local" is shared.
    expect(buf.readUInt16BE(p + 12)).toBe(0xc000 | nsTargetAt);
    expect(buf.subarray(p + 14, p + 22).toString('latin1')).toBe('\x07CLUSTER');
    expect(buf.readUInt16BE(p + 22)).toBe(0xc000 | (clusterAt + 8));
    expect(buf.length).toBe(p + 24 + 20);

    const decoded = dnsPacket.decode(buf);
    expect(decoded.answers!.map((a) => [a.name, a.type])).toEqual([
      [QNAME, 'CNAME'],
      ['cluster.local', 'NS'],
      ['1.0.0.10.in-addr.arpa', 'PTR'],
      ['cluster.local', 'MX'],
      ['cluster.local', 'SOA'],
    ]);
    expect(decoded.answers![4]).toMatchObject({
      data: { mname: 'ns.cluster.local', rname: 'CLUSTER.local' },
    });
  });

  it('never compresses an SRV target but lets later names point into it', () => {
    const target = `pod-1.${QNAME}`;
    const buf = encodeResponse(
      hdr({ name: `_http._tcp.${QNAME}`, type: RRType.SRV }),
      answer({
        answers: [rr(`_http._tcp.${QNAME}`, { type: 'SRV', priority: 1, weight: 2, port: 80, target })],
        additional: [rr(target, { type: 'A', address: '10.0.0.9' })],
      }),
      udp512,
    );
    const qlen = nameWireLength(`_http._tcp.${QNAME}`);
    const rdataAt = 12 + qlen + 4 + 2 + 10;
    const targetAt = rdataAt + 6;
    expect(buf.readUInt16BE(rdataAt - 2)).toBe(6 + nameWireLength(target));
    expect(buf.subarray(targetAt, targetAt + nameWireLength(target)).toString('latin1')).toBe(
      '\x05pod-1\x03web\x07default\x03svc\x07cluster\x05local\x00',
    );
    const additionalAt = targetAt + nameWireLength(target);
    expect(buf.readUInt16BE(additionalAt)).toBe(0xc000 | targetAt);
    const decoded = dnsPacket.decode(buf);
    expect(decoded.answers![0]).toMatchObject({ type: 'SRV', data: { target, port: 80 } });
    expect(decoded.additionals![0]).toMatchObject({ name: target, type: 'A', data: '10.0.0.9' });
  });

  it('decodes when the message grows past the 14-bit pointer range', () => {
    const records = Array.from({ length: 700 }, (_, i) =>
      rr(`host-${i}.example.org`, { type: 'TXT', texts: ['z'.repeat(20)] }),
    );
    const buf = encodeResponse(hdr({ name: 'example.org', type: 16 }), answer({ answers: records }), {
      maxSize: 65535,
    });
    expect(buf.length).toBeGreaterThan(0x4000);
    const decoded = dnsPacket.decode(buf);
    expect(decoded.answers).toHaveLength(700);
    expect(decoded.answers![699]!.name).toBe('host-699.example.org');
  });

  it('rolls back the names of an RRset that is taken back', () => {
    const names = new NameCompressor();
    const out = Buffer.alloc(600);
    let p = names.write('a.example', out, 0, true);
    const mark = names.mark();
    p = names.write('b.example', out, p, true);
    expect(p).toBe(11 + 4);
    names.rollback(mark);
    // "b.example" is gone: written again as label + pointer to "example", not a pointer to itself.
    const end = names.write('b.example', out, p, true);
    expect(out.subarray(p, end).toString('hex')).toBe('0162' + 'c002');
    // "a.example" is still known.
    expect(out.subarray(end, names.write('a.example', out, end, true)).toString('hex')).toBe('c000');
  });
});

describe('encodeResponse: size limit and truncation', () => {
  const name = 'many.default.svc.cluster.local';
  // Header, then the question: 32 bytes of name, type and class.
  const QUESTION_END = 12 + 36;
  const edns512: EncodeOptions = { maxSize: 512, edns: { udpSize: 1232, dnssecOk: false } };

  /** What a client reads: each section's owner names (OPT apart), TC, and whether OPT came last. */
  function read(buf: Buffer) {
    const decoded = dnsPacket.decode(buf);
    const additionals = decoded.additionals ?? [];
    return {
      answers: decoded.answers!.map((a) => a.name),
      authority: decoded.authorities!.map((a) => a.name),
      additional: additionals.filter((a) => a.type !== 'OPT').map((a) => a.name),
      tc: decoded.flag_tc,
      optLast: additionals.at(-1)?.type === 'OPT',
    };
  }
  const names = (owner: string, count: number) => Array<string>(count).fill(owner);

  // Question → what the reply keeps. Each A record after the first is 16 bytes (a pointer, fixed
  // fields, the address), so 512 bytes hold (512 - 48) / 16 = 29 of them, or 28 beside an OPT.
  const rows: [string, Partial<Answer>, EncodeOptions, ReturnType<typeof read>][] = [
    [
      '40 A records in 512 bytes: the first 29 that fit, TC',
      { answers: aRecords(name, 40) },
      udp512,
      { answers: names(name, 29), authority: [], additional: [], tc: true, optLast: false },
    ],
    [
      'the same with EDNS: 28, the OPT record kept last',
      { answers: aRecords(name, 40) },
      edns512,
      { answers: names(name, 28), authority: [], additional: [], tc: true, optLast: true },
    ],
    [
      'all 40 within 4096, no TC',
      { answers: aRecords(name, 40) },
      { maxSize: 4096 },
      { answers: names(name, 40), authority: [], additional: [], tc: false, optLast: false },
    ],
    [
      'an answer cut: authority and additional left out first, later answer RRsets too',
      {
        answers: [...aRecords(name, 2), ...aRecords(`x.${name}`, 40), ...aRecords(`y.${name}`, 1)],
        authority: [rr('cluster.local', { type: 'NS', target: 'ns.cluster.local' })],
        additional: aRecords('ns.cluster.local', 1),
      },
      udp512,
      // 48 + 2 × 16, x's first record 18 (its label, then a pointer), then 25 × 16: 498 bytes.
      {
        answers: [...names(name, 2), ...names(`x.${name}`, 26)],
        authority: [],
        additional: [],
        tc: true,
        optLast: false,
      },
    ],
    [
      'the authority cut: the records of it that fit, TC, no additional',
      {
        answers: aRecords(name, 1),
        authority: aRecords(`ns.${name}`, 40),
        additional: aRecords('glue.cluster.local', 1),
      },
      udp512,
      {
        answers: [name],
        authority: names(`ns.${name}`, 27),
        additional: [],
        tc: true,
        optLast: false,
      },
    ],
    [
      'additional RRsets that do not fit: dropped whole, from the first that does not fit, no TC',
      {
        answers: aRecords(name, 3),
        additional: [...aRecords(`a.${name}`, 2), ...aRecords(`b.${name}`, 40), ...aRecords(`c.${name}`, 1)],
      },
      edns512,
      {
        answers: names(name, 3),
        authority: [],
        additional: names(`a.${name}`, 2),
        tc: false,
        optLast: true,
      },
    ],
    [
      'an additional RRset is one whatever the case of its owners: all or nothing',
      {
        answers: aRecords(name, 1),
        additional: aRecords(`a.${name}`, 30).map((r, i) => ({
          ...r,
          name: i % 2 ? r.name.toUpperCase() : r.name,
        })),
      },
      udp512,
      { answers: [name], authority: [], additional: [], tc: false, optLast: false },
    ],
    [
      'a record larger than the room: nothing after it, TC',
      { answers: [rr(name, { type: 'TXT', texts: ['t'.repeat(600)] }), ...aRecords(name, 1)] },
      udp512,
      { answers: [], authority: [], additional: [], tc: true, optLast: false },
    ],
  ];

  it.each(rows)('%s', (_label, sections, opts, expected) => {
    const buf = encodeResponse(hdr({ name, type: 1 }), answer(sections), opts);
    expect(buf.length).toBeLessThanOrEqual(opts.maxSize);
    expect(read(buf)).toEqual(expected);
    expect(dnsPacket.decode(buf).questions![0]!.name).toBe(name);
  });

  it('fills 512 bytes exactly when the records do', () => {
    const buf = encodeResponse(hdr({ name, type: 1 }), answer({ answers: aRecords(name, 40) }), udp512);
    expect(buf.length).toBe(QUESTION_END + 29 * 16);
    expect(buf.length).toBe(512);
  });

  it('never exceeds maxSize for any limit, keeps a prefix of the answers, and sets TC when it cuts one', () => {
    const records = [
      ...aRecords(name, 5),
      rr(name, { type: 'TXT', texts: ['t'.repeat(300)] }),
      ...aRecords('z', 9),
    ];
    let previous = -1;
    for (let maxSize = 60; maxSize <= 700; maxSize += 7) {
      for (const edns of [undefined, { udpSize: 4096, dnssecOk: true }]) {
        const buf = encodeResponse(hdr({ name, type: 1 }), answer({ answers: records }), { maxSize, edns });
        expect(buf.length).toBeLessThanOrEqual(maxSize);
        const decoded = dnsPacket.decode(buf);
        const kept = decoded.answers!.length;
        expect(decoded.answers!.map((a) => a.name)).toEqual(records.slice(0, kept).map((r) => r.name));
        expect(decoded.flag_tc).toBe(kept < 15);
        if (!edns) {
          expect(kept).toBeGreaterThanOrEqual(previous); // more room never keeps fewer
          previous = kept;
        }
      }
    }
    expect(previous).toBe(15);
  });

  it.each([NaN, 11, 512.5])('throws for maxSize %s', (maxSize) => {
    expect(() => encodeResponse(hdr(), answer({ answers: aRecords('a', 1) }), { maxSize })).toThrow(
      RangeError,
    );
  });

  it('throws when the limit leaves no room for the question and OPT', () => {
    expect(() =>
      encodeResponse(hdr({ name, type: 1 }), answer({}), {
        maxSize: 40,
        edns: { udpSize: 512, dnssecOk: false },
      }),
    ).toThrow(RangeError);
  });
});

describe('encodeResponse: EDNS', () => {
  it('writes OPT last with our UDP size and the DO bit', () => {
    const buf = encodeResponse(
      hdr({ name: QNAME, type: 1 }),
      answer({ answers: aRecords(QNAME, 1), additional: aRecords(`x.${QNAME}`, 2) }),
      { maxSize: 1232, edns: { udpSize: 1232, dnssecOk: true } },
    );
    // Root owner, type 41, class 1232, TTL 0x00008000 (DO), RDLENGTH 0.
    expect(buf.subarray(buf.length - 11).toString('hex')).toBe('00' + '0029' + '04d0' + '00008000' + '0000');
    expect(buf.readUInt16BE(10)).toBe(3);
    const decoded = dnsPacket.decode(buf);
    const opt = decoded.additionals!.at(-1) as dnsPacket.OptAnswer & { flag_do: boolean };
    expect(opt).toMatchObject({
      type: 'OPT',
      udpPayloadSize: 1232,
      extendedRcode: 0,
      ednsVersion: 0,
      flag_do: true,
    });
  });

  it('encodes BADVERS as header rcode 0 and extended rcode 1', () => {
    const buf = encodeResponse(hdr({ name: QNAME, type: 1 }), answer({ rcode: Rcode.BADVERS }), {
      maxSize: 512,
      edns: { udpSize: 1232, dnssecOk: false },
    });
    expect(buf[3]! & 0x0f).toBe(0);
    expect(buf.subarray(buf.length - 11).toString('hex')).toBe('00' + '0029' + '04d0' + '01000000' + '0000');
    const opt = dnsPacket.decode(buf).additionals![0] as dnsPacket.OptAnswer;
    expect(opt.extendedRcode).toBe(1);
  });

  it('refuses an extended rcode without EDNS', () => {
    expect(() => encodeResponse(hdr(), answer({ rcode: Rcode.BADVERS }), udp512)).toThrow(RangeError);
  });

  it('keeps room for OPT: the message with OPT stays within maxSize', () => {
    const name = 'many.default.svc.cluster.local';
    const plain = encodeResponse(hdr({ name, type: 1 }), answer({ answers: aRecords(name, 29) }), udp512);
    expect(plain.readUInt16BE(6)).toBe(29);
    expect(plain.length).toBe(12 + 36 + 29 * 16);
    // 512 + 11 > 512: with OPT the last record no longer fits.
    const withOpt = encodeResponse(hdr({ name, type: 1 }), answer({ answers: aRecords(name, 29) }), {
      maxSize: 512,
      edns: { udpSize: 512, dnssecOk: false },
    });
    expect(withOpt.readUInt16BE(6)).toBe(28);
    expect(withOpt.readUInt16BE(2) & 0x0200).toBe(0x0200);
    expect(withOpt.length).toBe(12 + 36 + 28 * 16 + 11);
    expect(withOpt.subarray(withOpt.length - 11, withOpt.length - 8).toString('hex')).toBe('000029');
  });
});

describe('encodeResponse: extended DNS errors (RFC 8914)', () => {
  const ede = { code: 21, reason: 'Blocked' };

  it('writes the EDE option in the OPT record, and only there: code 15, INFO-CODE, EXTRA-TEXT', () => {
    const buf = encodeResponse(hdr({ name: QNAME, type: 1 }), answer({ rcode: Rcode.NXDOMAIN, ede }), {
      maxSize: 512,
      edns: { udpSize: 1232, dnssecOk: false },
    });
    expect(buf.subarray(buf.length - 24).toString('hex')).toBe(
      '00' +
        '0029' +
        '04d0' +
        '00000000' +
        '000d' +
        '000f' +
        '0009' +
        '0015' +
        Buffer.from('Blocked').toString('hex'),
    );
    const opt = dnsPacket.decode(buf).additionals![0] as dnsPacket.OptAnswer;
    expect(opt.options).toEqual([
      { code: 15, type: 'OPTION_15', data: Buffer.from('0015426c6f636b6564', 'hex') },
    ]);
    // Only in the OPT record: a reply to a query without EDNS has none (RFC 6891 §7).
    const plain = encodeResponse(hdr({ name: QNAME, type: 1 }), answer({ ede }), udp512);
    expect(plain.readUInt16BE(10)).toBe(0);
  });

  it('keeps room for it: records give way, the error stays', () => {
    const name = 'many.default.svc.cluster.local';
    const buf = encodeResponse(hdr({ name, type: 1 }), answer({ answers: aRecords(name, 29), ede }), {
      maxSize: 512,
      edns: { udpSize: 512, dnssecOk: false },
    });
    expect(buf.length).toBeLessThanOrEqual(512);
    expect(buf.readUInt16BE(6)).toBe(27);
    expect(buf.subarray(buf.length - 7).toString()).toBe('Blocked');
  });
});

describe('encodeResponse: bad data', () => {
  it.each([
    ['bad IPv4', rr('a', { type: 'A', address: '10.0.0' })],
    ['bad IPv6', rr('a', { type: 'AAAA', address: '10.0.0.1' })],
    ['bad owner', rr('a..b', { type: 'A', address: '10.0.0.1' })],
    ['bad target', rr('a', { type: 'CNAME', target: 'x.' })],
    ['RDATA over 65535', rr('a', { type: 'RAW', typeCode: 99, rdata: Buffer.alloc(65536) })],
    ['TXT over 65535', rr('a', { type: 'TXT', texts: ['q'.repeat(65300)] })],
  ])('%s throws WireError', (_label, record) => {
    expect(() => encodeResponse(hdr(), answer({ answers: [record] }), { maxSize: 65535 })).toThrow(WireError);
  });
});
