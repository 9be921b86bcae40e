import { describe, expect, it } from 'vitest';
import { WireError } from '../../src/dns/errors.js';
import {
  canonicalName,
  encodeName,
  nameToLabels,
  nameWireLength,
  namesEqual,
  readName,
  skipName,
} from '../../src/dns/name.js';
import { bytes, rng } from './wire.js';

const label63 = 'a'.repeat(63);

describe('readName', () => {
  it.each([
    ['root', bytes(0), '', 1],
    ['one label', bytes('com'), 'com', 5],
    ['keeps case', bytes('WwW.Example.COM'), 'WwW.Example.COM', 17],
    ['escapes dot and backslash', bytes([3, 0x61, 0x2e, 0x62, 2, 0x5c, 0x63, 0]), 'a\\.b.\\\\c', 8],
    [
      'escapes space, control and high bytes',
      bytes([4, 0x20, 0x00, 0x7f, 0xff, 0]),
      '\\032\\000\\127\\255',
      6,
    ],
    ['keeps printable punctuation', bytes([5, 0x5f, 0x2d, 0x2a, 0x40, 0x7e, 0]), '_-*@~', 7],
    ['255 bytes on the wire', bytes([label63, label63, label63, 'a'.repeat(61)].join('.')), null, 255],
  ])('%s', (_label, buf, name, end) => {
    const got = readName(buf, 0);
    if (name !== null) expect(got.name).toBe(name);
    expect(got.end).toBe(end);
    expect(skipName(buf, 0)).toBe(end);
  });

  it('follows pointers and ends after the first one', () => {
    // "example.com" at 0, then "www" + pointer to 0 at 13, then pointer to 13 at 19.
    const buf = bytes('example.com', 3, 0x77, 0x77, 0x77, 0xc0, 0x00, 0xc0, 13, 0xee);
    expect(readName(buf, 13)).toEqual({ name: 'www.example.com', end: 19 });
    expect(readName(buf, 19)).toEqual({ name: 'www.example.com', end: 21 });
    expect(skipName(buf, 19)).toBe(21);
  });

  it('accepts a chain of backward pointers', () => {
    const chain = [...bytes('a'), 0xc0, 0];
    for (let i = 0; i < 10; i++) chain.push(0xc0, chain.length - 2);
    expect(readName(Buffer.from(chain), chain.length - 2).name).toBe('a');
  });

  const malformed: [string, Buffer, number][] = [
    ['empty buffer', bytes(), 0],
    ['missing terminal zero', bytes(3, 0x61, 0x62, 0x63), 0],
    ['label runs past the end', bytes(5, 0x61, 0x62), 0],
    ['half a pointer', bytes(0xc0), 0],
    ['pointer to itself', bytes(0xc0, 0x00), 0],
    ['forward pointer', bytes(0xc0, 0x02, 0), 0],
    ['pointer loop through labels', bytes(3, 0x61, 0x62, 0x63, 0xc0, 0x00), 0],
    ['label type 0x40 (length 64)', bytes(0x40, ...Buffer.alloc(64, 0x61), 0), 0],
    ['label type 0x80', bytes(0x80, 0), 0],
    ['name of 257 bytes', bytes([label63, label63, label63, label63].join('.')), 0],
    // Pointer i sits at 1 + 2i and points at pointer i - 1 (the first at the root byte).
    [
      'too many pointer jumps',
      Buffer.from([0, ...Array.from({ length: 70 }, (_, i) => [0xc0, Math.max(0, 2 * i - 1)]).flat()]),
      139,
    ],
  ];
  it.each(malformed)('rejects %s', (_label, buf, offset) => {
    expect(() => readName(buf, offset)).toThrow(WireError);
    expect(() => skipName(buf, offset)).toThrow(WireError);
  });
});

describe('nameToLabels', () => {
  it.each([
    ['', []],
    ['com', ['com']],
    ['Web.Default', ['Web', 'Default']],
    ['a\\.b.c', ['a.b', 'c']],
    ['a\\\\b', ['a\\b']],
    ['\\065\\000\\255', ['A\x00\xff']],
    ['\\x', ['x']],
    [label63, [label63]],
  ])('%j', (name, labels) => {
    expect(nameToLabels(name).map((l) => l.toString('latin1'))).toEqual(labels);
  });

  it.each([
    ['.'],
    ['a.'],
    ['.a'],
    ['a..b'],
    ['a\\'],
    ['\\25'],
    ['\\25x'],
    ['\\256'],
    ['é.com'],
    ['\\é'],
    ['a'.repeat(64)],
    [[label63, label63, label63, 'a'.repeat(62)].join('.')],
  ])('rejects %j', (name) => {
    expect(() => nameToLabels(name)).toThrow(WireError);
  });

  it('measures the wire length', () => {
    expect(nameWireLength('')).toBe(1);
    expect(nameWireLength('a\\.b.c')).toBe(7);
    expect(nameWireLength([label63, label63, label63, 'a'.repeat(61)].join('.'))).toBe(255);
  });

  it('round-trips random label bytes through readName and encodeName', () => {
    const random = rng(7);
    const out = Buffer.alloc(255);
    for (let n = 0; n < 2000; n++) {
      const labels: Buffer[] = [];
      let size = 1;
      while (random() < 0.8) {
        const length = 1 + Math.floor(random() * 20);
        if (size + length + 1 > 255) break;
        labels.push(Buffer.from(Array.from({ length }, () => Math.floor(random() * 256))));
        size += length + 1;
      }
      const wire = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
      const { name } = readName(wire, 0);
      expect(nameToLabels(name)).toEqual(labels);
      const length = encodeName(name, out, 0);
      expect(out.subarray(0, length)).toEqual(wire);
    }
  });
});

describe('canonicalName / namesEqual', () => {
  it.each([
    ['WWW.Example.COM', 'www.example.com'],
    ['already.lower', 'already.lower'],
    ['A\\065\\.Z', 'a\\065\\.z'],
    ['', ''],
  ])('%j -> %j', (name, key) => {
    expect(canonicalName(name)).toBe(key);
    expect(namesEqual(name, key)).toBe(true);
  });

  it('distinguishes different names', () => {
    expect(namesEqual('a.b', 'a.c')).toBe(false);
    expect(namesEqual('a.b', 'a.bb')).toBe(false);
    // '[' and '{' differ by the case bit but are not letters.
    expect(namesEqual('[', '{')).toBe(false);
  });
});
