// Which server block a query goes to on a port with several: the longest zone holding its name,
// letters compared without case, the root block for the rest and for what cannot be read.
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { BlockDispatch } from '../../src/server/dispatch.js';

const context = { transport: 'udp', clientAddress: '127.0.0.1', clientPort: 5353 } as const;
const block = (name: string) => ({ handle: () => Buffer.from(name) });
const query = (name: string) =>
  dnsPacket.encode({ type: 'query', id: 1, flags: 0, questions: [{ name, type: 'A' }] });

describe('server block dispatch', () => {
  const dispatch = new BlockDispatch(
    [
      { zones: ['cluster.local'], handler: block('kubernetes') },
      { zones: ['example.org', 'svc.cluster.local.example.org'], handler: block('stub') },
      { zones: ['shop.svc.cluster.local'], handler: block('shop') },
      { zones: ['.'], handler: block('root') },
    ],
    block('fallback'),
  );
  const chosen = (message: Buffer) => String(dispatch.handle(message, context));

  it.each([
    ['web.shop.svc.cluster.local', 'shop'],
    ['shop.svc.cluster.local', 'shop'],
    ['WEB.Shop.SVC.Cluster.Local', 'shop'],
    ['web.other.svc.cluster.local', 'kubernetes'],
    ['cluster.local', 'kubernetes'],
    // Not a label boundary: xcluster.local is not under cluster.local.
    ['xcluster.local', 'root'],
    ['www.example.org', 'stub'],
    ['web.svc.cluster.local.example.org', 'stub'],
    ['www.example.com', 'root'],
    ['.', 'root'],
  ])('%s goes to the %s block', (name, expected) => {
    expect(chosen(query(name))).toBe(expected);
  });

  it('gives what cannot be read to the root block, which answers FORMERR or drops it', () => {
    const compressed = Buffer.from(query('www.example.org'));
    compressed[12] = 0xc0;
    expect(chosen(compressed)).toBe('root');
    expect(chosen(query('www.example.org').subarray(0, 16))).toBe('root');
    expect(chosen(Buffer.alloc(5))).toBe('root');
  });

  it('gives names no zone holds to the fallback when no block is for the root', () => {
    const noRoot = new BlockDispatch(
      [{ zones: ['cluster.local'], handler: block('kubernetes') }],
      block('primary'),
    );
    expect(String(noRoot.handle(query('www.example.com'), context))).toBe('primary');
    expect(String(noRoot.handle(query('a.cluster.local'), context))).toBe('kubernetes');
  });
});
