// Hosts-file entries as a chain link (CoreDNS's hosts plugin, plugin/hosts/hosts.go): a name
// listed answers its A and AAAA records (NODATA for other types), an address listed answers PTR
// with the first name of its line. A name outside the plugin's zones, and a reverse name not
// listed, go on down the chain; a name inside them not listed goes on if fallthrough covers it,
// and is SERVFAIL otherwise (CoreDNS: "we don't have a SOA, so we make it SERVFAIL"). Read once
// per (re)load, so the hot path is a map lookup.
import { isIP } from 'node:net';
import { ConfigError } from '../../config/values.js';
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../../dns/types.js';
import { normalizeIp, reverseName } from '../../table/ip.js';
import type { Resolver } from '../types.js';
import { ZoneList } from '../../dns/zones.js';

export interface HostsScope {
  /** Names answered; '.' for all. */
  zones: readonly string[];
  /** Names not listed that go on down the chain; the others are SERVFAIL. */
  fallthrough: readonly string[];
}

/** Every name answered, and every name not listed passed on: the flags' default. */
const EVERY_NAME: HostsScope = { zones: ['.'], fallthrough: ['.'] };

interface Entry {
  v4: string[];
  v6: string[];
}

/** Parse /etc/hosts lines; throws naming the source and line of a malformed one. */
export function parseHosts(text: string, source: string): Array<{ ip: string; names: string[] }> {
  const entries: Array<{ ip: string; names: string[] }> = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [ip, ...names] = line.split(/\s+/) as [string, ...string[]];
    // A zone index (fe80::1%eth0) has no meaning in an answer.
    const address = ip.replace(/%.*/, '');
    if (isIP(address) === 0 || names.length === 0) {
      throw new ConfigError(`${source} line ${index + 1}: "${raw.trim()}": expected IP NAME...`);
    }
    entries.push({
      ip: normalizeIp(address),
      names: names.map((name) => name.replace(/\.$/, '').toLowerCase()),
    });
  });
  return entries;
}

export class HostsResolver implements Resolver {
  private readonly byName = new Map<string, Entry>();
  private readonly byReverse = new Map<string, string>();

  private readonly zones: ZoneList | undefined;
  private readonly fallthrough: ZoneList;

  constructor(
    entries: ReadonlyArray<{ ip: string; names: string[] }>,
    private readonly ttl: number,
    scope: HostsScope = EVERY_NAME,
  ) {
    this.zones = scope.zones.includes('.') ? undefined : new ZoneList(scope.zones);
    this.fallthrough = new ZoneList(scope.fallthrough);
    for (const { ip, names } of entries) {
      for (const name of names) {
        const entry = this.byName.get(name) ?? { v4: [], v6: [] };
        const list = isIP(ip) === 4 ? entry.v4 : entry.v6;
        if (!list.includes(ip)) list.push(ip);
        this.byName.set(name, entry);
      }
      const reverse = reverseName(ip);
      if (!this.byReverse.has(reverse)) this.byReverse.set(reverse, names[0]!);
    }
  }

  get size(): number {
    return this.byName.size;
  }

  resolve(question: Question): Answer | undefined {
    if (question.class !== RRClass.IN) return undefined;
    const name = question.name.toLowerCase();
    const target = this.byReverse.get(name);
    if (target !== undefined) {
      const ptr =
        question.type === RRType.PTR
          ? [{ name: question.name, ttl: this.ttl, data: { type: 'PTR' as const, target } }]
          : [];
      return answer(ptr);
    }
    if (question.type === RRType.PTR) return undefined;
    if (this.zones && !this.zones.holds(name)) return undefined;
    const entry = this.byName.get(name);
    if (!entry) {
      if (this.fallthrough.holds(name)) return undefined;
      return { rcode: Rcode.SERVFAIL, authoritative: false, answers: [], authority: [], additional: [] };
    }
    const records: ResourceRecord[] = [];
    if (question.type === RRType.A || question.type === RRType.ANY) {
      for (const address of entry.v4)
        records.push({ name: question.name, ttl: this.ttl, data: { type: 'A', address } });
    }
    if (question.type === RRType.AAAA || question.type === RRType.ANY) {
      for (const address of entry.v6)
        records.push({ name: question.name, ttl: this.ttl, data: { type: 'AAAA', address } });
    }
    return answer(records);
  }
}

function answer(answers: ResourceRecord[]): Answer {
  return { rcode: Rcode.NOERROR, authoritative: true, answers, authority: [], additional: [] };
}
