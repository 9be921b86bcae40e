// One query over TCP, for a reply that came back truncated over UDP (RFC 1035 §4.2.2, RFC 7766
// §5). Messages are framed by a two-byte length (RFC 7766 §8). The connection is ours alone, so the
// source is the server; a frame with another ID or question is still dropped and counted.
import { connect } from 'node:net';
import type { HostPort } from '../../config/address.js';
import type { Question } from '../../dns/types.js';
import type { Attempt } from './attempt.js';
import { matchReply } from './query.js';

export function tcpAttempt(
  server: HostPort,
  query: Buffer,
  id: number,
  question: Question,
  timeoutMs: number,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let dropped = 0;
    let done = false;
    let pending: Buffer = Buffer.alloc(0);
    const socket = connect({ host: server.host, port: server.port, family: server.family });
    const finish = (attempt: Attempt): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(attempt);
    };
    // One deadline for connecting, sending and reading: the client is waiting.
    const timer = setTimeout(() => finish({ kind: 'timeout', dropped }), timeoutMs);
    socket.setNoDelay(true);
    socket.on('error', (error) => finish({ kind: 'network', error, dropped }));
    socket.on('close', () =>
      finish({
        kind: 'network',
        error: new Error(`${server.host} port ${server.port} closed the TCP connection before replying`),
        dropped,
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const size = pending.readUInt16BE(0);
        if (pending.length < 2 + size) break;
        const frame = pending.subarray(2, 2 + size);
        pending = pending.subarray(2 + size);
        const reply = matchReply(frame, id, question);
        if (reply) return finish({ kind: 'reply', reply, dropped });
        dropped++;
      }
    });
    const framed = Buffer.alloc(2 + query.length);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, 2);
    socket.write(framed);
  });
}
