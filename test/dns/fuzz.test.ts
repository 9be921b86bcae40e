// Property-style checks: parseQuery is total, and whatever it reports can be answered.

import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { encodeResponse, type ResponseHeader } from '../../src/dns/encode.js';
import { decodeMessage } from '../../src/dns/message.js';
import { parseQuery, type ParseOutcome } from '../../src/dns/parse.js';
import { Rcode, type Answer, type ResourceRecord } from '../../src/dns/types.js';
import { rng } from './wire.js';

const noRecords = { authoritative: false, answers: [], authority: [], additional: [] };

function realQueries(): Buffer[] {
  const base = { type: 'query' as const, id: 0x1357, flags: dnsPacket.RECURSION_DESIRED };
  const opt = (extra: object) =>
    ({ type: 'OPT', name: '.', udpPayloadSize: 1232, ...extra }) as dnsPacket.Answer;
  const queries = [
    dnsPacket.encode({ ...base, questions: [{ type: 'A', name: 'web.default.svc.cluster.local' }] }),
    dnsPacket.encode({
      ...base,
      questions: [{ type: 'SRV', name: '_http._tcp.Web.Default.svc.cluster.local' }],
      additionals: [opt({ flags: dnsPacket.DNSSEC_OK, options: [{ code: 10, data: Buffer.alloc(8, 7) }] })],
    }),
    dnsPacket.encode({
      ...base,
      questions: [{ type: 'AAAA', name: 'x.y' }],
      additionals: [opt({ ednsVersion: 1 })],
    }),
    dnsPacket.encode({ ...base, flags: 2 << 11, questions: [{ type: 'A', name: 'status.example' }] }),
  ];
  // A response with compressed names everywhere, turned into a "query" by clearing QR.
  const records: ResourceRecord[] = [
    { name: 'a.svc.cluster.local', ttl: 1, data: { type: 'CNAME', target: 'b.svc.cluster.local' } },
    { name: 'b.svc.cluster.local', ttl: 1, data: { type: 'A', address: '10.0.0.2' } },
  ];
  const compressed = encodeResponse(
    { id: 9, opcode: 0, rd: true, cd: false, question: { name: 'a.svc.cluster.local', type: 1, class: 1 } },
    { rcode: 0, authoritative: true, answers: records, authority: [], additional: records },
    { maxSize: 512, edns: { udpSize: 1232, dnssecOk: true } },
  );
  compressed[2]! &= 0x7f;
  queries.push(compressed);
  return queries;
}

/** Encodes the reply the server would send for `outcome` and checks that it decodes. */
function answerable(outcome: ParseOutcome): void {
  if (outcome.kind === 'drop') return;
  let header: ResponseHeader;
  let answer: Answer;
  let edns: { udpSize: number; dnssecOk: boolean } | undefined;
  if (outcome.kind === 'formerr' || outcome.kind === 'notimp') {
    header = outcome;
    answer = { rcode: outcome.kind === 'formerr' ? Rcode.FORMERR : Rcode.NOTIMP, ...noRecords };
  } else {
    header = outcome.query;
    answer = { rcode: outcome.kind === 'badvers' ? Rcode.BADVERS : Rcode.NOERROR, ...noRecords };
    if (outcome.query.edns) edns = { udpSize: 1232, dnssecOk: outcome.query.edns.dnssecOk };
  }
  const reply = encodeResponse(header, answer, { maxSize: 512, edns });
  const decoded = dnsPacket.decode(reply);
  expect(decoded.id).toBe(header.id);
  expect(decoded.type).toBe('response');
  const ours = decodeMessage(reply);
  expect(ours.rcode).toBe(answer.rcode);
  expect(ours.question).toEqual(header.question ? [header.question] : []);
}

function check(buf: Buffer, seen: Map<string, number>): void {
  let outcome: ParseOutcome;
  try {
    outcome = parseQuery(buf);
  } catch (err) {
    throw new Error(`parseQuery threw on ${buf.toString('hex')}: ${String(err)}`, { cause: err });
  }
  seen.set(outcome.kind, (seen.get(outcome.kind) ?? 0) + 1);
  answerable(outcome);
}

describe('parseQuery is total', () => {
  it('never throws on 20 000 random buffers, and every outcome is answerable', () => {
    const random = rng(0xd15);
    const seen = new Map<string, number>();
    for (let n = 0; n < 20_000; n++) {
      const buf = Buffer.alloc(Math.floor(random() * 96));
      for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(random() * 256);
      // Most of the time get past the header checks so the body parsing is exercised.
      if (buf.length >= 12 && random() < 0.7) {
        buf[2]! &= random() < 0.8 ? 0x07 : 0x7f;
        buf[4] = 0;
        buf[5] = 1;
        for (let i = 6; i < 12; i++) buf[i] = random() < 0.7 ? 0 : Math.floor(random() * 3);
      }
      check(buf, seen);
    }
    expect(seen.get('drop')).toBeGreaterThan(0);
    expect(seen.get('formerr')).toBeGreaterThan(0);
    expect(seen.get('notimp')).toBeGreaterThan(0);
  });

  it('never throws on mutations and truncations of real queries', () => {
    const random = rng(0xbeef);
    const seen = new Map<string, number>();
    const queries = realQueries();
    for (const q of queries) check(q, seen);
    expect([...seen.keys()].sort()).toEqual(['badvers', 'notimp', 'query']);
    for (let n = 0; n < 20_000; n++) {
      const original = queries[n % queries.length]!;
      const buf = Buffer.from(original);
      // A single-byte change, a truncation, or both.
      const mode = random();
      if (mode < 0.8) buf[Math.floor(random() * buf.length)] = Math.floor(random() * 256);
      check(mode >= 0.6 ? buf.subarray(0, Math.floor(random() * buf.length)) : buf, seen);
    }
    for (const kind of ['drop', 'formerr', 'notimp', 'badvers', 'query'])
      expect(seen.get(kind)).toBeGreaterThan(0);
  });
});
