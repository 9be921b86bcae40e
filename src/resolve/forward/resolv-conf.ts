// Upstreams from resolv.conf (resolv.conf(5)), as a node's DNS server finds them: the nameservers
// in order, minus this server itself, so that forwarding never loops back to us.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { HostPort } from '../../config/address.js';
import { isServerAddress } from './query.js';

export interface ResolvConf {
  /** Addresses in the order listed. */
  nameservers: string[];
  /** From the last `search` or `domain` line, without trailing dots. */
  search: string[];
  /** From `options ndots:N`, capped at 15 as the resolver caps it. */
  ndots?: number;
}

const DNS_PORT = 53;
const MAX_NDOTS = 15;

/**
 * Parses resolv.conf text. Unknown keywords and malformed values are skipped, as the system
 * resolver skips them. A nameserver with a zone index (fe80::1%eth0) is left out: an upstream here
 * is an address and port, and a link-local address means nothing without its interface.
 */
export function readResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [] };
  for (const rawLine of text.split(/\r?\n/)) {
    // `#` and `;` start comments; neither can occur in an address or a domain name we accept.
    const [keyword, ...values] = rawLine
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    switch (keyword) {
      case 'nameserver': {
        const address = values[0];
        // isIP accepts a zone index; we do not (see above).
        if (address !== undefined && !address.includes('%') && isIP(address) !== 0) {
          conf.nameservers.push(address);
        }
        break;
      }
      // The last of `domain` and `search` wins; `domain` is a one-entry search list.
      case 'domain':
        conf.search = values.slice(0, 1).map(withoutDot);
        break;
      case 'search':
        conf.search = values.map(withoutDot).filter((domain) => domain !== '');
        break;
      case 'options':
        for (const option of values) {
          const match = /^ndots:(\d+)$/.exec(option);
          if (match) conf.ndots = Math.min(Number(match[1]), MAX_NDOTS);
        }
        break;
    }
  }
  return conf;
}

export interface UpstreamsFromResolvConfOptions {
  /** Where the text came from, for the error message. Default /etc/resolv.conf. */
  source?: string;
  /** This host's interface addresses; default from os.networkInterfaces(). */
  localAddresses?: string[];
}

/**
 * The nameservers as upstreams on port 53, without the addresses this server listens on. A wildcard
 * listen address (0.0.0.0 or ::) on port 53 is every local address of its family, loopback
 * included. Throws when nothing is left, since forwarding to ourselves would loop.
 */
export function upstreamsFromResolvConf(
  conf: ResolvConf,
  ownListen: HostPort[],
  options: UpstreamsFromResolvConfOptions = {},
): HostPort[] {
  const source = options.source ?? '/etc/resolv.conf';
  if (conf.nameservers.length === 0) {
    throw new Error(`no upstream: ${source} lists no nameserver; pass --upstream`);
  }
  const local = options.localAddresses ?? interfaceAddresses();
  const upstreams: HostPort[] = [];
  for (const host of conf.nameservers) {
    const family = isIP(host) === 6 ? 6 : 4;
    const upstream: HostPort = { host, port: DNS_PORT, family };
    const isUs = ownListen.some(
      (listen) =>
        listen.port === DNS_PORT &&
        listen.family === family &&
        (isServerAddress(host, listen) || (isWildcard(listen) && isLocal(upstream, local))),
    );
    if (!isUs && !upstreams.some((seen) => isServerAddress(host, seen))) upstreams.push(upstream);
  }
  if (upstreams.length === 0) {
    throw new Error(`no upstream: ${source} lists only this server; pass --upstream`);
  }
  return upstreams;
}

function withoutDot(domain: string): string {
  return domain.replace(/\.$/, '');
}

function isWildcard(listen: HostPort): boolean {
  return listen.host === '0.0.0.0' || listen.host === '::';
}

function isLocal(upstream: HostPort, localAddresses: string[]): boolean {
  if (upstream.family === 4 && upstream.host.startsWith('127.')) return true;
  if (isServerAddress('::1', upstream)) return true;
  return localAddresses.some(
    (address) => isIP(address) === upstream.family && isServerAddress(address, upstream),
  );
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((infos) => (infos ?? []).map((info) => info.address));
}
