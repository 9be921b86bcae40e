// Stub domains (kube-dns's stubDomains; in a Corefile, a server block such as
// `consul.local:53 { forward . 10.150.0.1 }` beside `.:53`): names under a stub zone are asked of
// that zone's own upstreams instead of the default ones. The most specific zone wins.
import type { Answer, Question } from '../dns/types.js';
import type { QueryContext, Resolver } from './types.js';
import { ZoneList } from '../dns/zones.js';

export interface StubDomain {
  zone: string;
  forwarder: Resolver;
}

export class StubDomainResolver implements Resolver {
  private readonly stubs: { zone: ZoneList; depth: number; forwarder: Resolver }[];

  constructor(stubs: readonly StubDomain[]) {
    this.stubs = stubs
      .map(({ zone, forwarder }) => ({
        zone: new ZoneList([zone]),
        depth: zone.split('.').length,
        forwarder,
      }))
      .sort((a, b) => b.depth - a.depth);
  }

  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined {
    for (const stub of this.stubs) {
      if (stub.zone.holds(question.name)) return stub.forwarder.resolve(question, context);
    }
    return undefined;
  }
}
