// The TLS side of a tls:// upstream, built once per forwarder from its settings: the roots its
// certificate is verified against (the CA file, or Node's bundled roots), our client certificate
// when one is given, TLS 1.2 or later (as CoreDNS's plugin/pkg/tls sets), and the name checked
// against the certificate: tls_servername, or the upstream's IP without it (Go's crypto/tls, which
// CoreDNS dials with, verifies against the address dialled when no ServerName is set; RFC 8310 §8
// has the name come from configuration). Every file is read bounded and checked here, so a bad
// one stops the start or the reload with its name instead of failing each query.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, createSecureContext, type ConnectionOptions } from 'node:tls';
import { ConfigError } from './values.js';
import { readBounded } from './corefile/import.js';
import type { HostPort } from './address.js';

/** How tls:// upstreams are verified (`options/upstream-tls.ts` reads it from the options). */
export interface UpstreamTls {
  /** Verified against the certificate (and sent as SNI); absent: the upstream's IP is. */
  serverName?: string;
  /** Replaces the system roots. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Idle connections close after this long. */
  expireMs: number;
}

/** What connecting to one upstream needs beyond its address. */
export type DotConnectOptions = Pick<
  ConnectionOptions,
  'secureContext' | 'servername' | 'checkServerIdentity'
>;

/** A function giving the connect options for each upstream; throws naming the bad file. */
export function dotContext(settings: UpstreamTls): (server: HostPort) => DotConnectOptions {
  const ca = settings.caFile === undefined ? undefined : readCaBundle(settings.caFile);
  const cert =
    settings.certFile === undefined ? undefined : readBounded(settings.certFile, '--upstream-tls-cert');
  const key =
    settings.keyFile === undefined ? undefined : readBounded(settings.keyFile, '--upstream-tls-key');
  let secureContext;
  try {
    secureContext = createSecureContext({
      minVersion: 'TLSv1.2',
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
    });
  } catch (error) {
    throw new ConfigError(
      `--upstream-tls-cert: ${settings.certFile} with --upstream-tls-key ${settings.keyFile}: not a PEM certificate and its private key (${(error as Error).message})`,
    );
  }
  const name = settings.serverName;
  return (server) => {
    const expected = name ?? server.host;
    return {
      secureContext,
      // SNI carries host names only (RFC 6066 §3); an IP is still checked against the certificate.
      ...(isIP(expected) === 0 ? { servername: expected } : {}),
      checkServerIdentity: (_host, certificate) => checkServerIdentity(expected, certificate),
    };
  };
}

/** The CA file's certificates; a file without one is refused (Node would quietly trust nothing from it). */
function readCaBundle(path: string): string {
  const text = readBounded(path, '--upstream-tls-ca');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(
      `--upstream-tls-ca: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(
        `--upstream-tls-ca: ${path}: a certificate does not parse (${(error as Error).message})`,
      );
    }
  }
  return text;
}
