// The query log and the log level: which answered queries get a line (CoreDNS's log plugin,
// https://coredns.io/plugins/log/, its classes as plugin/pkg/response/classify.go sorts answers).
import type { OptionSpec, Reading } from './reading.js';

export const QUERY_LOG_OPTIONS = {
  'log-queries': {
    type: 'boolean',
    help: 'log one line per query (client, name, type, transport, rcode, size, duration)',
  },
  'log-zones': {
    defaultValue: '.',
    type: 'string',
    metavar: 'ZONE,...',
    help: 'with --log-queries, log only names under these zones (default ., every name)',
  },
  'log-classes': {
    defaultValue: 'all',
    type: 'string',
    metavar: 'CLASS,...',
    help: 'with --log-queries, log only answers of these classes: all, success, denial (NXDOMAIN, NODATA), error (default all)',
  },
  'log-level': {
    defaultValue: 'info',
    type: 'string',
    metavar: 'LEVEL',
    help: 'trace | debug | info | warn | error (default info)',
  },
} satisfies Record<string, OptionSpec>;

export type QueryLogClass = 'success' | 'denial' | 'error';
const QUERY_LOG_CLASSES: readonly QueryLogClass[] = ['success', 'denial', 'error'];

/** `all` or a list of classes, as `log-classes` takes them. */
export function parseQueryLogClasses(value: string): QueryLogClass[] {
  const classes = new Set<QueryLogClass>();
  for (const word of value.split(/[\s,]+/).filter(Boolean)) {
    if (word === 'all') QUERY_LOG_CLASSES.forEach((each) => classes.add(each));
    else if ((QUERY_LOG_CLASSES as readonly string[]).includes(word)) classes.add(word as QueryLogClass);
    else throw new Error(`"${word}": expected all, success, denial or error`);
  }
  if (classes.size === 0) throw new Error(`"${value}": expected all, success, denial or error`);
  return QUERY_LOG_CLASSES.filter((each) => classes.has(each));
}

export interface QueryLogConfig {
  logQueries: boolean;
  /** Which logged queries get a line: names under these zones, answers of these classes. */
  queryLog: { zones: string[]; classes: QueryLogClass[] };
  logLevel: string;
}

export function queryLogConfig(reading: Reading<keyof typeof QUERY_LOG_OPTIONS>): QueryLogConfig {
  const logLevel = reading.text('log-level')!;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw reading.fail('log-level', `"${logLevel}": expected trace, debug, info, warn or error`);
  }
  return {
    logQueries: reading.flag('log-queries'),
    queryLog: {
      zones: reading.zoneList('log-zones')!,
      classes: reading.checked('log-classes', parseQueryLogClasses, reading.text('log-classes')!),
    },
    logLevel,
  };
}
