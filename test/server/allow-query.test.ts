// --allow-query: clients outside it get REFUSED for every name, over UDP and TCP, and are counted;
// clients inside it are answered as ever. Other loopback addresses play the other clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { answerLines, tcpQuery, udpQuery } from '../helpers/dns-client.js';
import { endpointSlice, list, namespace, service } from '../helpers/manifests.js';
import { scrape, valueOf } from '../helpers/prometheus.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SHOP = list(
  namespace('shop'),
  service('shop', 'web', { clusterIPs: ['10.96.10.10'], ports: [{ name: 'http', port: 80 }] }),
  endpointSlice('shop', 'web', [{ ip: '10.244.1.5' }], [{ name: 'http', port: 80 }]),
);
const NAME = 'web.shop.svc.cluster.local';

describe('--allow-query', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ 'shop.yaml': SHOP }, ['--allow-query', '127.0.0.2/32, 127.0.1.0/24']);
  });
  afterAll(() => server.close());

  it('answers clients inside it over UDP and TCP', async () => {
    for (const from of ['127.0.0.2', '127.0.1.9']) {
      expect(answerLines((await udpQuery(server.port, NAME, 'A', { from })).packet)).toEqual([
        `${NAME} A 10.96.10.10`,
      ]);
      expect(answerLines((await tcpQuery(server.port, NAME, 'A', { from })).packet)).toEqual([
        `${NAME} A 10.96.10.10`,
      ]);
    }
  });

  it('refuses everyone else, for names it serves too, and counts them', async () => {
    const before = server.app.counters.queriesRefused;
    const udp = await udpQuery(server.port, NAME, 'A', { from: '127.0.0.3', id: 999 });
    const tcp = await tcpQuery(server.port, NAME, 'A', { from: '127.0.0.1' });
    for (const { packet } of [udp, tcp]) {
      expect(packet.rcode).toBe('REFUSED');
      expect(packet.answers).toEqual([]);
    }
    expect(udp.packet.id).toBe(999);
    expect(server.app.counters.queriesRefused).toBe(before + 2);
    const url = `http://127.0.0.1:${server.app.endpointAddresses().get('metrics')!.port}/metrics`;
    const { series } = await scrape(url);
    expect(valueOf(series, 'clusterdns_queries_refused_total')).toBe(before + 2);
  });
});

describe('--allow-query values', () => {
  const allowQuery = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const command = parseCommandLine(argv, env);
    return command.kind === 'serve' ? command.config.allowQuery : undefined;
  };

  it('is everyone by default, a list from the flag or CLUSTERDNS_ALLOW_QUERY, and names a bad range', () => {
    expect(allowQuery([])).toBeUndefined();
    expect(allowQuery([], { CLUSTERDNS_ALLOW_QUERY: '10.0.0.0/8,fd00::/8' })).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(() => allowQuery(['--allow-query', '10.0.0.300/8'])).toThrow(
      '--allow-query: "10.0.0.300/8": expected an address range such as 10.0.0.0/8 or fd00::/8',
    );
  });
});
