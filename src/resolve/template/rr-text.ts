// One resource record in zone-file form (RFC 1035 §5.1), as CoreDNS's template plugin reads the
// text its templates produce (miekg/dns NewRR, origin the root): `NAME [TTL] [CLASS] TYPE RDATA`,
// TTL and CLASS in either order, TTL 3600 and class IN when left out, names made absolute at the
// root, `( ... )` spanning lines, `;` comments. The types are the ones templates answer with: A,
// AAAA, CNAME, PTR, NS, MX, SRV, TXT and SOA; another type is an error (the query gets SERVFAIL).
import { isIPv4, isIPv6 } from 'node:net';
import { nameWireLength } from '../../dns/name.js';
import { RRClass, type RecordData, type ResourceRecord } from '../../dns/types.js';

/** miekg/dns's default TTL for a record written without one. */
const DEFAULT_TTL = 3600;
const CLASSES: Record<string, number> = { IN: RRClass.IN, CS: 2, CH: RRClass.CH, HS: 4 };
export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'PTR', 'NS', 'MX', 'SRV', 'TXT', 'SOA'] as const;
/** Past this a record is not worth reading: a UDP answer could not carry it anyway. */
const MAX_TEXT = 65_535;

interface Word {
  text: string;
  quoted: boolean;
}

/** The record `text` describes; throws an Error saying what is wrong with it. */
export function parseRecordText(text: string): ResourceRecord {
  if (text.length > MAX_TEXT) throw new Error(`record text longer than ${MAX_TEXT} characters`);
  const words = splitWords(text);
  const owner = words.shift();
  if (owner === undefined) throw new Error('empty record');
  const name = domainName(owner.text);
  let ttl: number | undefined;
  let rrClass: number | undefined;
  for (;;) {
    const word = words[0];
    if (word === undefined) throw new Error(`"${text}": no record type`);
    const upper = word.text.toUpperCase();
    if (ttl === undefined && /^\d/.test(word.text)) ttl = parseTtl(word.text);
    else if (rrClass === undefined && CLASSES[upper] !== undefined) rrClass = CLASSES[upper];
    else break;
    words.shift();
  }
  const type = words.shift()!.text.toUpperCase();
  const data = rdata(type, words);
  return {
    name,
    ttl: ttl ?? DEFAULT_TTL,
    ...(rrClass !== RRClass.IN && rrClass !== undefined ? { class: rrClass } : {}),
    data,
  };
}

function rdata(type: string, words: Word[]): RecordData {
  const count = (n: number, shape: string) => {
    if (words.length !== n) throw new Error(`${type}: expected ${shape}, got ${words.length} fields`);
  };
  const texts = words.map((word) => word.text);
  switch (type) {
    case 'A':
      count(1, 'an IPv4 address');
      if (!isIPv4(texts[0]!)) throw new Error(`A: "${texts[0]}" is not an IPv4 address`);
      return { type, address: texts[0]! };
    case 'AAAA':
      count(1, 'an IPv6 address');
      if (!isIPv6(texts[0]!)) throw new Error(`AAAA: "${texts[0]}" is not an IPv6 address`);
      return { type, address: texts[0]! };
    case 'CNAME':
    case 'PTR':
    case 'NS':
      count(1, 'a domain name');
      return { type, target: domainName(texts[0]!) };
    case 'MX':
      count(2, 'PREFERENCE EXCHANGE');
      return { type, preference: uint(texts[0]!, 0xffff), exchange: domainName(texts[1]!) };
    case 'SRV':
      count(4, 'PRIORITY WEIGHT PORT TARGET');
      return {
        type,
        priority: uint(texts[0]!, 0xffff),
        weight: uint(texts[1]!, 0xffff),
        port: uint(texts[2]!, 0xffff),
        target: domainName(texts[3]!),
      };
    case 'TXT':
      if (words.length === 0) throw new Error('TXT: expected one or more strings');
      for (const text of texts) {
        if (Buffer.byteLength(text) > 255) throw new Error('TXT: a string longer than 255 bytes');
      }
      return { type, texts };
    case 'SOA':
      count(7, 'MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM');
      return {
        type,
        mname: domainName(texts[0]!),
        rname: domainName(texts[1]!),
        serial: uint(texts[2]!, 0xffffffff),
        refresh: parseTtl(texts[3]!),
        retry: parseTtl(texts[4]!),
        expire: parseTtl(texts[5]!),
        minimum: parseTtl(texts[6]!),
      };
    default:
      throw new Error(
        `type "${type}" is not one clusterdns answers from a template (${RECORD_TYPES.join(', ')})`,
      );
  }
}

/** Words split by white space, "quoted strings" (with \" \\ and \DDD) kept whole, parentheses and comments dropped. */
function splitWords(text: string): Word[] {
  const words: Word[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === ';') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (char === '(' || char === ')') {
      depth += char === '(' ? 1 : -1;
      if (depth < 0) throw new Error('")" without "("');
      i++;
    } else if (char === '\n' && depth === 0 && words.length > 0) {
      throw new Error('more than one line (use parentheses to span lines)');
    } else if (/\s/.test(char)) {
      i++;
    } else if (char === '"') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const digits = /^\d{3}/.exec(text.slice(i + 1, i + 4));
          value += digits ? String.fromCharCode(Number(digits[0])) : (text[i + 1] ?? '');
          i += digits ? 4 : 2;
        } else value += text[i++];
      }
      if (i >= text.length) throw new Error('unterminated quoted string');
      i++;
      words.push({ text: value, quoted: true });
    } else {
      let value = '';
      while (i < text.length && !/[\s;()"]/.test(text[i]!)) {
        // An escaped character (`\.`, `\ `) stays part of the word, escape and all.
        if (text[i] === '\\' && i + 1 < text.length) value += text[i++];
        value += text[i++];
      }
      words.push({ text: value, quoted: false });
    }
  }
  if (depth !== 0) throw new Error('"(" without ")"');
  return words;
}

/** A name as the resolvers hold it: no trailing dot, the root ''. Relative names are under the root. */
function domainName(text: string): string {
  const name =
    text === '@' || text === '.'
      ? ''
      : text.endsWith('.') && !text.endsWith('\\.')
        ? text.slice(0, -1)
        : text;
  try {
    nameWireLength(name);
  } catch (error) {
    throw new Error(`"${text}": not a domain name (${(error as Error).message})`, { cause: error });
  }
  return name;
}

function uint(text: string, max: number): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > max)
    throw new Error(`"${text}": expected a number from 0 to ${max}`);
  return Number(text);
}

/** Seconds, or BIND's units (1h30m, 2d, 1w), as zone files write TTLs. */
function parseTtl(text: string): number {
  let seconds = 0;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else {
    const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    const parts = /^(?:\d+[smhdw])+$/i.test(text) ? text.match(/\d+[smhdw]/gi)! : undefined;
    if (!parts) throw new Error(`"${text}": expected a TTL (seconds, or units such as 1h30m)`);
    for (const part of parts) seconds += Number(part.slice(0, -1)) * units[part.slice(-1).toLowerCase()]!;
  }
  if (seconds > 0xffffffff) throw new Error(`"${text}": larger than a TTL can be`);
  return seconds;
}
