// Which answered queries get a query-log line: CoreDNS's log plugin (https://coredns.io/plugins/log/)
// logs the names under its NAMES, and with `class` only answers of those classes. Its classes
// (plugin/pkg/response/classify.go): success is NOERROR with data or a delegation, denial is
// NXDOMAIN or NODATA, error is every other rcode.
import type { QueryLogClass } from '../config/options/query-log.js';
import { Rcode, type Answer } from '../dns/types.js';
import { ZoneList } from '../dns/zones.js';

export function answerClass(answer: Answer): QueryLogClass {
  if (answer.rcode === Rcode.NXDOMAIN) return 'denial';
  if (answer.rcode !== Rcode.NOERROR) return 'error';
  return answer.answers.length > 0 || answer.authority.some((record) => record.data.type === 'NS')
    ? 'success'
    : 'denial';
}

export class QueryLogFilter {
  private readonly names: ZoneList | undefined;
  private readonly classes: ReadonlySet<QueryLogClass>;
  /**
   * Whether a compiled answer could be one to log: they are all successes or denials, so a log of
   * errors only leaves the fast path on.
   */
  readonly logsCompiled: boolean;

  constructor({ zones, classes }: { zones: readonly string[]; classes: readonly QueryLogClass[] }) {
    this.names = zones.includes('.') ? undefined : new ZoneList(zones);
    this.classes = new Set(classes);
    this.logsCompiled = this.classes.has('success') || this.classes.has('denial');
  }

  wants(name: string, answer: Answer): boolean {
    return this.classes.has(answerClass(answer)) && (this.names === undefined || this.names.holds(name));
  }
}
