// CH-class TXT questions about the server itself, as CoreDNS's chaos plugin answers them
// (https://coredns.io/plugins/chaos/, plugin/chaos/chaos.go): version.bind and version.server give
// the version, authors.bind one record per author in a fresh random order, hostname.bind and
// id.server the host name. Records are class CH with TTL 0. Any other question, and any of these
// names outside the zones chaos is configured for, goes on down the chain.
import { lowerLabel, splitName } from '../dns/labels.js';
import { RRClass, RRType, Rcode, type Answer, type Question, type ResourceRecord } from '../dns/types.js';
import { MAX_TXT_STRING } from '../dns/record-write.js';
import type { Resolver } from './types.js';
import { ZoneList } from '../dns/zones.js';

export interface ChaosOptions {
  /** Zones the names are answered under ('.' for all), as the server block holding chaos serves. */
  zones: string[];
  version: string;
  /** None: authors.bind is passed on. */
  authors: string[];
  hostname: string;
}

export class ChaosResolver implements Resolver {
  private readonly zones: ZoneList;

  constructor(private readonly options: ChaosOptions) {
    this.zones = new ZoneList(options.zones);
  }

  resolve(question: Question): Answer | undefined {
    if (question.class !== RRClass.CH || question.type !== RRType.TXT) return undefined;
    const texts = this.texts(splitName(question.name).map(lowerLabel).join('.'));
    if (texts === undefined || texts.length === 0 || !this.zones.holds(question.name)) return undefined;
    const answers: ResourceRecord[] = texts.map((text) => ({
      name: question.name,
      ttl: 0,
      class: RRClass.CH,
      data: { type: 'TXT', texts: [text] },
    }));
    return { rcode: Rcode.NOERROR, authoritative: false, answers, authority: [], additional: [] };
  }

  private texts(name: string): string[] | undefined {
    switch (name) {
      case 'version.bind':
      case 'version.server':
        return [this.options.version];
      case 'authors.bind':
        return shuffled(this.options.authors);
      case 'hostname.bind':
      case 'id.server':
        // CoreDNS cuts the host name to one character-string.
        return [truncateUtf8(this.options.hostname || 'localhost', MAX_TXT_STRING)];
      default:
        return undefined;
    }
  }
}

function shuffled(items: readonly string[]): string[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function truncateUtf8(text: string, bytes: number): string {
  let out = text;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}
