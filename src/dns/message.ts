// General message decoder (upstream replies, tests). Strict: any malformation throws WireError.

import { u16, u32 } from './bytes.js';
import { optDnssecOk, optExtendedRcode, optVersion, optionsWellFormed, OPT_TYPE } from './edns.js';
import { WireError } from './errors.js';
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
  OPCODE_SHIFT,
  QDCOUNT_AT,
  RCODE_MASK,
} from './header.js';
import { readName } from './name.js';
import { readRdata } from './record-read.js';
import type { EdnsInfo, Question, ResourceRecord } from './types.js';

export interface DecodedMessage {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  cd: boolean;
  /** Full 12-bit rcode: header bits plus the OPT record's extended bits. */
  rcode: number;
  question: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  /** Without the OPT record, which is reported as `edns`. */
  additional: ResourceRecord[];
  edns?: EdnsInfo;
}

export interface DecodeOptions {
  /**
   * Keep every record's RDATA so that encoding it again gives the same bytes: TXT stays RAW (its
   * strings need not be UTF-8), and older types whose names may arrive compressed (RFC 3597 §4:
   * MINFO, RP, AFSDB, RT, PX, SIG, NXT and the obsolete mailbox types) become RAW with those names
   * written out uncompressed. For forwarding upstream answers. Off by default.
   */
  exactRdata?: boolean;
}

export function decodeMessage(buf: Buffer, options: DecodeOptions = {}): DecodedMessage {
  const exact = options.exactRdata === true;
  if (buf.length < HEADER_SIZE) throw new WireError('message shorter than a header');
  const flags = u16(buf, 2);
  const cursor = { pos: HEADER_SIZE };

  const question: Question[] = [];
  for (let i = u16(buf, QDCOUNT_AT); i > 0; i--) {
    const { name, end } = readName(buf, cursor.pos);
    need(buf, end + 4, 'question');
    question.push({ name, type: u16(buf, end), class: u16(buf, end + 2) });
    cursor.pos = end + 4;
  }

  const answers = readSection(buf, cursor, u16(buf, ANCOUNT_AT), null, exact);
  const authority = readSection(buf, cursor, u16(buf, NSCOUNT_AT), null, exact);
  const opt: OptSeen = { ttl: -1, udpSize: 0 };
  const additional = readSection(buf, cursor, u16(buf, ARCOUNT_AT), opt, exact);

  const message: DecodedMessage = {
    id: u16(buf, 0),
    qr: (flags & FLAG_QR) !== 0,
    opcode: (flags >>> OPCODE_SHIFT) & OPCODE_MASK,
    aa: (flags & FLAG_AA) !== 0,
    tc: (flags & FLAG_TC) !== 0,
    rd: (flags & FLAG_RD) !== 0,
    ra: (flags & FLAG_RA) !== 0,
    cd: (flags & FLAG_CD) !== 0,
    rcode: flags & RCODE_MASK,
    question,
    answers,
    authority,
    additional,
  };
  if (opt.ttl >= 0) {
    message.rcode |= optExtendedRcode(opt.ttl) << 4;
    message.edns = { udpSize: opt.udpSize, version: optVersion(opt.ttl), dnssecOk: optDnssecOk(opt.ttl) };
  }
  return message;
}

// The OPT record's fields once seen; ttl -1 until then.
interface OptSeen {
  ttl: number;
  udpSize: number;
}

/** Reads `count` records; `opt` is null where an OPT record is not allowed (RFC 6891 §6.1.1). */
function readSection(
  buf: Buffer,
  cursor: { pos: number },
  count: number,
  opt: OptSeen | null,
  exact: boolean,
): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const { name, end } = readName(buf, cursor.pos);
    need(buf, end + 10, 'record');
    const type = u16(buf, end);
    const cls = u16(buf, end + 2);
    const ttl = u32(buf, end + 4);
    const rdata = end + 10;
    const stop = rdata + u16(buf, end + 8);
    need(buf, stop, 'record data');
    cursor.pos = stop;
    if (type === OPT_TYPE) {
      if (opt === null) throw new WireError('OPT outside the additional section');
      if (opt.ttl >= 0) throw new WireError('more than one OPT record');
      if (name !== '') throw new WireError('OPT owner is not the root');
      if (!optionsWellFormed(buf, rdata, stop)) throw new WireError('malformed EDNS options');
      opt.ttl = ttl;
      opt.udpSize = cls;
      continue;
    }
    records.push({ name, ttl, class: cls, data: readRdata(buf, type, rdata, stop, exact) });
  }
  return records;
}

function need(buf: Buffer, end: number, what: string): void {
  if (end > buf.length) throw new WireError(`${what} runs past the end of the message`);
}
