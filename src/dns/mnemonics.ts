// Type and rcode mnemonics for logs and metrics labels (RFC 1035, RFC 6895 registries). Unknown
// values take RFC 3597's generic form, TYPE<n>, and RCODE<n> by analogy.

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  13: 'HINFO',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  41: 'OPT',
  43: 'DS',
  46: 'RRSIG',
  47: 'NSEC',
  48: 'DNSKEY',
  50: 'NSEC3',
  64: 'SVCB',
  65: 'HTTPS',
  251: 'IXFR',
  252: 'AXFR',
  255: 'ANY',
  257: 'CAA',
};

/** By rcode value 0-23; CoreDNS writes these same strings in its `rcode` label. */
export const RCODE_NAMES: readonly string[] = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  'RCODE11',
  'RCODE12',
  'RCODE13',
  'RCODE14',
  'RCODE15',
  'BADVERS',
  'BADKEY',
  'BADTIME',
  'BADMODE',
  'BADNAME',
  'BADALG',
  'BADTRUNC',
  'BADCOOKIE',
];

const TYPE_CODES = new Map(Object.entries(TYPE_NAMES).map(([code, name]) => [name, Number(code)]));

/** The type a mnemonic names (`A`, `HINFO`, RFC 3597's `TYPE65280`); undefined when none. */
export function typeCode(mnemonic: string): number | undefined {
  const generic = /^TYPE(\d{1,5})$/.exec(mnemonic);
  if (generic && Number(generic[1]) <= 0xffff) return Number(generic[1]);
  return TYPE_CODES.get(mnemonic);
}

export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** A type mnemonic (or RFC 3597's TYPE<n>) as its value; undefined for an unknown one. */
export function typeFromName(name: string): number | undefined {
  const upper = name.toUpperCase();
  const generic = /^TYPE(\d{1,5})$/.exec(upper);
  if (generic) return Number(generic[1]) <= 0xffff ? Number(generic[1]) : undefined;
  for (const [code, mnemonic] of Object.entries(TYPE_NAMES)) if (mnemonic === upper) return Number(code);
  return undefined;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}
