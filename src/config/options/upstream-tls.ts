// Upstreams as forward writes them (`[dns://|tls://]IP[:PORT]`) and the settings of the tls:// ones:
// the server name their certificates are checked against, the CA bundle, a client certificate, and
// how long an idle connection stays open. As CoreDNS's forward and plugin/pkg/tls read them
// (https://coredns.io/plugins/forward/): a tls:// upstream without a port is on 853 (RFC 7858 §3.1),
// and dns:// and tls:// upstreams may be mixed in one forward.
import { parseHostPort, type HostPort } from '../address.js';
import type { Reading } from './reading.js';
import { dotContext, type UpstreamTls } from '../tls-context.js';

/** An upstream server; `tls` when it is asked over DNS over TLS (RFC 7858). */
export type Upstream = HostPort & { tls?: true };

/** RFC 7858 §3.1. */
export const DOT_PORT = 853;
const DNS_PORT = 53;

export const UPSTREAM_TLS_OPTIONS = {
  'upstream-tls-servername': {
    type: 'string',
    metavar: 'NAME',
    help: "the name tls:// upstreams' certificates must carry, also sent as SNI (default: the upstream's IP)",
  },
  'upstream-tls-ca': {
    type: 'string',
    metavar: 'FILE',
    help: 'PEM CA bundle tls:// upstreams are verified against (default: the system roots)',
  },
  'upstream-tls-cert': {
    type: 'string',
    metavar: 'FILE',
    help: 'PEM client certificate shown to tls:// upstreams (with --upstream-tls-key)',
  },
  'upstream-tls-key': { type: 'string', metavar: 'FILE', help: 'PEM private key of --upstream-tls-cert' },
  'upstream-expire': {
    defaultValue: '10s',
    type: 'string',
    metavar: 'DURATION',
    help: 'an idle connection to a tls:// upstream is closed after this long (default 10s)',
  },
} as const;

type TlsOptionName = keyof typeof UPSTREAM_TLS_OPTIONS;

/** `[dns://|tls://]IP[:PORT]`; throws saying what was expected. */
export function parseUpstream(text: string): Upstream {
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(text);
  const name = scheme?.[1]!.toLowerCase();
  if (name !== undefined && name !== 'dns' && name !== 'tls') {
    throw new Error(`"${text}": ${name}:// upstreams are not supported, only dns:// and tls://`);
  }
  const address = scheme ? text.slice(scheme[0].length) : text;
  if (name === 'tls') return { ...parseHostPort(address, DOT_PORT), tls: true };
  return parseHostPort(address, DNS_PORT);
}

/**
 * The tls:// settings; given without any tls:// upstream they would do nothing, which is refused
 * so that a mistyped upstream is not silently asked in the clear.
 */
export function upstreamTlsConfig(
  reading: Reading<TlsOptionName>,
  upstreams: readonly Upstream[],
): UpstreamTls {
  const { text: given, checked } = reading;
  const expireMs = reading.ms('upstream-expire');
  const tls: UpstreamTls = { expireMs };
  const fields: [keyof UpstreamTls & string, TlsOptionName][] = [
    ['serverName', 'upstream-tls-servername'],
    ['caFile', 'upstream-tls-ca'],
    ['certFile', 'upstream-tls-cert'],
    ['keyFile', 'upstream-tls-key'],
  ];
  for (const [field, name] of fields) {
    const value = given(name);
    if (value === undefined) continue;
    checked(
      name,
      (v) => {
        if (v.trim() === '') throw new Error('expected a value, got an empty one');
        if (!upstreams.some((upstream) => upstream.tls)) {
          throw new Error(
            `"${v}" applies to tls:// upstreams only, and none is given: write --upstream tls://IP[:PORT]`,
          );
        }
      },
      value,
    );
    (tls as unknown as Record<string, string>)[field] = value;
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const missing = tls.certFile === undefined ? 'upstream-tls-cert' : 'upstream-tls-key';
    const present = tls.certFile === undefined ? 'upstream-tls-key' : 'upstream-tls-cert';
    throw reading.fail(
      present,
      `a client certificate needs both --upstream-tls-cert and --upstream-tls-key; --${missing} is missing`,
    );
  }
  // The files are read now too, so that a bad one is refused with where it was set.
  if (upstreams.some((upstream) => upstream.tls)) dotContext(tls);
  return tls;
}
