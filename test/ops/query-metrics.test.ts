// The per-query cells: which zone a name is counted under, and the label values they export.
import { describe, expect, it } from 'vitest';
import {
  MAX_ANSWER_SLOTS,
  QueryMetrics,
  tallyAt,
  ZoneMatcher,
  type QueryRecorder,
  type RecordedAnswer,
} from '../../src/ops/metrics/query-metrics.js';
import { OPT_RECORD_SIZE } from '../../src/dns/edns.js';
import { prettyLine } from '../../src/ops/pretty.js';

describe('ZoneMatcher', () => {
  const zones = new ZoneMatcher(['cluster.local', '10.in-addr.arpa', 'in-addr.arpa']);
  it.each([
    ['web.shop.svc.cluster.local', 'cluster.local.'],
    ['WEB.Shop.SVC.Cluster.LOCAL', 'cluster.local.'],
    ['cluster.local', 'cluster.local.'],
    ['xcluster.local', '.'],
    ['local', '.'],
    ['1.0.96.10.in-addr.arpa', '10.in-addr.arpa.'],
    ['1.0.96.11.in-addr.arpa', 'in-addr.arpa.'],
    ['www.example.com', '.'],
    ['', '.'],
  ])('counts %s under zone %s', (name, zone) => {
    expect(zones.labels[zones.match(name)]).toBe(zone);
  });
});

describe('QueryMetrics', () => {
  it('exports each touched combination once, with its label values', () => {
    const metrics = new QueryMetrics(['cluster.local'], ['kubernetes', 'forward']);
    const recorder = metrics.recorder('dns://:53', 6);
    recorder.answered('a.b.svc.cluster.local', 33, 'tcp', true, 50, 120, 3, 0, 0.0003);
    recorder.answered('a.b.svc.cluster.local', 33, 'tcp', false, 50, 120, 3, 0, 0.0003);
    recorder.answered('example.com', 99, 'udp', false, 30, 40, 2, -1, 0.01);
    const samples = metrics.samples();
    expect(samples.coredns_dns_requests_total).toEqual([
      {
        labels: { server: 'dns://:53', zone: 'cluster.local.', proto: 'tcp', family: '2', type: 'SRV' },
        value: 2,
      },
      { labels: { server: 'dns://:53', zone: '.', proto: 'udp', family: '2', type: 'other' }, value: 1 },
    ]);
    expect(samples.coredns_dns_do_requests_total).toEqual([
      { labels: { server: 'dns://:53', zone: 'cluster.local.' }, value: 1 },
    ]);
    expect(samples.coredns_dns_responses_total).toEqual([
      {
        labels: { server: 'dns://:53', zone: 'cluster.local.', rcode: 'NXDOMAIN', plugin: 'kubernetes' },
        value: 2,
      },
      { labels: { server: 'dns://:53', zone: '.', rcode: 'SERVFAIL', plugin: '' }, value: 1 },
    ]);
    const buckets = samples.coredns_dns_request_duration_seconds!.filter(
      (s) => s.metricName === 'coredns_dns_request_duration_seconds_bucket' && s.labels.type === 'SRV',
    );
    // 0.3 ms is above the first bound (0.25 ms) and within the second (0.5 ms); cumulative after.
    expect(buckets.slice(0, 3).map((s) => [s.labels.le, s.value])).toEqual([
      ['0.00025', 0],
      ['0.0005', 2],
      ['0.001', 2],
    ]);
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 2 });
  });

  it('counts a compiled answer in the zone of the metrics that gave it its slot', () => {
    // Two sets of metrics with different zones: each matches the answer's name against its own.
    const byCluster = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const byArpa = new QueryMetrics(['in-addr.arpa', 'svc.cluster.local'], ['kubernetes']);
    for (const metrics of [byCluster, byArpa]) {
      const served = compiled(metrics, 1, 40, 60);
      const recorder = metrics.recorder('dns://:53', 4);
      serve(recorder, served, 'udp', false, false, 0.00001);
      serve(recorder, served, 'udp', false, false);
    }
    const zonesOf = (metrics: QueryMetrics) =>
      metrics.samples().coredns_dns_requests_total!.map((s) => [s.labels.zone, s.value]);
    expect(zonesOf(byCluster)).toEqual([['cluster.local.', 2]]);
    expect(zonesOf(byArpa)).toEqual([['svc.cluster.local.', 2]]);
    expect(byCluster.samples().coredns_dns_responses_total).toEqual([
      {
        labels: { server: 'dns://:53', zone: 'cluster.local.', rcode: 'NOERROR', plugin: 'kubernetes' },
        value: 2,
      },
    ]);
  });
});

/** The name every compiled answer of these tests answers. */
const NAME = 'web.shop.svc.cluster.local';

/** A compiled answer given its slot in `metrics`, as the store gives it when it compiles one. */
function compiled(
  metrics: QueryMetrics,
  qtype: number,
  requestSize: number,
  responseSize: number,
): RecordedAnswer {
  const answer = { rcode: 0, link: 0, metricsSlot: -1 };
  metrics.answerSlots.assign(answer, NAME, qtype, requestSize, responseSize);
  return answer;
}

/** One serving of `answer`, counted as the handler counts it: timed when `seconds` is given, else tallied. */
function serve(
  recorder: QueryRecorder,
  answer: RecordedAnswer,
  transport: 'udp' | 'tcp',
  edns: boolean,
  dnssecOk: boolean,
  seconds?: number,
): void {
  const at = tallyAt(answer.metricsSlot, transport, edns, dnssecOk);
  if (seconds === undefined) recorder.tallies[at]!++;
  else recorder.timedFrom(at, seconds);
}

describe('answers served from compiled bytes', () => {
  const OPT = OPT_RECORD_SIZE;

  it('counts untimed servings in every series as if each had been recorded', () => {
    // The same servings recorded one by one as the general path records them, and served from a
    // compiled answer (one timed, the rest tallied): the scrape must not tell them apart.
    const servings = [
      ['udp', false, false],
      ['udp', true, false],
      ['udp', true, true],
      ['tcp', false, false],
      ['udp', false, false],
    ] as const;
    const recorded = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const tallied = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const served = compiled(tallied, 1, 44, 60);
    const talliedRecorder = tallied.recorder('dns://:53', 4);
    const recordedRecorder = recorded.recorder('dns://:53', 4);
    serve(talliedRecorder, served, 'udp', false, false, 0.000002);
    recordedRecorder.answered(NAME, 1, 'udp', false, 44, 60, 0, 0, 0.000002);
    for (const [transport, edns, dnssecOk] of servings) {
      serve(talliedRecorder, served, transport, edns, dnssecOk);
      const opt = edns ? OPT : 0;
      recordedRecorder.answered(NAME, 1, transport, dnssecOk, 44 + opt, 60 + opt, 0, 0, 0.000002);
    }
    const scraped = tallied.samples();
    expect(scraped).toEqual(recorded.samples());
    expect(scraped.coredns_dns_requests_total).toEqual([
      {
        labels: { server: 'dns://:53', zone: 'cluster.local.', proto: 'udp', family: '1', type: 'A' },
        value: 5,
      },
      {
        labels: { server: 'dns://:53', zone: 'cluster.local.', proto: 'tcp', family: '1', type: 'A' },
        value: 1,
      },
    ]);
    expect(scraped.coredns_dns_do_requests_total).toEqual([
      { labels: { server: 'dns://:53', zone: 'cluster.local.' }, value: 1 },
    ]);
  });

  it('counts untimed servings in the typical duration of the timed ones, not in an outlier', () => {
    const metrics = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const recorder = metrics.recorder('dns://:53', 4);
    const served = compiled(metrics, 1, 44, 60);
    // Three fast timed answers, then one a pause stretched to 8 ms, then 100 untimed.
    for (const seconds of [0.000002, 0.000003, 0.000004, 0.008]) {
      serve(recorder, served, 'udp', false, false, seconds);
    }
    for (let i = 0; i < 100; i++) serve(recorder, served, 'udp', false, false);
    const duration = metrics.samples().coredns_dns_request_duration_seconds!;
    const bucket = (le: string) =>
      duration.find((s) => s.metricName?.endsWith('_bucket') && s.labels.le === le)!.value;
    expect(bucket('0.00025')).toBe(103);
    expect(bucket('0.008')).toBe(104);
    const sum = duration.find((s) => s.metricName?.endsWith('_sum'))!.value;
    expect(sum).toBeCloseTo(0.000002 + 0.000003 + 0.008 + 0.000004 + 100 * 0.000003, 12);
  });

  it('counts a tallied serving once: a second scrape adds only what came after the first', () => {
    const metrics = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const recorder = metrics.recorder('dns://:53', 4);
    const served = compiled(metrics, 28, 44, 60);
    serve(recorder, served, 'udp', false, false);
    serve(recorder, served, 'udp', false, false);
    const requests = () => metrics.samples().coredns_dns_requests_total!.map((s) => s.value);
    expect(requests()).toEqual([2]);
    expect(requests()).toEqual([2]);
    serve(recorder, served, 'udp', false, false);
    expect(requests()).toEqual([3]);
  });

  it('counts every serving of a long run between scrapes, over many answers, as if recorded one by one', () => {
    // Thousands of untimed servings, spread over answers of different sizes compiled while the
    // listeners already tally, so that their tallies grow meanwhile.
    const recorded = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const tallied = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const talliedRecorder = tallied.recorder('dns://:53', 4);
    const recordedRecorder = recorded.recorder('dns://:53', 4);
    const answers = Array.from({ length: 300 }, (_, i) => compiled(tallied, 1, 44, 60 + i * 16));
    answers.forEach((answer, i) => {
      serve(talliedRecorder, answer, 'udp', false, false, 0.000002);
      recordedRecorder.answered(NAME, 1, 'udp', false, 44, 60 + i * 16, 0, 0, 0.000002);
    });
    const servings = 12_305;
    for (let n = 0; n < servings; n++) {
      const i = (n * 7919) % 300;
      const transport = n % 5 === 0 ? 'tcp' : 'udp';
      const edns = n % 3 === 0;
      const opt = edns ? OPT : 0; // in the query and in the reply
      serve(talliedRecorder, answers[i]!, transport, edns, false);
      recordedRecorder.answered(NAME, 1, transport, false, 44 + opt, 60 + i * 16 + opt, 0, 0, 0.000002);
    }
    // Equal but for the rounding of the duration sums: one addition per serving against one product.
    const rounded = (samples: object) =>
      JSON.parse(
        JSON.stringify(samples, (_key, value) =>
          typeof value === 'number' ? +value.toPrecision(12) : value,
        ),
      );
    const scraped = tallied.samples();
    expect(rounded(scraped)).toEqual(rounded(recorded.samples()));
    const total = scraped.coredns_dns_requests_total!.reduce((sum, sample) => sum + sample.value, 0);
    expect(total).toBe(300 + servings);
  });

  it('shares the slots between the listeners of one set of metrics, and keeps their counts apart', () => {
    const metrics = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const served = compiled(metrics, 1, 44, 60);
    for (const family of [4, 6, 4] as const)
      serve(metrics.recorder('dns://:53', family), served, 'udp', false, false);
    expect(metrics.samples().coredns_dns_requests_total!.map((s) => [s.labels.family, s.value])).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
  });

  it('gives answers alike one slot, and counts an answer left without a slot as any other query', () => {
    const metrics = new QueryMetrics(['cluster.local'], ['kubernetes']);
    const recorder = metrics.recorder('dns://:53', 4);
    expect(compiled(metrics, 1, 44, 60).metricsSlot).toBe(compiled(metrics, 1, 44, 60).metricsSlot);
    // Every slot taken by answers of other sizes: the next one gets none.
    for (let size = 61; metrics.answerSlots.slots.length < MAX_ANSWER_SLOTS; size++)
      compiled(metrics, 1, 44, size);
    const unslotted = compiled(metrics, 28, 44, 70);
    expect(unslotted.metricsSlot).toBe(-1);
    recorder.answeredFrom(unslotted, NAME, 28, 'udp', true, 44 + OPT, 70 + OPT, 0.000002);
    recorder.answeredFrom(unslotted, NAME, 28, 'udp', false, 44, 70, undefined);
    const samples = metrics.samples();
    expect(samples.coredns_dns_requests_total).toEqual([
      {
        labels: { server: 'dns://:53', zone: 'cluster.local.', proto: 'udp', family: '1', type: 'AAAA' },
        value: 2,
      },
    ]);
    expect(samples.coredns_dns_do_requests_total!.map((s) => s.value)).toEqual([1]);
    const sizeSum = samples.coredns_dns_response_size_bytes!.find((s) => s.metricName?.endsWith('_sum'))!;
    expect(sizeSum.value).toBe(70 + OPT + 70);
  });
});

describe('pretty log lines', () => {
  it('puts time, level and message first, then the fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      pid: 1,
      hostname: 'h',
      msg: 'upstream marked down',
      upstream: '10.0.0.1:53',
      failures: 2,
      note: 'two words',
    });
    expect(prettyLine(line)).toBe(
      '03:04:05.678 WARN  upstream marked down upstream=10.0.0.1:53 failures=2 note="two words"',
    );
  });
});
