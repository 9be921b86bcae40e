// Path-aware readers for untrusted documents. Each reader either returns a value of the right
// shape or throws a FieldError whose message says where and what was expected, e.g.
// 'spec.ports[1].port: expected an integer 1-65535, got "abc"'. A converter catches it once per
// object, so one bad field rejects that object with a message the user can act on.

import type { Protocol } from '../table/types.js';
import { DOMAIN_RULE, LABEL_RULE, isDnsLabel, isDnsSubdomain } from '../dns/label-rules.js';
import { PORT_RULE, isPortNumber } from '../config/address.js';
import { PROTOCOL_RULE, ipFamily, toProtocol } from './validate.js';

export class FieldError extends Error {
  override name = 'FieldError';
}

/** FieldErrors are the user's to fix; anything else is a bug in this code and must surface as one. */
export function problemOf(error: unknown): string {
  if (error instanceof FieldError) return error.message;
  throw error;
}

export type Fields = Record<string, unknown>;

/** A short rendering of a bad value for an error message. */
export function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new FieldError(`${path}: expected ${expected}, got ${describe(got)}`);
}

export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown, path: string): Fields {
  if (!isRecord(value)) fail(path, 'a mapping', value);
  return value;
}

/** Absent and null read as an empty mapping: Kubernetes omits empty sections. */
export function optionalRecord(value: unknown, path: string): Fields {
  return value === undefined || value === null ? {} : record(value, path);
}

/** Absent and null read as an empty list. */
export function list(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(path, 'a list', value);
  return value;
}

export function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') fail(path, 'a non-empty string', value);
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : string(value, path);
}

export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'true or false', value);
  return value;
}

/** Lower-cased, since DNS names match case-insensitively. */
export function label(value: unknown, path: string): string {
  const name = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (name === undefined || !isDnsLabel(name)) fail(path, LABEL_RULE, value);
  return name;
}

export function optionalLabel(value: unknown, path: string): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : label(value, path);
}

export function subdomain(value: unknown, path: string): string {
  const name = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (name === undefined || !isDnsSubdomain(name)) fail(path, DOMAIN_RULE, value);
  return name;
}

/** An absolute or relative domain name; stored lower-case without the trailing dot. */
export function domainName(value: unknown, path: string): string {
  const name = typeof value === 'string' ? value.toLowerCase().replace(/\.$/, '') : undefined;
  if (name === undefined || !isDnsSubdomain(name)) fail(path, DOMAIN_RULE, value);
  return name;
}

export function ip(value: unknown, path: string, family?: 4 | 6): string {
  const found = typeof value === 'string' ? ipFamily(value) : 0;
  if (found === 0 || (family !== undefined && found !== family)) {
    fail(path, family ? `an IPv${family} address` : 'an IPv4 or IPv6 address', value);
  }
  // A copy rather than the parser's string: V8 keeps a substring of 13 characters or more as a
  // slice of the whole text, and a table's addresses would keep every file they came from alive.
  const separator = found === 4 ? '.' : ':';
  return (value as string).split(separator).join(separator);
}

export function port(value: unknown, path: string): number {
  if (!isPortNumber(value)) fail(path, PORT_RULE, value);
  return value;
}

/** Absent or null means TCP, as in Kubernetes. */
export function protocol(value: unknown, path: string): Protocol {
  if (value === undefined || value === null) return 'TCP';
  const parsed = typeof value === 'string' ? toProtocol(value) : undefined;
  if (parsed === undefined) fail(path, PROTOCOL_RULE, value);
  return parsed;
}

/** An unnamed port is allowed (empty name); a named one must be a DNS label. */
export function portName(value: unknown, path: string): string {
  return value === undefined || value === null || value === '' ? '' : label(value, path);
}

/**
 * A Kubernetes label value (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set):
 * at most 63 characters, alphanumeric at both ends, `-`, `_` and `.` between. Lower-cased, since
 * topology zones are matched against DNS labels; absent, null and empty read as absent.
 */
export function optionalLabelValue(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
    fail(path, 'a label value (up to 63 letters, digits, "-", "_" or ".", alphanumeric at both ends)', value);
  }
  return internedValue(value.toLowerCase());
}

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * One string per distinct value: a cluster has a handful of zones and node names, and each of
 * 100 000 endpoints holding its own copy would cost some 3 MB. Bounded, so values that churn
 * cannot grow it: it is emptied when full.
 */
const interned = new Map<string, string>();
const MAX_INTERNED = 4096;

export function internedValue(value: string): string {
  const held = interned.get(value);
  if (held !== undefined) return held;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(value, value);
  return value;
}
