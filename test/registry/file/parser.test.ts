// The parse worker's bounds: a parse that runs past its deadline or past its heap is rejected
// with a problem that says so, and the next file gets a fresh worker.
import { afterEach, describe, expect, it } from 'vitest';
import { ZoneParser } from '../../../src/registry/file/parser.js';
import { largeZoneYaml } from './large-zone.js';

const SHOP = 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.45.10 }\n';
const bytes = (text: string) => new TextEncoder().encode(text);

let parser: ZoneParser | undefined;
afterEach(async () => {
  await parser?.close();
  parser = undefined;
});

describe('ZoneParser', () => {
  it.each([
    {
      title: 'too long',
      limits: { timeoutMs: (size: number) => (size > 100_000 ? 50 : 10_000), heapMb: 256 },
      problem: /^parsing took longer than 0\.05 s; the file is too large or too complex$/,
    },
    {
      title: 'too much memory',
      limits: { timeoutMs: () => 60_000, heapMb: 16 },
      problem: /^parsing needed more than the 16 MB it may use; the file is too large or too complex$/,
    },
  ])('rejects a parse that takes $title, then parses the next file', async ({ limits, problem }) => {
    parser = new ZoneParser(limits);
    const large = await parser.parse(bytes(largeZoneYaml(2000)));
    expect(large.objects).toEqual([]);
    expect(large.problems).toEqual([{ object: 'file', problem: expect.stringMatching(problem) }]);
    // The same parser, with a fresh worker: a small file fits any of these bounds.
    const next = await parser.parse(bytes(SHOP));
    expect(next.problems).toEqual([]);
    expect(next.objects.map((o) => o.kind)).toEqual(['Namespace', 'Service']);
  });

  it('hands back every object of a file larger than one chunk', async () => {
    parser = new ZoneParser({ timeoutMs: () => 60_000, heapMb: 256 });
    const result = await parser.parse(bytes(largeZoneYaml(1234)));
    expect(result.problems).toEqual([]);
    expect(result.objects.filter((o) => o.kind === 'Service')).toHaveLength(1234);
  });

  it('reports a file that is not UTF-8', async () => {
    parser = new ZoneParser({ timeoutMs: () => 10_000, heapMb: 64 });
    const result = await parser.parse(new Uint8Array([0x6e, 0x61, 0xff, 0xfe, 0x0a]));
    expect(result.problems).toEqual([{ object: 'file', problem: 'not UTF-8 text' }]);
  });
});
