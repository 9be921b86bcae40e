// The one interface every link of the resolver chain implements (CoreDNS's "serve, or pass on").
import type { Answer, Question, ResourceRecord } from '../dns/types.js';

export interface QueryContext {
  transport: 'udp' | 'tcp';
  clientAddress: string;
  clientPort: number;
  /** The query's DNSSEC OK bit, passed on to upstreams (and part of the cache key). */
  dnssecOk?: boolean;
}

export interface Resolver {
  /**
   * The answer for `question`, or undefined when the name is not this resolver's to answer and the
   * next link should try. Synchronous when it can be (the hot path), a promise when it must wait.
   */
  resolve(question: Question, context: QueryContext): Answer | Promise<Answer> | undefined;
}

/** What an upstream resolver said about a name, for CNAME targets outside the served zones. */
export interface UpstreamAnswer {
  rcode: number;
  truncated: boolean;
  answers: ResourceRecord[];
}

export interface UpstreamLookup {
  /** Ask upstream; undefined when no upstream answered in time. */
  lookup(name: string, type: number): Promise<UpstreamAnswer | undefined>;
}
