// Plain counters of what the server saw and did, read by logs and tests (and by metrics later).
export interface Counters {
  /** Messages too short to carry a header, or responses sent to us: dropped unanswered. */
  malformedDropped: number;
  /** Messages with a readable header but a bad body: answered FORMERR. */
  malformedAnswered: number;
  /** Queries whose answering threw: answered SERVFAIL. */
  queryErrors: number;
  /** TCP connections closed for idling, oversize or a client that would not read. */
  tcpConnectionsClosed: number;
  /** UDP responses not sent, by --rrl. */
  rrlDropped: number;
  /** UDP responses sent truncated instead of dropped, by --rrl-slip. */
  rrlSlipped: number;
}

export function newCounters(): Counters {
  return {
    malformedDropped: 0,
    malformedAnswered: 0,
    queryErrors: 0,
    tcpConnectionsClosed: 0,
    rrlDropped: 0,
    rrlSlipped: 0,
  };
}
