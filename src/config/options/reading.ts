// What an option section declares (its rows of the option table) and what it reads them through:
// the layers merged, each value checked with a message naming where it was set (flag, variable,
// file key or Corefile line).
import type { ConfigError } from '../values.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  help: string;
  metavar?: string;
  /** The value taken when no flag, variable or file sets it; shown by `config print` and the docs. */
  defaultValue?: string | readonly string[];
  /** A repeatable option whose variable holds one value, not a comma-separated list (values hold commas). */
  wholeInEnv?: boolean;
  /**
   * An option whose unset value depends on what is served (the bundled zones/ turn on the demo's
   * zonal, topology-aware and multicluster names): `config print` leaves it out unless set, since
   * printing the value it has elsewhere (`false`, the default zones) would turn the demo off.
   */
  defaultByZones?: boolean;
}

/** An option's value before checking: flags and files give strings, booleans and lists of strings. */
export type RawValue = string | boolean | string[];

/** One place options come from, and how a message names a key there. */
export interface OptionLayer {
  values: Partial<Record<string, RawValue>>;
  /** `--ttl`, `CLUSTERDNS_TTL`, `clusterdns.yaml: ttl`, `Corefile:7 ttl`: what the user can find. */
  label: (name: string) => string;
}

/** A section's view of the merged layers, for the options named `N`. */
export interface Reading<N extends string = string> {
  /** The value the first layer sets, else the option's default. */
  read(name: N): RawValue | undefined;
  /** The value the first layer sets, without the default. */
  given(name: N): RawValue | undefined;
  text(name: N): string | undefined;
  /** A repeatable option's values, each comma-separated list split. */
  list(name: N): string[] | undefined;
  /** A boolean option, false when unset. */
  flag(name: N): boolean;
  /** Where the option was set, as the user wrote it. */
  label(name: N): string;
  fail(name: N, message: string): ConfigError;
  /** `parse(value)`, its error named by where the option was set. */
  checked<T>(name: N, parse: (value: string) => T, value: string): T;
  /** A whole number in [min, max]. */
  number(name: N, min: number, max: number): number;
  seconds(name: N): number;
  /** A duration in seconds, as whole milliseconds. */
  ms(name: N): number;
  /** Zone names ('.' kept), lower-case without the dot; undefined when unset. */
  zoneList(name: N): string[] | undefined;
}
