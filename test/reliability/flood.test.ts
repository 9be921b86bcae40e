// A random-subdomain flood through the whole server: 100 000 names `<random>.example.com` that the
// upstream (a real UDP server) denies with NXDOMAIN and an SOA, so each one is a cacheable denial.
// The cache must stay within its entry and byte bounds the whole time, keep the positive answer
// clients use, and every query must get its NXDOMAIN. FLOOD_NAMES=200000 runs a longer flood; the
// default keeps the suite within a minute or so on a loaded 2-core machine.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsLoadClient, runWindowed } from '../../bench/soak/client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startServer, type TestServer } from '../helpers/server.js';

const FLOOD = Number(process.env.FLOOD_NAMES ?? 100_000);
const DENIAL_SIZE = 5000;
// About 3000 denials: the byte bound is the one that bites.
const MAX_BYTES = 1_000_000;

let upstream: FakeUpstream;
let server: TestServer;
let client: DnsLoadClient;

beforeAll(async () => {
  upstream = await startFakeUpstream(
    { 'www.example.com': ['192.0.2.80'] },
    { denyBelow: 'example.com', keepAsked: false },
  );
  server = await startServer({}, [
    '--upstream',
    `127.0.0.1:${upstream.port}`,
    '--cache-denial-size',
    String(DENIAL_SIZE),
    '--cache-max-bytes',
    String(MAX_BYTES),
    '--log-level',
    'warn',
  ]);
  client = await DnsLoadClient.open(server.port);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
  await upstream?.close();
});

describe('a random-subdomain flood', () => {
  it('keeps the cache within its bounds and the answers clients use', async () => {
    const cache = () => server.app.stats().forward!.cache;
    const first = await client.query('www.example.com', 'A');
    expect(first.reply?.answers.map((a) => a.data)).toEqual(['192.0.2.80']);

    let nxdomain = 0;
    let other = 0;
    let maxDenials = 0;
    let maxBytes = 0;
    const lost = await runWindowed(
      client,
      FLOOD,
      64,
      () => [`${randomBytes(8).toString('hex')}.example.com`, 'A'],
      (exchange) => {
        if (exchange.reply?.rcode === 'NXDOMAIN') nxdomain++;
        else if (exchange.reply) other++;
        const stats = cache();
        maxDenials = Math.max(maxDenials, stats.entriesByKind.denial);
        maxBytes = Math.max(maxBytes, stats.bytesByKind.denial);
      },
    );
    const stats = cache();
    console.log(
      `flood: ${FLOOD} names, ${nxdomain} NXDOMAIN, ${lost} lost; denial store at most ` +
        `${maxDenials} entries and ${maxBytes} bytes; ${stats.evictions} evictions`,
    );
    // Loopback does not lose datagrams unless a socket buffer overflows on a loaded machine.
    expect(lost).toBeLessThan(FLOOD / 1000);
    expect(other).toBe(0);
    expect(nxdomain).toBe(FLOOD - lost);
    expect(maxDenials).toBeLessThanOrEqual(DENIAL_SIZE);
    expect(maxBytes).toBeLessThanOrEqual(MAX_BYTES);
    // Full: the bound, not the flood's end, is what stopped it growing.
    expect(maxDenials + stats.evictions).toBeGreaterThanOrEqual(nxdomain);
    expect(stats.entriesByKind.success).toBe(1);

    // The answer in use is still served from the cache, without asking the upstream.
    const asked = upstream.received;
    const again = await client.query('www.example.com', 'A');
    expect(again.reply?.answers.map((a) => a.data)).toEqual(['192.0.2.80']);
    expect(upstream.received).toBe(asked);
  }, 300_000);
});
