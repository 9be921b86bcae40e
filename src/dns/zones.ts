// The zones the server is authoritative for, and which of them holds a name. Forward zones serve
// the cluster's names; reverse zones (in-addr.arpa, ip6.arpa or narrower) serve PTR records.
import { splitName, lowerLabel } from './labels.js';

export type ZoneKind = 'forward' | 'reverse4' | 'reverse6';

export interface Zone {
  /** Lower-case, no trailing dot. */
  name: string;
  labels: string[];
  kind: ZoneKind;
}

export const DEFAULT_ZONES = ['cluster.local', 'in-addr.arpa', 'ip6.arpa'];

/** Parse and check one `--zone` value; throws with a message naming what is wrong. */
export function parseZone(text: string): Zone {
  const name = text.trim().replace(/\.$/, '').toLowerCase();
  const labels = splitName(name).map(lowerLabel);
  if (name === '' || labels.some((label) => !/^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label))) {
    throw new Error(`zone "${text}": expected a domain name such as cluster.local`);
  }
  const kind = reverseKind(labels);
  if (kind) {
    const inner = labels.slice(0, -2);
    const valid =
      kind === 'reverse4'
        ? inner.length <= 3 &&
          inner.every((label) => /^(0|[1-9][0-9]{0,2})$/.test(label) && Number(label) <= 255)
        : inner.length <= 31 && inner.every((label) => /^[0-9a-f]$/.test(label));
    if (!valid) {
      throw new Error(
        `zone "${text}": a reverse zone must be in-addr.arpa with up to 3 octets or ip6.arpa with up to 31 nibbles`,
      );
    }
  }
  return { name, labels, kind: kind ?? 'forward' };
}

function reverseKind(labels: string[]): ZoneKind | undefined {
  const suffix = labels.slice(-2).join('.');
  if (suffix === 'in-addr.arpa') return 'reverse4';
  if (suffix === 'ip6.arpa') return 'reverse6';
  return undefined;
}

export class ZoneSet {
  readonly zones: readonly Zone[];
  /** The zone PTR targets are written in: the first forward zone. */
  readonly primary: string;

  constructor(zones: Zone[]) {
    // Longest first, so the most specific zone that holds a name wins.
    this.zones = [...zones].sort((a, b) => b.labels.length - a.labels.length);
    this.primary = zones.find((zone) => zone.kind === 'forward')?.name ?? 'cluster.local';
  }

  static parse(names: string[]): ZoneSet {
    return new ZoneSet(names.map(parseZone));
  }

  /** The zone holding a name given as lower-case labels, or undefined. */
  find(lowerLabels: readonly string[]): Zone | undefined {
    for (const zone of this.zones) {
      if (zone.labels.length > lowerLabels.length) continue;
      const offset = lowerLabels.length - zone.labels.length;
      let match = true;
      for (let i = 0; i < zone.labels.length; i++) {
        if (lowerLabels[offset + i] !== zone.labels[i]) {
          match = false;
          break;
        }
      }
      if (match) return zone;
    }
    return undefined;
  }
}

/** Whether a name lies in any of a list of zones, '.' (the root) holding every name. */
export class ZoneList {
  private readonly zones: string[][];

  constructor(zones: readonly string[]) {
    this.zones = zones.map((zone) => (zone === '.' ? [] : splitName(zone).map(lowerLabel)));
  }

  holds(name: string): boolean {
    const labels = splitName(name).map(lowerLabel);
    return this.zones.some(
      (zone) =>
        zone.length <= labels.length &&
        zone.every((label, i) => labels[labels.length - zone.length + i] === label),
    );
  }
}
