// One query over UDP. Each goes out from a fresh, unconnected socket on a port the OS picks at
// random (RFC 5452 §9.2), so a reply must match the server's address and port as well as the ID
// and question; anything else is dropped and counted while waiting goes on until the deadline
// (RFC 5452 §9.1). The socket is left unconnected on purpose: a connected one would have the
// kernel drop replies from other sources silently, and those are what we count.
import { createSocket } from 'node:dgram';
import type { HostPort } from '../../config/address.js';
import type { Question } from '../../dns/types.js';
import type { Attempt } from './attempt.js';
import { isServerAddress, matchReply } from './query.js';

export function udpAttempt(
  server: HostPort,
  query: Buffer,
  id: number,
  question: Question,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let dropped = 0;
    let done = false;
    const finish = (attempt: Attempt): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('message');
      try {
        socket.close();
      } catch {
        // Already closed after an error.
      }
      resolve(attempt);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', dropped }), timeoutMs);
    socket.on('error', (error) => finish({ kind: 'network', error, dropped }));
    socket.on('message', (message, from) => {
      const reply =
        from.port === server.port && isServerAddress(from.address, server)
          ? matchReply(message, id, question)
          : undefined;
      if (reply) finish({ kind: 'reply', reply, dropped });
      else dropped++;
    });
    try {
      socket.send(query, server.port, server.host, (error) => {
        if (error) finish({ kind: 'network', error, dropped });
      });
    } catch (error) {
      // Arguments the socket rejects outright, such as port 0.
      finish({ kind: 'network', error: error as Error, dropped });
    }
  });
}
