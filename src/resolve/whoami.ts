// Every question answered with who asked, as CoreDNS's whoami plugin does (plugin/whoami): no
// answer records, and in the additional section the client's address (A or AAAA, owned by the
// question's name) and an SRV record `_udp.<name>` or `_tcp.<name>` holding its port; TTL 0.
import { isIP } from 'node:net';
import { Rcode, type Answer, type Question } from '../dns/types.js';
import type { QueryContext, Resolver } from './types.js';

export class WhoamiResolver implements Resolver {
  resolve(question: Question, context: QueryContext): Answer {
    // A client on a dual-stack socket shows as ::ffff:a.b.c.d: it asked over IPv4.
    const address = context.clientAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const name = question.name;
    const srvName = name === '' || name === '.' ? `_${context.transport}` : `_${context.transport}.${name}`;
    return {
      rcode: Rcode.NOERROR,
      authoritative: true,
      answers: [],
      authority: [],
      additional: [
        {
          name,
          ttl: 0,
          data: isIP(address) === 6 ? { type: 'AAAA', address } : { type: 'A', address },
        },
        {
          name: srvName,
          ttl: 0,
          data: { type: 'SRV', priority: 0, weight: 0, port: context.clientPort, target: '' },
        },
      ],
    };
  }
}
