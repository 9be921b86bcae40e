// `clusterdns config print`: the effective options as a config file, so what runs can be saved and
// run again with --config. Comma lists print as YAML lists and whole numbers as numbers.
import { stringify } from 'yaml';
import {
  COMMAND_OPTIONS,
  mergeLayers,
  OPTIONS,
  splitList,
  type OptionLayer,
  type OptionName,
  type OptionSpec,
} from './config.js';

export function effectiveValues(layers: readonly OptionLayer[]): Record<string, unknown> {
  const { read } = mergeLayers(layers);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    if (COMMAND_OPTIONS.includes(name)) continue;
    // An unset switch is off: say so, so the file shows every switch there is.
    const value = read(name) ?? spec.defaultValue ?? (spec.type === 'boolean' ? false : undefined);
    if (value === undefined) continue;
    values[name] = fileForm(spec, value);
  }
  return values;
}

function fileForm(spec: OptionSpec, value: string | boolean | readonly string[]): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return value.map(scalar);
  // A one-value option documented as a list (NS,...) is a YAML list in the file.
  if (spec.metavar?.endsWith(',...')) return splitList(value).map(scalar);
  return scalar(value);
}

function scalar(value: string): string | number {
  return /^(0|[1-9]\d{0,8})$/.test(value) ? Number(value) : value;
}

/** One YAML document per server (port group). */
export function printConfig(servers: readonly (readonly OptionLayer[])[]): string {
  const header =
    '# clusterdns effective configuration: run it with clusterdns --config FILE.\n' +
    '# Options not listed are unset; see clusterdns --help.\n';
  return header + servers.map((layers) => stringify(effectiveValues(layers))).join('---\n');
}
