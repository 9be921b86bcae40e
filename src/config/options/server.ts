// The server itself: where it listens, how big a UDP reply may be, TCP connections, worker
// processes, and response rate limiting.
import { ADVERTISED_UDP_SIZE, BUFSIZE_RANGE } from '../../dns/reply-size.js';
import { parseHostPort, type HostPort } from '../address.js';
import { usableCpus } from '../cpus.js';
import type { OptionSpec, Reading } from './reading.js';

/** Listed before the zone options, as --help has always shown them. */
export const LISTEN_OPTIONS = {
  listen: {
    defaultValue: ['127.0.0.1:1053'],
    type: 'string',
    multiple: true,
    metavar: 'HOST:PORT',
    help: 'address to answer on over UDP and TCP, IPv6 as [::1]:1053; repeatable',
  },
} satisfies Record<string, OptionSpec>;

export const SERVER_OPTIONS = {
  bufsize: {
    defaultValue: String(ADVERTISED_UDP_SIZE),
    type: 'string',
    metavar: 'SIZE',
    help: `EDNS UDP payload size advertised, and the largest UDP reply to an EDNS client, ${BUFSIZE_RANGE.min}-${BUFSIZE_RANGE.max} (default ${ADVERTISED_UDP_SIZE})`,
  },
  'tcp-idle-timeout': {
    defaultValue: '10',
    type: 'string',
    metavar: 'SECONDS',
    help: 'close idle TCP connections after this (default 10)',
  },
  workers: {
    type: 'string',
    metavar: 'N',
    help: 'answer in N processes that share the listeners, fed one service table by a primary that holds the registries; 0 or 1 answers in one process (default: the CPUs this process may use, capped by its cgroup CPU quota)',
  },
  'tcp-max-connections': {
    defaultValue: '1000',
    type: 'string',
    metavar: 'N',
    help: 'TCP connections open at most; at the cap the idlest one is closed to make room (default 1000)',
  },
  rrl: {
    type: 'string',
    metavar: 'RATE',
    help: 'response rate limiting: UDP responses a second per client /24 (IPv4) or /56 (IPv6); beyond it dropped or slipped (default off)',
  },
  'rrl-slip': {
    defaultValue: '2',
    type: 'string',
    metavar: 'N',
    help: 'with --rrl, every Nth limited response is sent truncated (TC) so a real client retries over TCP; 0 drops all (default 2)',
  },
  'rrl-window': {
    defaultValue: '15',
    type: 'string',
    metavar: 'SECONDS',
    help: 'with --rrl, a client network that flooded stays limited for up to this long (default 15)',
  },
  'rrl-max-clients': {
    defaultValue: '20000',
    type: 'string',
    metavar: 'N',
    help: 'with --rrl, client networks tracked at most; beyond it the least recently seen is forgotten (default 20000)',
  },
} satisfies Record<string, OptionSpec>;

export interface ServerConfig {
  listen: HostPort[];
  /** Our EDNS payload size: advertised, and the most a UDP reply to an EDNS client holds. */
  bufsize: number;
  /** Seconds a TCP connection may stay idle. */
  tcpIdleTimeout: number;
  /** Processes answering queries; 0 or 1 answers in this process (see workers/). */
  workers: number;
  /** TCP connections open at once, over each listening address. */
  tcpMaxConnections: number;
  /** UDP response rate limiting; undefined when off. */
  rrl?: { rate: number; slip: number; window: number; maxClients: number };
}

export function serverConfig(
  reading: Reading<keyof typeof LISTEN_OPTIONS | keyof typeof SERVER_OPTIONS>,
): ServerConfig {
  const { number } = reading;
  return {
    listen: reading.list('listen')!.map((value) => reading.checked('listen', parseHostPort, value)),
    bufsize: number('bufsize', BUFSIZE_RANGE.min, BUFSIZE_RANGE.max),
    tcpIdleTimeout: number('tcp-idle-timeout', 1, 3600),
    workers: reading.read('workers') === undefined ? usableCpus() : number('workers', 0, 256),
    tcpMaxConnections: number('tcp-max-connections', 1, 1_000_000),
    ...(reading.text('rrl') !== undefined && {
      rrl: {
        rate: number('rrl', 1, 1_000_000),
        slip: number('rrl-slip', 0, 10),
        window: number('rrl-window', 1, 3600),
        maxClients: number('rrl-max-clients', 1, 10_000_000),
      },
    }),
  };
}
