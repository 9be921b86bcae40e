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
import { OPT_RECORD_SIZE } from '../../dns/edns.js';
import {
  bucketOf,
  CounterCells,
  exponentialBuckets,
  HistogramCells,
  type Labels,
  type Sample,
} from './cells.js';

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

/** The cell index of an rcode: the named ones, then one slot for any other. */
const rcodeSlot = (rcode: number) => (rcode < RCODE_NAMES.length ? rcode : RCODE_NAMES.length);
/** The cell index of a transport, in PROTOS. */
const protoSlot = (transport: 'udp' | 'tcp') => (transport === 'udp' ? 0 : 1);

/** What a listener's handler records into (see ServerRecorder). */
export type QueryRecorder = Pick<
  ServerRecorder,
  'answered' | 'answeredFrom' | 'timedFrom' | 'tallies' | 'answerSlots'
>;

/**
 * An answer served many times from the same bytes (a precompiled answer). The metrics give it a
 * slot when it is compiled: the label values and sizes every serving of it shares, so that counting
 * a serving is one increment in the tallies of the listener that served it (see tallyAt).
 */
export interface RecordedAnswer {
  readonly rcode: number;
  readonly link: number;
  /** Its slot in the AnswerSlots of the metrics that count it; -1 for none. */
  metricsSlot: number;
}

/** What every serving of one compiled answer has in common, for the metrics. */
interface AnswerSlot {
  zone: number;
  /** Index into TYPE_LABELS. */
  type: number;
  rcode: number;
  link: number;
  /** Request and response sizes without an OPT record. */
  requestSize: number;
  responseSize: number;
}

/** How a serving of a slot's answer was asked: no OPT, OPT, or OPT with the DO bit... */
const OPT_KINDS = 3;
/** ...over each transport: a slot's tallies, at `proto * OPT_KINDS + optKind`. */
const VARIANTS = PROTOS.length * OPT_KINDS;
/** Slots are per combination of labels and sizes, not per answer: a few hundred in a cluster. */
export const MAX_ANSWER_SLOTS = 16_384;

/**
 * Where one serving of the answer in `slot` is tallied, in a recorder's `tallies`. The handler
 * increments it in place rather than calling the recorder: with its metrics recorded so, the fast
 * path costs 1-3 % more than with metrics off (README, "What metrics cost per query").
 */
export function tallyAt(slot: number, transport: 'udp' | 'tcp', edns: boolean, dnssecOk: boolean): number {
  return slot * VARIANTS + protoSlot(transport) * OPT_KINDS + (edns ? (dnssecOk ? 2 : 1) : 0);
}

/** The slots of the answers one set of metrics counts, shared by its listeners' recorders. */
export class AnswerSlots {
  readonly slots: AnswerSlot[] = [];
  private readonly ids = new Map<string, number>();

  /** @param slotAdded makes room for the new slot's row in every recorder's tallies. */
  constructor(
    readonly zones: ZoneMatcher,
    private readonly slotAdded: (slot: number) => void,
  ) {}

  /**
   * Gives `answer`, to `name` asked with `qtype`, the slot of its labels and of these sizes (request
   * and response without OPT), or -1 when every slot is taken. Called when the answer is compiled,
   * so serving it never looks a slot up.
   */
  assign(
    answer: RecordedAnswer,
    name: string,
    qtype: number,
    requestSize: number,
    responseSize: number,
  ): void {
    const slot: AnswerSlot = {
      zone: this.zones.match(name),
      type: TYPE_INDEX[qtype]!,
      rcode: rcodeSlot(answer.rcode),
      link: answer.link,
      requestSize,
      responseSize,
    };
    const key = `${slot.zone} ${slot.type} ${slot.rcode} ${slot.link} ${slot.requestSize} ${slot.responseSize}`;
    let id = this.ids.get(key);
    if (id === undefined && this.slots.length < MAX_ANSWER_SLOTS) {
      id = this.slots.push(slot) - 1;
      this.ids.set(key, id);
      this.slotAdded(id);
    }
    answer.metricsSlot = id ?? -1;
  }
}

class ServerRecorder {
  readonly requests: CounterCells;
  readonly doRequests: CounterCells;
  readonly responses: CounterCells;
  readonly duration: HistogramCells;
  readonly requestSize: HistogramCells;
  readonly responseSize: HistogramCells;
  /**
   * Untimed servings of compiled answers until the next fold(), at tallyAt(): the handler adds to
   * them in place. Grown only when a slot is assigned, never while serving.
   */
  tallies = new Float64Array(VARIANTS * 64);
  /** Answers from compiled bytes timed since the last fold(): how many, and their sum, per bucket. */
  private readonly timedFromBytes = new Float64Array(TIME_BUCKETS.length + 1);
  private readonly timedFromBytesSum = new Float64Array(TIME_BUCKETS.length + 1);
  /** The duration the untimed ones count in (see fold). */
  private untimedSeconds = 0;

  constructor(
    readonly server: string,
    readonly family: 4 | 6,
    readonly answerSlots: AnswerSlots,
    private readonly plugins: readonly string[],
  ) {
    const zoneCount = answerSlots.zones.labels.length;
    this.requests = new CounterCells(zoneCount * PROTOS.length * TYPES);
    this.doRequests = new CounterCells(zoneCount);
    this.responses = new CounterCells(zoneCount * RCODES * (plugins.length + 1));
    this.duration = new HistogramCells(TIME_BUCKETS, zoneCount * TYPES);
    this.requestSize = new HistogramCells(SIZE_BUCKETS, zoneCount * PROTOS.length);
    this.responseSize = new HistogramCells(SIZE_BUCKETS, zoneCount * PROTOS.length);
    this.makeRoomFor(answerSlots.slots.length - 1);
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
      this.answerSlots.zones.match(qname),
      TYPE_INDEX[qtype]!,
      protoSlot(transport),
      dnssecOk,
      requestSize,
      responseSize,
      rcodeSlot(rcode),
      link,
      seconds,
    );
  }

  /**
   * One serving of a compiled answer that was timed (the handler times one in many), at its
   * tallyAt() index: counted at once with its duration, which also tells fold() the typical
   * duration of the untimed ones.
   */
  timedFrom(at: number, seconds: number): void {
    this.noteTimed(seconds);
    this.countTallied(at, seconds, 1);
  }

  /**
   * One serving of a compiled answer to `name` without a slot (every slot taken): counted as any
   * other query. `seconds` undefined: it was not timed, and counts in the typical duration.
   */
  answeredFrom(
    answer: RecordedAnswer,
    name: string,
    qtype: number,
    transport: 'udp' | 'tcp',
    dnssecOk: boolean,
    requestSize: number,
    responseSize: number,
    seconds: number | undefined,
  ): void {
    if (seconds === undefined) seconds = this.untimedSeconds;
    else this.noteTimed(seconds);
    this.answered(
      name,
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

  makeRoomFor(slot: number): void {
    const needed = (slot + 1) * VARIANTS;
    if (needed <= this.tallies.length) return;
    const grown = new Float64Array(Math.max(needed, this.tallies.length * 2));
    grown.set(this.tallies);
    this.tallies = grown;
  }

  private noteTimed(seconds: number): void {
    const bucket = bucketOf(TIME_BUCKETS, seconds);
    this.timedFromBytes[bucket]!++;
    this.timedFromBytesSum[bucket]! += seconds;
  }

  /**
   * Counts the tallied servings into the series; the registry calls it before reading them. Their
   * duration is the mean of the timed answers in the bucket most of them fell in since the last
   * fold: one timed answer a garbage collection happened to stretch must not move all the others.
   */
  fold(): void {
    let typical = -1;
    for (let b = 0; b < this.timedFromBytes.length; b++) {
      if (this.timedFromBytes[b]! > (typical < 0 ? 0 : this.timedFromBytes[typical]!)) typical = b;
    }
    if (typical >= 0) this.untimedSeconds = this.timedFromBytesSum[typical]! / this.timedFromBytes[typical]!;
    this.timedFromBytes.fill(0);
    this.timedFromBytesSum.fill(0);
    const tallies = this.tallies;
    for (let at = 0; at < tallies.length; at++) {
      const times = tallies[at]!;
      if (times === 0) continue;
      tallies[at] = 0;
      this.countTallied(at, this.untimedSeconds, times);
    }
  }

  /** `times` servings alike, at a tallyAt() index. */
  private countTallied(at: number, seconds: number, times: number): void {
    const slot = this.answerSlots.slots[Math.floor(at / VARIANTS)]!;
    const variant = at % VARIANTS;
    const optKind = variant % OPT_KINDS;
    const optSize = optKind === 0 ? 0 : OPT_RECORD_SIZE;
    this.count(
      slot.zone,
      slot.type,
      Math.floor(variant / OPT_KINDS),
      optKind === 2,
      slot.requestSize + optSize,
      slot.responseSize + optSize,
      slot.rcode,
      slot.link,
      seconds,
      times,
    );
  }

  /** `times` queries alike; `type` and `rcode` are slots (TYPE_INDEX, with the "other" rcode). */
  private count(
    zone: number,
    type: number,
    proto: number,
    dnssecOk: boolean,
    requestSize: number,
    responseSize: number,
    rcode: number,
    link: number,
    seconds: number,
    times = 1,
  ): void {
    this.requests.values[(zone * PROTOS.length + proto) * TYPES + type]! += times;
    if (dnssecOk) this.doRequests.values[zone]! += times;
    this.responses.values[(zone * RCODES + rcode) * (this.plugins.length + 1) + link + 1]! += times;
    this.duration.observeTimes(zone * TYPES + type, seconds, times);
    this.requestSize.observeTimes(zone * PROTOS.length + proto, requestSize, times);
    this.responseSize.observeTimes(zone * PROTOS.length + proto, responseSize, times);
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
  /** The slots compiled answers are given (PrecompiledOptions.answerSlots). */
  readonly answerSlots: AnswerSlots;

  /**
   * @param zones the served zones, each a `zone` label value; other names count under ".".
   * @param plugins the `plugin` label of each resolver link, by index.
   */
  constructor(
    zones: readonly string[],
    private readonly plugins: readonly string[],
  ) {
    this.zones = new ZoneMatcher(zones);
    this.answerSlots = new AnswerSlots(this.zones, (slot) => {
      for (const recorder of this.recorders) recorder.makeRoomFor(slot);
    });
  }

  /** The recorder of one listener; `server` as CoreDNS writes it, e.g. `dns://:53`. */
  recorder(server: string, family: 4 | 6): QueryRecorder {
    const existing = this.recorders.find((r) => r.server === server && r.family === family);
    if (existing) return existing;
    const recorder = new ServerRecorder(server, family, this.answerSlots, this.plugins);
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
      r.fold();
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
