// Which answers the query log writes a line for: CoreDNS's log plugin's NAMES and `class`
// (https://coredns.io/plugins/log/), as a table of answers and what each filter says of them.
import { describe, expect, it } from 'vitest';
import { Rcode, type Answer } from '../../src/dns/types.js';
import { parseQueryLogClasses } from '../../src/config/options/query-log.js';
import { QueryLogFilter, answerClass } from '../../src/server/query-log.js';

const soa = { name: 'cluster.local', ttl: 5, data: { type: 'SOA' } } as unknown as Answer['authority'][0];
const ns = { name: 'example.com', ttl: 5, data: { type: 'NS', target: 'ns.example.com' } } as const;
const a = { name: 'web.shop.svc.cluster.local', ttl: 5, data: { type: 'A', address: '10.0.0.1' } } as const;
const answer = (rcode: number, answers: Answer['answers'], authority: Answer['authority'] = []): Answer => ({
  rcode,
  authoritative: true,
  answers,
  authority,
  additional: [],
});

describe('query log classes', () => {
  it.each([
    ['NOERROR with data', answer(Rcode.NOERROR, [a]), 'success'],
    ['a delegation', answer(Rcode.NOERROR, [], [ns]), 'success'],
    ['NODATA', answer(Rcode.NOERROR, [], [soa]), 'denial'],
    ['NXDOMAIN', answer(Rcode.NXDOMAIN, [], [soa]), 'denial'],
    ['SERVFAIL', answer(Rcode.SERVFAIL, []), 'error'],
    ['REFUSED', answer(Rcode.REFUSED, []), 'error'],
    ['NOTIMP', answer(Rcode.NOTIMP, []), 'error'],
  ])('%s is %s', (_, given, expected) => {
    expect(answerClass(given)).toBe(expected);
  });

  it.each([
    ['all', ['success', 'denial', 'error']],
    ['error', ['error']],
    ['denial error', ['denial', 'error']],
    ['success,all', ['success', 'denial', 'error']],
  ])('"%s" reads as %j', (text, classes) => {
    expect(parseQueryLogClasses(text)).toEqual(classes);
  });

  it('refuses a class CoreDNS does not have, naming it', () => {
    expect(() => parseQueryLogClasses('errors')).toThrow('"errors": expected all, success, denial or error');
  });
});

describe('the query log filter', () => {
  const rows: [zones: string[], classes: string, name: string, given: Answer, logged: boolean][] = [
    [['.'], 'all', 'web.shop.svc.cluster.local', answer(Rcode.NOERROR, [a]), true],
    [['.'], 'error', 'web.shop.svc.cluster.local', answer(Rcode.NOERROR, [a]), false],
    [['.'], 'error', 'www.example.com', answer(Rcode.SERVFAIL, []), true],
    [['.'], 'denial', 'nope.shop.svc.cluster.local', answer(Rcode.NXDOMAIN, [], [soa]), true],
    [['cluster.local'], 'all', 'www.example.com', answer(Rcode.NOERROR, [a]), false],
    [['cluster.local'], 'all', 'WEB.shop.svc.Cluster.Local', answer(Rcode.NOERROR, [a]), true],
  ];
  it.each(rows)('zones %j, class %s: %s', (zones, classes, name, given, logged) => {
    const filter = new QueryLogFilter({ zones, classes: parseQueryLogClasses(classes) });
    expect(filter.wants(name, given)).toBe(logged);
  });

  it('leaves compiled answers (successes and denials) to the fast path when only errors are logged', () => {
    expect(new QueryLogFilter({ zones: ['.'], classes: ['error'] }).logsCompiled).toBe(false);
    expect(new QueryLogFilter({ zones: ['.'], classes: ['denial'] }).logsCompiled).toBe(true);
  });
});
