// The per-query series, under CoreDNS's names and labels (plugin/metrics/vars) so its dashboards
// and alerts read them unchanged:
//   coredns_dns_requests_total{server,zone,proto,family,type}
//   coredns_dns_do_requests_total{server,zone}
//   coredns_dns_request_duration_seconds{server,zone,type}
//   coredns_dns_request_size_bytes{server,zone,proto}, coredns_dns_response_size_bytes{server,zone,proto}
//   coredns_dns_responses_total{server,zone,rcode,plugin}
// Each listener gets a recorder whose `server` and `family` are fixed; per query it computes small
// integer indexes (zone, type, rcode, link) and increments typed-array slots.
import { RCODE_NAMES, typeName } from '../../dns/mnemonics.js';
import { CounterCells, exponentialBuckets, HistogramCells, type Labels, type Sample } from './cells.js';

/** CoreDNS's plugin.TimeBuckets: 0.25 ms to 8 s, doubling. */
export const TIME_BUCKETS = exponentialBuckets(0.00025, 2, 16);
/** CoreDNS's size buckets for request and response bytes. */
export const SIZE_BUCKETS = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

/**
 * The query types CoreDNS labels by name (plugin/metrics/vars/monitor.go); any other is "other",
 * which keeps the label's cardinality bounded whatever clients ask.
 */
const MONITORED_TYPES = [1, 2, 5, 6, 12, 13, 15, 16, 28, 33, 43, 46, 47, 48, 50, 64, 65, 251, 252, 255];
const TYPE_LABELS = [...MONITORED_TYPES.map(typeName), 'other'];
const TYPE_INDEX = new Uint8Array(65536).fill(MONITORED_TYPES.length);
MONITORED_TYPES.forEach((type, i) => (TYPE_INDEX[type] = i));
const TYPES = TYPE_LABELS.length;
const RCODES = RCODE_NAMES.length + 1; // the last slot: any rcode beyond the named ones
const PROTOS = ['udp', 'tcp'] as const;

/** What a listener's handler records into (see ServerRecorder.answered). */
export type QueryRecorder = Pick<ServerRecorder, 'answered' | 'answeredFrom'>;

/**
 * An answer served many times from the same bytes (a precompiled answer): the metrics keep the
 * zone its name falls in on it, so that each serving skips matching the name against the zones.
 */
export interface RecordedAnswer {
  /** The question name, lower case. */
  readonly name: string;
  readonly rcode: number;
  readonly link: number;
  /** Set by the recorder: the zone slot of `name` in `metricsZoneOf`. */
  metricsZone: number;
  metricsZoneOf: ZoneMatcher | undefined;
}

class ServerRecorder {
  readonly requests: CounterCells;
  readonly doRequests: CounterCells;
  readonly responses: CounterCells;
  readonly duration: HistogramCells;
  readonly requestSize: HistogramCells;
  readonly responseSize: HistogramCells;

  constructor(
    readonly server: string,
    readonly family: 4 | 6,
    private readonly zones: ZoneMatcher,
    private readonly plugins: readonly string[],
  ) {
    const zoneCount = zones.labels.length;
    this.requests = new CounterCells(zoneCount * PROTOS.length * TYPES);
    this.doRequests = new CounterCells(zoneCount);
    this.responses = new CounterCells(zoneCount * RCODES * (plugins.length + 1));
    this.duration = new HistogramCells(TIME_BUCKETS, zoneCount * TYPES);
    this.requestSize = new HistogramCells(SIZE_BUCKETS, zoneCount * PROTOS.length);
    this.responseSize = new HistogramCells(SIZE_BUCKETS, zoneCount * PROTOS.length);
  }

  /** One answered query. `link` is the index of the resolver that answered, -1 for none. */
  answered(
    qname: string,
    qtype: number,
    transport: 'udp' | 'tcp',
    dnssecOk: boolean,
    requestSize: number,
    responseSize: number,
    rcode: number,
    link: number,
    seconds: number,
  ): void {
    this.count(
      this.zones.match(qname),
      qtype,
      transport,
      dnssecOk,
      requestSize,
      responseSize,
      rcode,
      link,
      seconds,
    );
  }

  /**
   * One query answered from `answer`'s bytes: as answered(), with the zone matched once per answer.
   * In a server answering from precompiled bytes, matching the name was most of what counting cost.
   */
  answeredFrom(
    answer: RecordedAnswer,
    qtype: number,
    transport: 'udp' | 'tcp',
    dnssecOk: boolean,
    requestSize: number,
    responseSize: number,
    seconds: number,
  ): void {
    let zone = answer.metricsZone;
    if (answer.metricsZoneOf !== this.zones) {
      zone = answer.metricsZone = this.zones.match(answer.name);
      answer.metricsZoneOf = this.zones;
    }
    this.count(
      zone,
      qtype,
      transport,
      dnssecOk,
      requestSize,
      responseSize,
      answer.rcode,
      answer.link,
      seconds,
    );
  }

  private count(
    zone: number,
    qtype: number,
    transport: 'udp' | 'tcp',
    dnssecOk: boolean,
    requestSize: number,
    responseSize: number,
    rcode: number,
    link: number,
    seconds: number,
  ): void {
    const type = TYPE_INDEX[qtype]!;
    const proto = transport === 'udp' ? 0 : 1;
    this.requests.values[(zone * PROTOS.length + proto) * TYPES + type]!++;
    if (dnssecOk) this.doRequests.values[zone]!++;
    const rcodeSlot = rcode < RCODE_NAMES.length ? rcode : RCODE_NAMES.length;
    this.responses.values[(zone * RCODES + rcodeSlot) * (this.plugins.length + 1) + link + 1]!++;
    this.duration.observe(zone * TYPES + type, seconds);
    this.requestSize.observe(zone * PROTOS.length + proto, requestSize);
    this.responseSize.observe(zone * PROTOS.length + proto, responseSize);
  }
}

/** Which served zone holds a name, case-insensitively, without building a string per query. */
export class ZoneMatcher {
  /** Label values: each zone with its trailing dot, longest first, then "." for everything else. */
  readonly labels: string[];
  private readonly zones: string[];

  constructor(zones: readonly string[]) {
    this.zones = [...zones].map((zone) => zone.toLowerCase()).sort((a, b) => b.length - a.length);
    this.labels = [...this.zones.map((zone) => `${zone}.`), '.'];
  }

  match(name: string): number {
    for (let z = 0; z < this.zones.length; z++) {
      const zone = this.zones[z]!;
      const offset = name.length - zone.length;
      if (offset < 0 || (offset > 0 && name.charCodeAt(offset - 1) !== 0x2e)) continue;
      let i = 0;
      while (i < zone.length) {
        let c = name.charCodeAt(offset + i);
        if (c >= 0x41 && c <= 0x5a) c += 0x20; // ASCII case folding, RFC 4343
        if (c !== zone.charCodeAt(i)) break;
        i++;
      }
      if (i === zone.length) return z;
    }
    return this.zones.length;
  }
}

export class QueryMetrics {
  private readonly recorders: ServerRecorder[] = [];
  private readonly zones: ZoneMatcher;

  /**
   * @param zones the served zones, each a `zone` label value; other names count under ".".
   * @param plugins the `plugin` label of each resolver link, by index.
   */
  constructor(
    zones: readonly string[],
    private readonly plugins: readonly string[],
  ) {
    this.zones = new ZoneMatcher(zones);
  }

  /** The recorder of one listener; `server` as CoreDNS writes it, e.g. `dns://:53`. */
  recorder(server: string, family: 4 | 6): QueryRecorder {
    const existing = this.recorders.find((r) => r.server === server && r.family === family);
    if (existing) return existing;
    const recorder = new ServerRecorder(server, family, this.zones, this.plugins);
    this.recorders.push(recorder);
    return recorder;
  }

  /** Every series, by metric name, for the registry to format at scrape time. */
  samples(): Record<string, Sample[]> {
    const zoneLabels = this.zones.labels;
    const out: Record<string, Sample[]> = {
      coredns_dns_requests_total: [],
      coredns_dns_do_requests_total: [],
      coredns_dns_responses_total: [],
      coredns_dns_request_duration_seconds: [],
      coredns_dns_request_size_bytes: [],
      coredns_dns_response_size_bytes: [],
    };
    const pluginCount = this.plugins.length + 1;
    for (const r of this.recorders) {
      const family = r.family === 4 ? '1' : '2';
      const base = (zone: number): Labels => ({ server: r.server, zone: zoneLabels[zone]! });
      const byProto = (i: number): Labels => ({
        ...base(Math.floor(i / PROTOS.length)),
        proto: PROTOS[i % PROTOS.length]!,
      });
      out.coredns_dns_requests_total!.push(
        ...r.requests.samples((i) => {
          const zoneProto = Math.floor(i / TYPES);
          return { ...byProto(zoneProto), family, type: TYPE_LABELS[i % TYPES]! };
        }),
      );
      out.coredns_dns_do_requests_total!.push(...r.doRequests.samples(base));
      out.coredns_dns_responses_total!.push(
        ...r.responses.samples((i) => {
          const zoneRcode = Math.floor(i / pluginCount);
          const rcode = zoneRcode % RCODES;
          return {
            ...base(Math.floor(zoneRcode / RCODES)),
            rcode: RCODE_NAMES[rcode] ?? 'other',
            plugin: this.plugins[(i % pluginCount) - 1] ?? '',
          };
        }),
      );
      out.coredns_dns_request_duration_seconds!.push(
        ...r.duration.samples('coredns_dns_request_duration_seconds', (s) => ({
          ...base(Math.floor(s / TYPES)),
          type: TYPE_LABELS[s % TYPES]!,
        })),
      );
      out.coredns_dns_request_size_bytes!.push(
        ...r.requestSize.samples('coredns_dns_request_size_bytes', byProto),
      );
      out.coredns_dns_response_size_bytes!.push(
        ...r.responseSize.samples('coredns_dns_response_size_bytes', byProto),
      );
    }
    return out;
  }
}
