// CoreDNS's local and whoami plugins as chain links: local's cases from plugin/local/local_test.go,
// and whoami's answer for each client family and transport.
import { describe, expect, it } from 'vitest';
import { RRClass, RRType, Rcode, type Answer, type Question } from '../../src/dns/types.js';
import { LocalResolver } from '../../src/resolve/local.js';
import { WhoamiResolver } from '../../src/resolve/whoami.js';

const q = (name: string, type: number): Question => ({ name, type, class: RRClass.IN });
const summary = (answer: Answer | undefined) =>
  answer === undefined
    ? 'next'
    : [
        Object.entries(Rcode).find(([, code]) => code === answer.rcode)![0],
        ...answer.answers.map(
          (r) =>
            `${r.name} ${r.data.type} ${'address' in r.data ? r.data.address : 'target' in r.data ? r.data.target : ''}`,
        ),
        ...answer.authority.map((r) => `auth ${r.name} ${r.data.type}`),
      ].join(' | ');

describe('local', () => {
  const local = new LocalResolver();
  it.each([
    ['localhost', RRType.A, 'NOERROR | localhost A 127.0.0.1'],
    ['LocalHost', RRType.AAAA, 'NOERROR | LocalHost AAAA ::1'],
    ['localhost', RRType.SOA, 'NOERROR | localhost SOA '],
    ['localhost', RRType.NS, 'NOERROR | localhost NS localhost'],
    ['localhost', RRType.MX, 'NOERROR | auth localhost SOA'],
    ['127.in-addr.arpa', RRType.A, 'NOERROR | auth 127.in-addr.arpa SOA'],
    ['1.0.0.127.in-addr.arpa', RRType.PTR, 'NOERROR | 1.0.0.127.in-addr.arpa PTR localhost'],
    ['1.0.0.127.in-addr.arpa', RRType.A, 'NOERROR | auth 127.in-addr.arpa SOA'],
    ['2.0.0.127.in-addr.arpa', RRType.PTR, 'NXDOMAIN | auth 127.in-addr.arpa SOA'],
    ['0.0.0.0.in-addr.arpa', RRType.PTR, 'NXDOMAIN | auth 0.in-addr.arpa SOA'],
    // RFC 6761 §6.3: names below localhost. are loopback too; and the legacy localhost.<domain>.
    ['app.localhost', RRType.A, 'NOERROR | app.localhost A 127.0.0.1'],
    ['localhost.example.com', RRType.AAAA, 'NOERROR | localhost.example.com AAAA ::1'],
    ['localhost.example.com', RRType.TXT, 'NOERROR | auth localhost.example.com SOA'],
    ['example.com', RRType.A, 'next'],
    ['10.in-addr.arpa', RRType.PTR, 'next'],
  ])('%s type %i: %s', (name, type, expected) => {
    expect(summary(local.resolve(q(name, type)))).toBe(expected);
  });

  it('never answers a class other than IN', () => {
    expect(local.resolve({ name: 'localhost', type: RRType.A, class: RRClass.CH })).toBeUndefined();
  });
});

describe('whoami', () => {
  const whoami = new WhoamiResolver();
  it.each([
    ['127.0.0.1', 'udp', 'A 127.0.0.1', '_udp.example.org'],
    ['::ffff:127.0.0.2', 'udp', 'A 127.0.0.2', '_udp.example.org'],
    ['::1', 'tcp', 'AAAA ::1', '_tcp.example.org'],
  ] as const)('a client at %s over %s', (clientAddress, transport, address, srvName) => {
    const answer = whoami.resolve(q('example.org', RRType.A), {
      clientAddress,
      clientPort: 40212,
      transport,
    });
    expect(answer.answers).toEqual([]);
    const [who, srv] = answer.additional;
    expect(`${who!.data.type} ${'address' in who!.data ? who!.data.address : ''}`).toBe(address);
    expect(who!.name).toBe('example.org');
    expect(srv).toMatchObject({ name: srvName, ttl: 0, data: { type: 'SRV', port: 40212, target: '' } });
  });

  it('names the SRV record _udp for the root', () => {
    const answer = whoami.resolve(q('', RRType.NS), {
      clientAddress: '127.0.0.1',
      clientPort: 5,
      transport: 'udp',
    });
    expect(answer.additional[1]!.name).toBe('_udp');
  });
});
