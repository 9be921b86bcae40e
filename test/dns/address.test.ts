import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6, writeIPv4, writeIPv6 } from '../../src/dns/address.js';
import { WireError } from '../../src/dns/errors.js';

function v6(text: string): string {
  const out = Buffer.alloc(16);
  writeIPv6(text, out, 0);
  return out.toString('hex');
}

describe('IPv4', () => {
  it.each([
    ['10.0.0.1', '0a000001'],
    ['255.255.255.255', 'ffffffff'],
    ['0.0.0.0', '00000000'],
  ])('%s', (text, hex) => {
    const out = Buffer.alloc(4);
    writeIPv4(text, out, 0);
    expect(out.toString('hex')).toBe(hex);
    expect(formatIPv4(out, 0)).toBe(text);
  });

  it.each(['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', '1.2.3.4.', 'a.b.c.d', '1.2.3.0004', ' 1.2.3.4'])(
    'rejects %j',
    (text) => {
      expect(() => writeIPv4(text, Buffer.alloc(4), 0)).toThrow(WireError);
    },
  );
});

describe('IPv6', () => {
  it.each([
    ['::', '00000000000000000000000000000000', '::'],
    ['::1', '00000000000000000000000000000001', '::1'],
    ['1::', '00010000000000000000000000000000', '1::'],
    ['fd00::1', 'fd000000000000000000000000000001', 'fd00::1'],
    ['FD00:0:0:0:0:0:0:1', 'fd000000000000000000000000000001', 'fd00::1'],
    ['2001:db8:0:1:0:0:0:1', '20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['2001:db8::1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['1:0:2:3:4:5:6:7', '00010000000200030004000500060007', '1:0:2:3:4:5:6:7'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
  ])('%s', (text, hex, formatted) => {
    expect(v6(text)).toBe(hex);
    expect(formatIPv6(Buffer.from(hex, 'hex'), 0)).toBe(formatted);
  });

  it.each([
    '',
    ':',
    ':1',
    '1:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'g::',
    '1:2:3:4:5:6:7:8::',
    '1.2.3.4',
    '::1.2.3',
    'fe80::1%eth0',
  ])('rejects %j', (text) => {
    expect(() => v6(text)).toThrow(WireError);
  });
});
