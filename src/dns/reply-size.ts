// How large a reply may be, by transport and the client's EDNS payload size.

/**
 * Our EDNS payload size unless `bufsize` says otherwise: the DNS Flag Day 2020 value, which avoids
 * IP fragmentation (and CoreDNS's bufsize default).
 */
export const ADVERTISED_UDP_SIZE = 1232;
/** The range `bufsize` takes, as CoreDNS's bufsize plugin accepts it (https://coredns.io/plugins/bufsize/). */
export const BUFSIZE_RANGE = { min: 512, max: 4096 };
/** RFC 1035 §4.2.1: without EDNS a UDP reply is at most 512 bytes; EDNS may not ask for less. */
export const MIN_UDP_SIZE = 512;
export const MAX_TCP_MESSAGE = 65535;

/**
 * The largest reply for a client over `transport`, given its OPT payload size (0: no OPT). Over UDP
 * never more than our own size `ours` either, whatever the client claims: a bigger reply would
 * fragment, and make the server a better amplifier (RFC 6891 §6.2.5, DNS Flag Day 2020). This is
 * what CoreDNS's bufsize does: a client's larger size is cut down to it.
 */
export function replyLimit(
  transport: 'udp' | 'tcp',
  udpSize: number,
  ours: number = ADVERTISED_UDP_SIZE,
): number {
  if (transport === 'tcp') return MAX_TCP_MESSAGE;
  if (udpSize <= MIN_UDP_SIZE) return MIN_UDP_SIZE;
  return udpSize < ours ? udpSize : ours;
}
