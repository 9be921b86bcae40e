// How to reach etcd, shared by the backend and `clusterdns register`: endpoints, TLS files, and
// a user whose password is read from a file (never from the command line, never logged).

import { readFile } from 'node:fs/promises';
import type { Etcd3, IOptions } from 'etcd3';
import type { EtcdConnectionConfig } from '../../config/options/etcd.js';
import { backoffDelay } from '../kubernetes/backoff.js';

/**
 * The largest etcd response read: a range read of the whole prefix is one message, so this bounds
 * the table etcd can hand over at once (about 300 000 SkyDNS keys), and what a hostile or broken
 * registry can make the server take in. gRPC's own default is 4 MiB (about 20 000 keys); etcd's
 * server sends up to 2 GiB. A bigger response fails the read, which is retried with backoff while
 * the last good view serves.
 */
export const ETCD_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** Endpoints and how we authenticate, for a start-up log line: no secrets. */
export function describeConnection(config: EtcdConnectionConfig): Record<string, unknown> {
  return {
    endpoints: config.endpoints,
    tls: config.endpoints.some((e) => e.startsWith('https:')),
    ...(config.certFile ? { clientCert: config.certFile } : {}),
    ...(config.username ? { username: config.username } : {}),
  };
}

/**
 * A client for `config`; reads the TLS and password files now, so a missing one fails at start.
 * The client library (gRPC, protobuf definitions) is loaded here, only when etcd is configured:
 * importing it costs about 17 MB of memory.
 */
export async function connectEtcd(config: EtcdConnectionConfig): Promise<Etcd3> {
  const { Etcd3 } = await import('etcd3');
  const options: IOptions = {
    hosts: config.endpoints,
    dialTimeout: 3000,
    // gRPC's own reconnect backoff grows to 2 minutes; a DNS server wants its registry back sooner.
    grpcOptions: {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5000,
      'grpc.max_receive_message_length': config.maxResponseBytes ?? ETCD_MAX_RESPONSE_BYTES,
    },
    faultHandling: {
      watchBackoff: watchBackoff(1),
      ...(config.endpoints.length === 1 ? { host: () => passThrough } : {}),
    },
    // A request to an etcd that went silent (not refused) would otherwise wait forever, and with
    // it a retry or a shutdown. Streams (watch, lease keep-alive) are long-lived by design.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 10_000 }),
  };
  // https:// endpoints without these files verify the server against the system's roots.
  if (config.caFile || config.certFile) {
    options.credentials = {
      // etcd3's typing wants a CA, but gRPC falls back to the system's roots without one.
      rootCertificate: (config.caFile
        ? await readSetting(config.caFile, '--etcd-ca-file')
        : undefined) as Buffer,
      ...(config.certFile ? { certChain: await readSetting(config.certFile, '--etcd-cert-file') } : {}),
      ...(config.keyFile ? { privateKey: await readSetting(config.keyFile, '--etcd-key-file') } : {}),
    };
  }
  if (config.username !== undefined && config.passwordFile !== undefined) {
    const password = (await readSetting(config.passwordFile, '--etcd-password-file')).toString('utf8');
    options.auth = { username: config.username, password: password.replace(/\r?\n$/, '') };
  }
  return new Etcd3(options);
}

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/**
 * Every call goes to the endpoint. etcd3's default per-endpoint circuit breaker refuses all calls
 * for 5 s after three failures, so that a client turns to another member; with a single endpoint
 * there is none to turn to, and it only hid etcd's return for up to 5 s on top of the callers' own
 * backoff (the backend's reads, the watch, `register`'s attempts, which pace themselves).
 */
const passThrough = {
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as HostPolicy;

/** Watch reconnects: 200 ms doubling to 5 s, jittered; the library's default climbs to 30 s. */
function watchBackoff(attempt: number): { duration: number; next(): ReturnType<typeof watchBackoff> } {
  return {
    duration: backoffDelay(attempt, { initialMs: 200, maxMs: 5000 }),
    next: () => watchBackoff(attempt + 1),
  };
}

async function readSetting(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`${what}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
