// How large a reply may be, by transport and the client's EDNS payload size.

/** Our EDNS payload size: the DNS Flag Day 2020 value, which avoids IP fragmentation. */
export const ADVERTISED_UDP_SIZE = 1232;
/** RFC 1035 §4.2.1: without EDNS a UDP reply is at most 512 bytes; EDNS may not ask for less. */
export const MIN_UDP_SIZE = 512;
export const MAX_TCP_MESSAGE = 65535;

/** The largest reply a client takes over `transport`, given its OPT payload size (0: no OPT). */
export function replyLimit(transport: 'udp' | 'tcp', udpSize: number): number {
  if (transport === 'tcp') return MAX_TCP_MESSAGE;
  return udpSize > MIN_UDP_SIZE ? udpSize : MIN_UDP_SIZE;
}
