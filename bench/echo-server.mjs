// The ceiling of the benchmark on a machine: a Node UDP socket that sends each query straight back
// with the QR bit set, doing nothing a DNS server must. Run it where clusterdns would run and point
// dnsperf at it with the same flags (see bench/README.md, "The ceiling", and bench/notes/2026-12-05-the-ceiling.md).
// Usage: taskset -c 0 node bench/echo-server.mjs PORT
import { createSocket } from 'node:dgram';
import console from 'node:console';
import process from 'node:process';

const port = Number(process.argv[2] ?? 5300);
// The same pass-through look-up as the server's UDP listener: replies go to IP literals.
const socket = createSocket({
  type: 'udp4',
  lookup: (address, _options, callback) => callback(null, address, 4),
});
socket.on('message', (message, remote) => {
  message[2] |= 0x80;
  socket.send(message, remote.port, remote.address);
});
socket.bind(port, '127.0.0.1', () => console.log(`echoing on 127.0.0.1:${port}`));
