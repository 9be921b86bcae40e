// What a directive's handler is given (the block's options, its zones and port) and the checks
// every handler shares; each refusal names the line and what was expected.
import type { OptionLayer, RawValue } from '../../options/reading.js';
import { optionSpec } from '../../table.js';
import { ConfigError } from '../../values.js';
import type { Directive } from '../parse.js';

/** The options one server block sets, each remembering the line that set it. */
export class Options {
  readonly values: Partial<Record<string, RawValue>> = {};
  private readonly where = new Map<string, string>();

  constructor(private readonly notices: string[]) {}

  set(name: string, value: RawValue, directive: Directive, what = directive.name): void {
    if (!optionSpec(name)) {
      // Options another part of clusterdns owns (health, ready, metrics, lameduck) may not exist
      // in this build yet: say so at start-up rather than drop them unseen.
      this.notices.push(
        `${directive.where}: ${what} ${JSON.stringify(value)} has no clusterdns option "${name}" in this build; not served`,
      );
      return;
    }
    this.values[name] = value;
    this.where.set(name, `${directive.where} (${what})`);
  }

  /** A warning logged at start-up and on every reload. */
  notice(text: string): void {
    this.notices.push(text);
  }

  /**
   * What CoreDNS does when a Corefile leaves a plugin out (no health endpoint, no lameduck), as a
   * value the option takes when this build has it: unlike a user's setting, nothing is lost
   * when it does not.
   */
  setDefault(name: string, value: RawValue, directive: Directive, what: string): void {
    if (optionSpec(name) && this.values[name] === undefined) this.set(name, value, directive, what);
  }

  /** Where `name` was set, for messages. */
  whereOf(name: string): string {
    return this.where.get(name) ?? 'default';
  }

  /** Take where `name` was set from another block, whose value this one now has. */
  borrow(name: string, other: Options): void {
    this.where.set(name, other.whereOf(name));
  }

  layer(blockWhere: string): OptionLayer {
    const where = this.where;
    return {
      values: this.values,
      label: (name) => where.get(name) ?? `${blockWhere} (server block)`,
    };
  }
}

export function fail(directive: Directive, message: string): never {
  throw new ConfigError(`${directive.where}: ${message}`);
}

export function normalizeZone(zone: string): string {
  return zone === '.' ? '.' : zone.replace(/\.$/, '').toLowerCase();
}

export interface Context {
  options: Options;
  zones: string[];
  port: number;
  /** `cache { disable ... ZONE }` zones, checked against the served zones once all are known. */
  cacheDisabled: { zone: string; where: string }[];
}

export type Handler = (directive: Directive, context: Context) => void;

export function expectArgs(directive: Directive, min: number, max: number, shape: string): void {
  if (directive.args.length < min || directive.args.length > max) {
    fail(directive, `${directive.name}: expected ${directive.name} ${shape}`);
  }
}

export function noBlock(directive: Directive): void {
  const first = directive.block[0];
  if (first) {
    fail(
      first,
      `${directive.name} option "${first.name}" is not supported: write ${directive.name} without a block`,
    );
  }
}

/** Sub-directives through their handlers; any other is an error naming it. */
export function subdirectives(
  directive: Directive,
  handlers: Record<string, (sub: Directive) => void>,
  other?: (sub: Directive) => boolean,
): void {
  for (const sub of directive.block) {
    const handler = handlers[sub.name];
    if (handler) handler(sub);
    else if (!other?.(sub)) {
      fail(
        sub,
        `${directive.name} option "${sub.name}" is not supported: remove it; the ${directive.name} options clusterdns runs are ${Object.keys(handlers).join(', ')}`,
      );
    }
  }
}

export function noArgs(sub: Directive, parent: string): void {
  if (sub.args.length) fail(sub, `${parent} ${sub.name}: expected ${sub.name} with no arguments`);
}

export function oneArg(sub: Directive, parent: string, shape: string): string {
  if (sub.args.length !== 1) fail(sub, `${parent} ${sub.name}: expected ${sub.name} ${shape}`);
  return sub.args[0]!;
}

/** A block line's words; a block inside a rewrite block is refused. */
export function blockWords(sub: Directive, directive: Directive): string[] {
  if (sub.block.length) fail(sub, `${directive.name}: a block inside a rule's block is not supported`);
  return [sub.name, ...sub.args];
}
