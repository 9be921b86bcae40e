// The small plugins: rewrite, local, whoami, template, dns64 and loadbalance, each as CoreDNS's.
import { writeIPv6 } from '../../dns/address.js';
import { parseRewriteRule } from '../../syntax/rewrite-rules.js';
import type { TemplateSpec } from '../../syntax/template-spec.js';
import { templateOption } from '../template.js';
import type { OptionSpec, Reading } from './reading.js';

/** The well-known prefix, RFC 6052 §2.1. */
export const DNS64_DEFAULT_PREFIX = '64:ff9b::/96';

export const PLUGIN_OPTIONS = {
  rewrite: {
    type: 'string',
    multiple: true,
    metavar: '"RULE"',
    help: 'a rule as a Corefile writes it after rewrite: [stop|continue] name [exact|prefix|suffix|substring|regex] FROM TO [answer auto|name FROM TO|value FROM TO], or type, class or ttl rules; applied in order to each question before it is answered; repeatable',
  },
  local: {
    type: 'boolean',
    help: 'answer localhost., names below it, localhost.<domain> and the 0, 127 and 255.in-addr.arpa zones here, never upstream',
  },
  whoami: {
    type: 'boolean',
    help: 'answer names nothing else answers with the client address and port (A/AAAA and SRV in the additional section), as CoreDNS whoami',
  },
  template: {
    type: 'string',
    multiple: true,
    metavar: '"CLASS TYPE [ZONE...] {...}"',
    // A regex such as {4,} holds a comma: CLUSTERDNS_TEMPLATE is one template.
    wholeInEnv: true,
    help: "answer names matching a regex with records from Go templates, as CoreDNS's template plugin; the words a Corefile writes after template, block and all; repeatable (the variable holds one)",
  },
  dns64: {
    type: 'string',
    metavar: 'PREFIX',
    help: `answer an IPv6 client's AAAA question for a name with A records only with AAAA records embedding them in PREFIX (RFC 6147 DNS64; ${DNS64_DEFAULT_PREFIX} is the well-known one; length 32, 40, 48, 56, 64 or 96)`,
  },
  'dns64-translate-all': {
    type: 'boolean',
    help: 'with --dns64: synthesize AAAA records from A records even for names that have AAAA records',
  },
  'dns64-allow-ipv4': {
    type: 'boolean',
    help: 'with --dns64: synthesize for clients asking over IPv4 too',
  },
  loadbalance: {
    type: 'boolean',
    help: 'rotate the order of A and AAAA records in each answer (round robin)',
  },
} satisfies Record<string, OptionSpec>;

type PluginOptionName = keyof typeof PLUGIN_OPTIONS;

export interface PluginsConfig {
  /**
   * CoreDNS rewrite rules, each as its words (`name suffix .a .b`), applied in order to every question
   * before the chain (resolve/rewrite/); empty: off.
   */
  rewrite: string[][];
  /** Answers made from templates for names matching a regex (the template plugin), in order. */
  templates: TemplateSpec[];
  /** Rotate A/AAAA order per answer. */
  loadbalance: boolean;
  /** Answer localhost and the loopback reverse zones here (CoreDNS's local plugin). */
  local: boolean;
  /** Answer every question with the client's address and port when nothing forwards (whoami). */
  whoami: boolean;
  /** AAAA records synthesized from A records for IPv6 clients (RFC 6147, resolve/dns64/); absent: off. */
  dns64?: Dns64Options;
}

export function pluginsConfig(reading: Reading<PluginOptionName>): PluginsConfig {
  const { read, checked } = reading;
  return {
    rewrite: ((read('rewrite') as string[] | undefined) ?? []).map((rule) =>
      checked('rewrite', rewriteWords, rule),
    ),
    templates: ((read('template') as string[] | undefined) ?? []).map((value) =>
      checked('template', templateOption, value),
    ),
    loadbalance: reading.flag('loadbalance'),
    local: reading.flag('local'),
    whoami: reading.flag('whoami'),
    ...dns64Config(reading),
  };
}

/** A rule's words, checked by building it. */
function rewriteWords(rule: string): string[] {
  const words = rule
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  try {
    parseRewriteRule(words);
  } catch (error) {
    throw new Error(`"${rule}": ${(error as Error).message}`, { cause: error });
  }
  return words;
}

/** The prefix lengths an IPv4 address can be embedded under, RFC 6052 §2.2. */
const PREFIX_LENGTHS = [32, 40, 48, 56, 64, 96];

export interface Dns64Options {
  /** `ADDRESS/LENGTH`, an IPv6 prefix of a length of PREFIX_LENGTHS. */
  prefix: string;
  /** Synthesize even when the name has AAAA records (CoreDNS's translate_all). */
  translateAll: boolean;
  /** Synthesize for IPv4 clients too (CoreDNS's allow_ipv4). */
  allowIPv4: boolean;
}

export interface Dns64Prefix {
  /** The prefix's 16 bytes, its bits past `length` zero. */
  bytes: Buffer;
  length: number;
}

/** `ADDRESS/LENGTH` as a prefix; throws saying what was expected. */
export function parseDns64Prefix(text: string): Dns64Prefix {
  const expected = `expected an IPv6 prefix of length ${PREFIX_LENGTHS.join(', ')} (RFC 6052), such as ${DNS64_DEFAULT_PREFIX}`;
  const match = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text);
  const length = match ? Number(match[2]) : NaN;
  if (!match || !PREFIX_LENGTHS.includes(length)) throw new Error(`"${text}": ${expected}`);
  const bytes = Buffer.alloc(16);
  try {
    writeIPv6(match[1]!, bytes, 0);
  } catch {
    throw new Error(`"${text}": ${expected}`);
  }
  // Bits past the length are the host part: dropped, as CoreDNS's net.ParseCIDR drops them.
  bytes.fill(0, length / 8);
  return { bytes, length };
}

function dns64Config(reading: Reading<PluginOptionName>): { dns64?: Dns64Options } {
  const { text, flag, checked, fail } = reading;
  const prefix = text('dns64');
  const translateAll = flag('dns64-translate-all');
  const allowIPv4 = flag('dns64-allow-ipv4');
  if (prefix === undefined) {
    // Alone they would do nothing: said, rather than silently ignored.
    if (translateAll) throw fail('dns64-translate-all', 'needs --dns64 PREFIX');
    if (allowIPv4) throw fail('dns64-allow-ipv4', 'needs --dns64 PREFIX');
    return {};
  }
  checked('dns64', parseDns64Prefix, prefix);
  return { dns64: { prefix, translateAll, allowIPv4 } };
}
