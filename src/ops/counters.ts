// Plain counters of what the server saw and did, read by logs, tests and the metrics.
export interface Counters {
  /** Messages too short to carry a header, or responses sent to us: dropped unanswered. */
  malformedDropped: number;
  /** Messages with a readable header but a bad body: answered FORMERR. */
  malformedAnswered: number;
  /** Queries whose answering threw: answered SERVFAIL. */
  queryErrors: number;
  /** TCP connections closed for idling, oversize or a client that would not read. */
  tcpConnectionsClosed: number;
  /** The same, by why (see TcpCloseReason). */
  tcpClosedBy: Record<TcpCloseReason, number>;
  /** TCP connections open now, over every listener. */
  tcpConnectionsOpen: number;
  /** Queries answered REFUSED because the client is outside --allow-query. */
  queriesRefused: number;
  /** UDP responses not sent, by --rrl. */
  rrlDropped: number;
  /** UDP responses sent truncated instead of dropped, by --rrl-slip. */
  rrlSlipped: number;
}

/**
 * Why the server closed a TCP connection: idle past the timeout; over the connection cap with none
 * idle to make room (`limit`), or the idlest one making room (`evicted`); replies left unread
 * past the output cap (`unread`); a length prefix too short for a DNS message (`framing`).
 */
export type TcpCloseReason = 'idle' | 'limit' | 'evicted' | 'unread' | 'framing';

export function newCounters(): Counters {
  return {
    malformedDropped: 0,
    malformedAnswered: 0,
    queryErrors: 0,
    tcpConnectionsClosed: 0,
    tcpClosedBy: { idle: 0, limit: 0, evicted: 0, unread: 0, framing: 0 },
    tcpConnectionsOpen: 0,
    queriesRefused: 0,
    rrlDropped: 0,
    rrlSlipped: 0,
  };
}
