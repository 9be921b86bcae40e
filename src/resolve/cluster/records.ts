// Record builders shared by the cluster-zone look-ups: one place decides TTLs and SOA fields.
import type { ResourceRecord } from '../../dns/types.js';
import type { IpFamily } from '../../table/ip.js';
import { ipFamily } from '../../table/ip.js';

/** TTL of the schema-version TXT record (Kubernetes DNS spec §2.2 example, as CoreDNS serves it). */
export const DNS_VERSION_TTL = 28800;
export const DNS_SCHEMA_VERSION = '1.1.0';

export function addressRecord(name: string, ip: string, ttl: number): ResourceRecord {
  return ipFamily(ip) === 6
    ? { name, ttl, data: { type: 'AAAA', address: ip } }
    : { name, ttl, data: { type: 'A', address: ip } };
}

/** Address records of the family a qtype asks for (A → IPv4, AAAA → IPv6). */
export function addressRecords(
  name: string,
  ips: Iterable<string>,
  family: IpFamily,
  ttl: number,
): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (const ip of ips) if (ipFamily(ip) === family) records.push(addressRecord(name, ip, ttl));
  return records;
}

/**
 * The zone's SOA as CoreDNS writes it: owner and names in the question's case, serial = table
 * version, 7200/1800/86400, minimum = TTL (so negative answers are cached as long as positive ones),
 * and the record's own TTL capped at 300 s.
 */
export function soaRecord(zone: string, serial: number, ttl: number): ResourceRecord {
  return {
    name: zone,
    ttl: Math.min(ttl, 300),
    data: {
      type: 'SOA',
      mname: `ns.dns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    },
  };
}
