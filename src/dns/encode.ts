// Response encoding with compression and size-limited truncation.
//
// A reply that does not fit keeps the answer records that fit, in order, up to the first that does
// not, and sets TC (RFC 2181 §9 allows the partial RRset once TC is set). The authority section,
// then the additional, are filled after it, so they are the first to go. So does CoreDNS (miekg/dns
// Msg.Truncate), and what a client that never retries over TCP needs: musl libc before 1.2.4 uses
// the records of a truncated UDP reply, so a reply cut to nothing resolves nothing.
//
// TC is set when an answer or authority record is left out. Additional records are written whole
// RRset by whole RRset and dropped without TC: "The TC bit should not be set merely because some
// extra information could have been included, but there was insufficient room. This includes the
// results of additional section processing" (https://www.rfc-editor.org/rfc/rfc2181#section-9).
// Since they come without TC, an additional RRset is never cut, or a client would take part of it
// for all of it. (miekg/dns sets TC for those too; it cannot tell which records are required.)

import { NameCompressor } from './compress.js';
import { OPT_RECORD_SIZE, writeOpt } from './edns.js';
import {
  ANCOUNT_AT,
  ARCOUNT_AT,
  FLAG_AA,
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  HEADER_SIZE,
  NSCOUNT_AT,
  OPCODE_MASK,
  OPCODE_QUERY,
  OPCODE_SHIFT,
  QDCOUNT_AT,
  RCODE_MASK,
} from './header.js';
import { namesEqual } from './name.js';
import { typeCode, writeRecord } from './record-write.js';
import { type Answer, type Question, type ResourceRecord } from './types.js';

export interface ResponseHeader {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** Echoed exactly as received; omitted when the query's question was unreadable. */
  question?: Question;
}

export interface EncodeOptions {
  /** Largest message allowed (512 for plain UDP, the clamped EDNS size, 65535 for TCP). */
  maxSize: number;
  /** Adds an OPT record: our advertised UDP size and the query's DO bit echoed. */
  edns?: { udpSize: number; dnssecOk: boolean };
}

const MAX_MESSAGE = 0xffff;
/** EDNS option code of an extended DNS error (RFC 8914 §2). */
const EDE_OPTION = 15;
/** A reason text beyond this is cut: the error must never crowd out the answer. */
const MAX_EDE_REASON = 255;

/** The EDE option: code, length, INFO-CODE, then the EXTRA-TEXT in UTF-8 (RFC 8914 §2). */
function edeOption(ede: NonNullable<Answer['ede']>): Buffer {
  let reason = Buffer.from(ede.reason, 'utf8');
  if (reason.length > MAX_EDE_REASON) reason = reason.subarray(0, MAX_EDE_REASON);
  const option = Buffer.alloc(6 + reason.length);
  option.writeUInt16BE(EDE_OPTION, 0);
  option.writeUInt16BE(2 + reason.length, 2);
  option.writeUInt16BE(ede.code, 4);
  reason.copy(option, 6);
  return option;
}
// Room for one record written past the limit before it is found not to fit: name + fixed + RDATA.
const RECORD_OVERSHOOT = 255 + 10 + 0xffff;

// Encoding is synchronous, so one scratch area and dictionary serve every call.
const scratch = Buffer.allocUnsafe(MAX_MESSAGE + RECORD_OVERSHOOT);
const names = new NameCompressor();
let pos = 0;

/**
 * Encodes a response of at most `opts.maxSize` bytes. Throws WireError for data that cannot be
 * encoded (bad name or address, oversized RDATA) and RangeError for misuse (rcode over 15 without
 * EDNS, a maxSize that is not an integer or too small for header, question and OPT). A maxSize over
 * 65535 counts as 65535.
 */
export function encodeResponse(header: ResponseHeader, answer: Answer, opts: EncodeOptions): Buffer {
  if (!Number.isInteger(opts.maxSize) || opts.maxSize < HEADER_SIZE) {
    throw new RangeError(`bad maxSize ${opts.maxSize}`);
  }
  const { rcode } = answer;
  if (!Number.isInteger(rcode) || rcode < 0 || rcode > 0xfff) throw new RangeError(`bad rcode ${rcode}`);
  if (rcode > RCODE_MASK && !opts.edns) throw new RangeError(`rcode ${rcode} needs EDNS`);
  // The OPT record is reserved up front so it can always be written last (RFC 6891 §7).
  const ede = opts.edns && answer.ede ? edeOption(answer.ede) : undefined;
  const limit = Math.min(opts.maxSize, MAX_MESSAGE) - (opts.edns ? OPT_RECORD_SIZE + (ede?.length ?? 0) : 0);

  names.reset();
  pos = HEADER_SIZE;
  const { question } = header;
  if (question) {
    // First in the message, so the first compression target.
    pos = names.write(question.name, scratch, pos, true);
    scratch.writeUInt16BE(question.type, pos);
    scratch.writeUInt16BE(question.class, pos + 2);
    pos += 4;
  }
  if (pos > limit) throw new RangeError(`maxSize ${opts.maxSize} leaves no room for the question`);

  let truncated = answer.truncated === true;
  const ancount = writeRecords(answer.answers, limit);
  let nscount = 0;
  let arcount = 0;
  // A missing answer or authority record makes the reply incomplete: TC, and nothing after it.
  if (ancount < answer.answers.length) {
    truncated = true;
  } else {
    nscount = writeRecords(answer.authority, limit);
    if (nscount < answer.authority.length) truncated = true;
    else arcount = writeRRsets(answer.additional, limit);
  }

  if (opts.edns) {
    pos = writeOpt(scratch, pos, opts.edns.udpSize, rcode, opts.edns.dnssecOk, ede?.length ?? 0);
    if (ede) pos += ede.copy(scratch, pos);
    arcount++;
  }

  let flags = FLAG_QR | ((header.opcode & OPCODE_MASK) << OPCODE_SHIFT) | (rcode & RCODE_MASK);
  if (answer.authoritative) flags |= FLAG_AA;
  if (truncated) flags |= FLAG_TC;
  if (answer.ra) flags |= FLAG_RA;
  // RD and CD are copied from a query (RFC 1035 §4.1.1, RFC 4035 §3.2.2); other opcodes do not
  // define them, so their replies carry neither (RFC 8906 §8.1.4, as ISC's EDNS compliance tester
  // checks; AA and RA come from the answer, which gives them none). AD and the Z bit are never set:
  // we validate nothing, and RFC 1035 §4.1.1 says Z must be zero.
  if (header.opcode === OPCODE_QUERY) {
    if (header.rd) flags |= FLAG_RD;
    if (header.cd) flags |= FLAG_CD;
  }
  scratch.writeUInt16BE(header.id, 0);
  scratch.writeUInt16BE(flags, 2);
  scratch.writeUInt16BE(question ? 1 : 0, QDCOUNT_AT);
  scratch.writeUInt16BE(ancount, ANCOUNT_AT);
  scratch.writeUInt16BE(nscount, NSCOUNT_AT);
  scratch.writeUInt16BE(arcount, ARCOUNT_AT);
  return Buffer.from(scratch.subarray(0, pos));
}

/**
 * Writes `rrs` record by record while each fits within `limit`. Returns how many were written; the
 * record that did not fit is undone, compression entries included, and nothing after it is tried:
 * a smaller later record might fit, but the order matters (a CNAME comes before its target's).
 */
function writeRecords(rrs: ResourceRecord[], limit: number): number {
  for (let i = 0; i < rrs.length; i++) {
    const mark = names.mark();
    const p = writeRecord(scratch, pos, rrs[i]!, names);
    if (p > limit) {
      names.rollback(mark);
      return i;
    }
    pos = p;
  }
  return rrs.length;
}

/**
 * Writes `rrs` RRset by RRset (RFC 2181 §5: consecutive records sharing name, type and class)
 * while each whole RRset fits within `limit`. Returns how many records were written; an RRset that
 * did not fit is undone, compression entries included, and nothing after it is tried.
 */
function writeRRsets(rrs: ResourceRecord[], limit: number): number {
  let i = 0;
  while (i < rrs.length) {
    const first = rrs[i]!;
    const type = typeCode(first.data);
    const cls = first.class ?? 1;
    let j = i + 1;
    while (j < rrs.length && sameRRset(rrs[j]!, first.name, type, cls)) j++;

    const mark = names.mark();
    let p = pos;
    for (let k = i; k < j && p <= limit; k++) p = writeRecord(scratch, p, rrs[k]!, names);
    if (p > limit) {
      names.rollback(mark);
      return i;
    }
    pos = p;
    i = j;
  }
  return i;
}

function sameRRset(rr: ResourceRecord, name: string, type: number, cls: number): boolean {
  return typeCode(rr.data) === type && (rr.class ?? 1) === cls && namesEqual(rr.name, name);
}
