// The value parsers every option section shares, and the error a user can act on. Each parser
// throws an Error saying what was expected; the caller names the option where the value was set.

/** A configuration the server cannot run: the message names the flag, variable, file or line. */
export class ConfigError extends Error {}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

export function integer(value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new Error(`"${value}": expected a whole number from ${min} to ${max}`);
  }
  return number;
}

/** A duration as `2s`, `500ms`, `5m`, `1h` or plain seconds; returns seconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`"${value}": expected a duration such as 2s, 500ms, 5m or 1h`);
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * scale;
}
