// Sends N queries to 127.0.0.1:PORT one at a time, each after the answer to the one before, over
// names of the bundled zones; retries a lost one. Exits when all are answered or the deadline passes.
//   node bench/sequential-queries.mjs PORT N [DEADLINE_MS]
import console from 'node:console';
import { createSocket } from 'node:dgram';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import dnsPacket from 'dns-packet';

const [port, count, deadlineMs = 60_000] = process.argv.slice(2).map(Number);
const QUESTIONS = [
  ['web.shop.svc.cluster.local', 'A'],
  ['db.shop.svc.cluster.local', 'A'],
  ['nope.shop.svc.cluster.local', 'A'],
  ['_http._tcp.web.shop.svc.cluster.local', 'SRV'],
];
const socket = createSocket('udp4');
let answered = 0;
const deadline = setTimeout(() => {
  console.error(`only ${answered} of ${count} answered`);
  process.exit(1);
}, deadlineMs);
let retry;
const send = () => {
  const [name, type] = QUESTIONS[answered % QUESTIONS.length];
  socket.send(
    dnsPacket.encode({ type: 'query', id: answered & 0xffff, questions: [{ name, type }] }),
    port,
    '127.0.0.1',
  );
  clearTimeout(retry);
  retry = setTimeout(send, 1000);
};
socket.on('message', () => {
  answered += 1;
  if (answered < count) return send();
  clearTimeout(retry);
  clearTimeout(deadline);
  socket.close();
});
send();
