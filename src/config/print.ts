// `clusterdns config print`: the effective options as a config file, so what runs can be saved and
// run again with --config. Comma lists print as YAML lists and whole numbers as numbers.
import { stringify } from 'yaml';
import { mergeLayers } from './layers.js';
import type { OptionLayer, OptionSpec } from './options/reading.js';
import { COMMAND_OPTIONS, OPTIONS, type OptionName } from './table.js';
import { splitList } from './values.js';

/** A server's blocks, with flags and variables layered over each; its primary block first. */
export type ServerLayers = { zones: string[]; layers: OptionLayer[] }[];

export function effectiveValues(layers: readonly OptionLayer[]): Record<string, unknown> {
  const { read } = mergeLayers(layers);
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    if (COMMAND_OPTIONS.includes(name)) continue;
    if (spec.defaultByZones && read(name) === undefined) continue;
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

/**
 * One YAML document per server (port group). A Corefile's further server blocks on a port follow
 * their server as commented documents: a config file has one chain per server, so they are shown
 * for reading, and run from the Corefile only.
 */
export function printConfig(servers: readonly ServerLayers[]): string {
  const header =
    '# clusterdns effective configuration: run it with clusterdns --config FILE.\n' +
    '# Options not listed are unset; see clusterdns --help.\n';
  return (
    header +
    servers
      .map(([primary, ...others]) =>
        [
          stringify(effectiveValues(primary!.layers)),
          ...others.map(
            (block) =>
              `# server block for ${block.zones.join(' ')} on the same port (a Corefile block of its own):\n` +
              stringify(effectiveValues(block.layers))
                .split('\n')
                .map((line) => (line ? `#   ${line}` : line))
                .join('\n'),
          ),
        ].join(''),
      )
      .join('---\n')
  );
}
