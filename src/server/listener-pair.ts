// The UDP and TCP listeners of one address, on one port number.
import type { AddressInfo } from 'node:net';
import { formatHostPort, type HostPort } from '../config/address.js';
import { bindProblem } from '../ops/start-failure.js';
import type { TcpListener } from './tcp.js';
import type { UdpListener } from './udp.js';

/** A bind failure as an operator reads it: the flag and address, the transport, the fix; the code kept. */
export function listenError(error: unknown, address: HostPort, transport: 'UDP' | 'TCP'): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = bindProblem(code, '--listen', address.port) ?? (error as Error).message;
  const wrapped = new Error(`--listen ${formatHostPort(address)} (${transport}): ${reason}`, {
    cause: error,
  });
  return Object.assign(wrapped, { code });
}

/** How many ports a pair tries before giving up, when asked for any free one. */
const ATTEMPTS = 10;

/**
 * Starts a UDP listener from `udpOn(port)` and a TCP one from `tcpOn` on the port UDP got. Port 0
 * asks for any free port: TCP then takes the number UDP got, which a TCP socket may already hold
 * (a client's local port); then both start over on another, a few times.
 */
export async function startListenerPair(
  port: number,
  udpOn: (port: number) => UdpListener,
  tcpOn: (port: number) => TcpListener,
): Promise<{ udp: UdpListener; udpAddress: AddressInfo; tcp: TcpListener; tcpAddress: AddressInfo }> {
  for (let attempt = 1; ; attempt++) {
    const udp = udpOn(port);
    const udpAddress = await udp.start();
    const tcp = tcpOn(udpAddress.port);
    try {
      const tcpAddress = await tcp.start();
      return { udp, udpAddress, tcp, tcpAddress };
    } catch (error) {
      await udp.close();
      const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (port !== 0 || !taken || attempt >= ATTEMPTS) throw error;
    }
  }
}
