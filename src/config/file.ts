// The --config file: YAML whose keys are the flag names, lists as YAML lists. Several YAML
// documents (separated by ---) run several servers, each on its own listen addresses: the form
// `config print` gives a Corefile with several port groups. Unknown keys and values of the wrong
// shape are errors naming the file and key, never ignored.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { OptionLayer, RawValue } from './options/reading.js';
import { COMMAND_OPTIONS, optionSpec } from './table.js';
import { ConfigError } from './values.js';

export function readConfigFile(path: string): OptionLayer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--config: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, path: string): OptionLayer[] {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  if (!Array.isArray(documents)) return [];
  const layers: OptionLayer[] = [];
  for (const document of documents) {
    const problem = document.errors[0];
    if (problem) throw new ConfigError(`${path}: ${problem.message}`);
    const content: unknown = document.toJS();
    if (content === null || content === undefined) continue;
    if (typeof content !== 'object' || Array.isArray(content)) {
      throw new ConfigError(`${path}: expected a mapping of option names to values`);
    }
    const label = (name: string) => `${path}: ${name}`;
    const values: Partial<Record<string, RawValue>> = {};
    for (const [key, value] of Object.entries(content as Record<string, unknown>)) {
      values[key] = fileValue(key, value, label(key));
    }
    layers.push({ values, label });
  }
  return layers;
}

/** A file value in the form a flag gives it: lists of one-value options joined with commas. */
function fileValue(key: string, value: unknown, where: string): RawValue | undefined {
  const spec = optionSpec(key);
  if (!spec || COMMAND_OPTIONS.includes(key)) {
    throw new ConfigError(`${where}: unknown key (expected an option name as in clusterdns --help)`);
  }
  if (value === null || value === undefined) return undefined;
  const scalar = (item: unknown): string => {
    if (typeof item === 'string' || typeof item === 'number') return String(item);
    throw new ConfigError(`${where}: ${JSON.stringify(item)}: expected ${spec.metavar ?? 'a string'}`);
  };
  if (spec.type === 'boolean') {
    if (typeof value === 'boolean') return value;
    throw new ConfigError(`${where}: ${JSON.stringify(value)}: expected true or false`);
  }
  if (spec.multiple) return Array.isArray(value) ? value.map(scalar) : [scalar(value)];
  return Array.isArray(value) ? value.map(scalar).join(',') : scalar(value);
}
