// IP address forms the cluster zone needs: canonical keys, the dashed endpoint/pod label, and the
// reverse (in-addr.arpa / ip6.arpa) name of an address.
import { isIPv4, isIPv6 } from 'node:net';
import { Address6 } from 'ip-address';

export type IpFamily = 4 | 6;

export function ipFamily(ip: string): IpFamily | undefined {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip)) return 6;
  return undefined;
}

/**
 * A fixed-width hex key for an address: 8 digits for IPv4, 32 nibbles for IPv6. Two spellings of
 * the same address share a key, and a reverse-zone prefix maps to a key prefix, so a sorted list of
 * keys answers "does anything live below this reverse name?" by binary search.
 */
export function ipKey(ip: string): string {
  if (isIPv4(ip)) {
    return ip
      .split('.')
      .map((octet) => Number(octet).toString(16).padStart(2, '0'))
      .join('');
  }
  return new Address6(ip).canonicalForm().replaceAll(':', '');
}

/** The usual, shortest text form of an address (IPv6 compressed and lower-case). */
export function normalizeIp(ip: string): string {
  return isIPv6(ip) ? new Address6(ip).correctForm() : ip;
}

/**
 * The label an endpoint without a hostname is known by: dots (IPv4) or colons (IPv6) turned into
 * dashes, and a trailing dash closed with a 0 so the label is valid (`5678:abcd::` → `5678-abcd--0`),
 * as CoreDNS's kubernetes plugin names it.
 */
export function dashedIp(ip: string): string {
  // split and join, not replaceAll: V8 builds a replaceAll result of 13 characters or more as a
  // concatenation of pieces, three objects in place of one, kept for every endpoint of the table.
  if (isIPv4(ip)) return ip.split('.').join('-');
  const dashed = normalizeIp(ip).split(':').join('-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

/**
 * The address a dashed pod label stands for (`10-244-1-5`, `fd00-10-244--5`), or undefined. Three
 * dashes and no double dash read as IPv4, anything else as IPv6, as CoreDNS reads pod names.
 */
export function ipFromDashed(label: string): string | undefined {
  const dashes = label.split('-').length - 1;
  const candidate =
    dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return ipFamily(candidate) ? normalizeIp(candidate) : undefined;
}

/** Labels of the reverse name, most specific first, without the in-addr.arpa/ip6.arpa suffix. */
export function reverseLabels(ip: string): string[] {
  const key = ipKey(ip);
  if (key.length === 8) return ip.split('.').reverse();
  return key.split('').reverse();
}

/** The reverse name of an address, e.g. `5.1.244.10.in-addr.arpa`. */
export function reverseName(ip: string): string {
  const suffix = isIPv4(ip) ? 'in-addr.arpa' : 'ip6.arpa';
  return `${reverseLabels(ip).join('.')}.${suffix}`;
}
