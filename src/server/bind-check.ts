// Before start-up waits on anything (a registry's first sync, workers booting: about a second
// each on a busy node), each DNS address is bound once and let go at once, so a port in use or one
// that needs privilege is told straight away, with the message a listener gives. With --workers
// the primary binds no DNS socket of its own: without this, every worker would boot only to find it.
import type { Logger } from 'pino';
import { formatHostPort, type HostPort } from '../config/address.js';
import { newCounters } from '../ops/counters.js';
import type { QueryHandler } from './handler.js';
import { startListenerPair } from './listener-pair.js';
import { DEFAULT_TCP_LIMITS, TcpListener } from './tcp.js';
import { UdpListener } from './udp.js';

/** Nothing is answered in the moment the sockets are held: a query then goes unanswered, as before start. */
const NO_ANSWERS: Pick<QueryHandler, 'handle'> = { handle: () => undefined };

/** Throws the listener's own error (listenError) for the first address that cannot be bound. */
export async function checkBindable(addresses: HostPort[], logger: Logger): Promise<void> {
  const counters = newCounters();
  const seen = new Set<string>();
  for (const address of addresses) {
    // Port 0 takes any free port: nothing to check.
    if (address.port === 0 || seen.has(formatHostPort(address))) continue;
    seen.add(formatHostPort(address));
    const { udp, tcp } = await startListenerPair(
      address.port,
      (port) => new UdpListener({ ...address, port }, NO_ANSWERS, logger, counters),
      (port) => new TcpListener({ ...address, port }, NO_ANSWERS, logger, counters, DEFAULT_TCP_LIMITS),
    );
    await Promise.all([udp.close(), tcp.close()]);
  }
}
