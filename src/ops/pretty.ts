// The human form of a pino JSON line: `12:34:56.789 INFO  message key=value ...`.

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every line has, shown in the prefix rather than as key=value. */
const PREFIX_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !PREFIX_FIELDS.has(key))
    .map(([key, value]) => `${key}=${format(value)}`);
  return [time, level, String(entry.msg ?? ''), ...fields].filter(Boolean).join(' ');
}

function format(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  // An error's stack reads better on its own lines than escaped in one.
  if (value && typeof value === 'object' && 'stack' in value && typeof value.stack === 'string') {
    return `\n    ${value.stack.replaceAll('\n', '\n    ')}\n`;
  }
  return JSON.stringify(value);
}
