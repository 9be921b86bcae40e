// Fixed header layout and flag bits, RFC 1035 §4.1.1 (CD from RFC 4035 §3.2).

export const HEADER_SIZE = 12;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_CD = 0x0010;

export const OPCODE_SHIFT = 11;
export const OPCODE_MASK = 0xf;
/** The only opcode served: a standard query. */
export const OPCODE_QUERY = 0;
export const RCODE_MASK = 0xf;

// Byte offsets of the four section counts.
export const QDCOUNT_AT = 4;
export const ANCOUNT_AT = 6;
export const NSCOUNT_AT = 8;
export const ARCOUNT_AT = 10;
