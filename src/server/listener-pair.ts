// The UDP and TCP listeners of one address, on one port number.
import type { AddressInfo } from 'node:net';
import type { TcpListener } from './tcp.js';
import type { UdpListener } from './udp.js';

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
