// Standard answers for local names, as CoreDNS's local plugin gives them (plugin/local/local.go):
// localhost. and the loopback reverse zones 0, 127 and 255.in-addr.arpa. answer from here, never
// forwarded; a name below localhost. (RFC 6761 §6.3), and `localhost.<domain>` unless turned off,
// answers the loopback addresses. Not authoritative, TTL a week, as CoreDNS writes them.
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../dns/types.js';
import type { Resolver } from './types.js';

const TTL = 604800;
const ZONES = ['localhost', '0.in-addr.arpa', '127.in-addr.arpa', '255.in-addr.arpa'];

export class LocalResolver implements Resolver {
  constructor(private readonly localhostPrefix = true) {}

  resolve(question: Question): Answer | undefined {
    if (question.class !== RRClass.IN) return undefined;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    if (name.endsWith('.localhost') || (this.localhostPrefix && name.startsWith('localhost.'))) {
      return loopback(question);
    }
    const zone = ZONES.find((each) => name === each || name.endsWith(`.${each}`));
    if (zone === undefined) return undefined;
    const asked = question.name;
    // The zone as the client wrote it: the SOA's owner keeps the client's case.
    const origin = asked.slice(asked.length - zone.length - (asked.endsWith('.') ? 1 : 0));
    if (name === zone) {
      switch (question.type) {
        case RRType.A:
        case RRType.AAAA:
          return name === 'localhost' ? loopback(question) : reply([], [soa(asked)]);
        case RRType.SOA:
          return reply([soa(asked)], []);
        case RRType.NS:
          return reply([{ name: asked, ttl: TTL, data: { type: 'NS', target: 'localhost' } }], []);
        default:
          return reply([], [soa(asked)]);
      }
    }
    if (name === '1.0.0.127.in-addr.arpa') {
      return question.type === RRType.PTR
        ? reply([{ name: asked, ttl: TTL, data: { type: 'PTR', target: 'localhost' } }], [])
        : reply([], [soa(origin)]);
    }
    return reply([], [soa(origin)], Rcode.NXDOMAIN);
  }
}

function loopback(question: Question): Answer {
  if (question.type === RRType.A)
    return reply([{ name: question.name, ttl: TTL, data: { type: 'A', address: '127.0.0.1' } }], []);
  if (question.type === RRType.AAAA)
    return reply([{ name: question.name, ttl: TTL, data: { type: 'AAAA', address: '::1' } }], []);
  return reply([], [soa(question.name)]);
}

function soa(origin: string): ResourceRecord {
  return {
    name: origin,
    ttl: TTL,
    data: {
      type: 'SOA',
      mname: 'localhost',
      rname: 'root.localhost',
      serial: 1,
      refresh: 0,
      retry: 0,
      expire: 0,
      minimum: TTL,
    },
  };
}

function reply(
  answers: ResourceRecord[],
  authority: ResourceRecord[],
  rcode: number = Rcode.NOERROR,
): Answer {
  return { rcode, authoritative: false, answers, authority, additional: [] };
}
