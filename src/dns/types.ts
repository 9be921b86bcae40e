// The message model shared by the resolvers and the wire codec. Names are in presentation form
// without the trailing dot ("web.default.svc.cluster.local"; the root is ""), with `\.`, `\\` and
// `\DDD` escapes for label bytes that are not printable ASCII, so any name read off the wire
// round-trips to the same bytes.

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  AXFR: 252,
  IXFR: 251,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, CH: 3, ANY: 255 } as const;

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode (needs an OPT record): the query's EDNS version is not supported. RFC 6891 §6.1.3. */
  BADVERS: 16,
} as const;

export type RecordData =
  | { type: 'A'; address: string }
  | { type: 'AAAA'; address: string }
  | { type: 'CNAME'; target: string }
  | { type: 'PTR'; target: string }
  | { type: 'NS'; target: string }
  | { type: 'MX'; preference: number; exchange: string }
  | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'TXT'; texts: string[] }
  | {
      type: 'SOA';
      mname: string;
      rname: string;
      serial: number;
      refresh: number;
      retry: number;
      expire: number;
      minimum: number;
    }
  /** Any other type, carried as opaque RDATA (it must hold no compressed names). */
  | { type: 'RAW'; typeCode: number; rdata: Buffer };

export interface ResourceRecord {
  name: string;
  ttl: number;
  /** Defaults to IN. */
  class?: number;
  data: RecordData;
}

export interface Question {
  /** As it was on the wire, case kept. */
  name: string;
  type: number;
  class: number;
}

export interface EdnsInfo {
  /** The requestor's UDP payload size, as sent (callers clamp it). */
  udpSize: number;
  version: number;
  /** DNSSEC OK bit. */
  dnssecOk: boolean;
}

/** A query that passed the header and question checks. */
export interface Query {
  id: number;
  opcode: number;
  /** Recursion desired, echoed in the response. */
  rd: boolean;
  /** Checking disabled, echoed in the response. */
  cd: boolean;
  question: Question;
  /** Present when the query had an OPT record. */
  edns?: EdnsInfo;
}

/** What a resolver returns: the sections and flags of the response, before encoding. */
export interface Answer {
  rcode: number;
  authoritative: boolean;
  /** Recursion available. */
  ra?: boolean;
  /** Set when the answer is already known to be incomplete (e.g. an upstream reply had TC). */
  truncated?: boolean;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** An extended DNS error (RFC 8914), sent in the OPT record when the query has one. */
  ede?: { code: number; reason: string };
}
