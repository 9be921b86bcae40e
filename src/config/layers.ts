// Where options come from: the command line, the CLUSTERDNS_* variables (the config file and the
// Corefile are file.ts's and corefile/'s), merged so that the first layer that sets a key wins it.
import { parseArgs } from 'node:util';
import { withBareKubernetes } from './options/kubernetes.js';
import type { OptionLayer, OptionSpec, RawValue } from './options/reading.js';
import { envName, OPTIONS, usage, type OptionName } from './table.js';
import { ConfigError, splitList } from './values.js';

/** The command line as options and positional words; throws ConfigError with the usage. */
export function flagLayer(argv: string[]): { layer: OptionLayer; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: withBareKubernetes(argv),
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    });
    return { layer: { values, label: (name) => `--${name}` }, positionals };
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${usage()}`);
  }
}

/** CLUSTERDNS_* variables: lists comma-separated, booleans as true/false (also 1/0, yes/no, on/off). */
export function envLayer(env: NodeJS.ProcessEnv): OptionLayer {
  const values: Partial<Record<string, RawValue>> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const fromEnv = env[envName(name)];
    if (fromEnv === undefined || fromEnv === '') continue;
    if (spec.type === 'boolean') values[name] = parseBoolean(name, fromEnv);
    else if (!spec.multiple) values[name] = fromEnv;
    else values[name] = spec.wholeInEnv ? [fromEnv] : splitList(fromEnv);
  }
  return { values, label: envName };
}

/** The layers merged, earliest first: the first that sets a key wins it. */
export function mergeLayers(layers: readonly OptionLayer[]): {
  read: (name: OptionName) => RawValue | undefined;
  label: (name: string) => string;
} {
  const owner = (name: string) => layers.find((layer) => layer.values[name] !== undefined);
  return {
    read: (name) => owner(name)?.values[name],
    label: (name) => owner(name)?.label(name) ?? `--${name}`,
  };
}

function parseBoolean(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${envName(name)}: "${value}": expected true or false`);
}
