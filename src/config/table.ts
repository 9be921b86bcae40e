// The option table: every section's rows, in the order --help and the configuration reference list
// them. One table drives the flags, the CLUSTERDNS_* environment variables, the config file's keys,
// --help and the reference (docs/configuration.md), so each option is declared once, in its section.
import { ACCESS_OPTIONS } from './options/access.js';
import { CACHE_OPTIONS } from './options/cache.js';
import { CLUSTER_OPTIONS } from './options/cluster.js';
import { ETCD_OPTIONS } from './options/etcd.js';
import { EXTERNAL_OPTIONS } from './options/external.js';
import { FILES_OPTIONS } from './options/files.js';
import { FORWARD_OPTIONS } from './options/forward.js';
import { HOSTS_OPTIONS } from './options/hosts.js';
import { KUBERNETES_OPTIONS } from './options/kubernetes.js';
import { NACOS_OPTIONS } from './options/nacos.js';
import { OPS_OPTIONS } from './options/ops.js';
import { PLUGIN_OPTIONS } from './options/plugins.js';
import { QUERY_LOG_OPTIONS } from './options/query-log.js';
import type { OptionSpec } from './options/reading.js';
import { REGISTRY_OPTIONS } from './options/registries.js';
import { LISTEN_OPTIONS, SERVER_OPTIONS } from './options/server.js';

export const OPTIONS = {
  config: {
    type: 'string',
    metavar: 'FILE',
    help: 'YAML file of options, keys as the flag names; flags and variables override it; reloaded on change',
  },
  corefile: {
    type: 'string',
    metavar: 'FILE',
    help: 'run a CoreDNS Corefile (see README.md); flags and variables override it; reloaded on change',
  },
  ...FILES_OPTIONS,
  ...KUBERNETES_OPTIONS,
  ...ETCD_OPTIONS,
  ...NACOS_OPTIONS,
  ...REGISTRY_OPTIONS,
  ...LISTEN_OPTIONS,
  ...CLUSTER_OPTIONS,
  ...EXTERNAL_OPTIONS,
  ...HOSTS_OPTIONS,
  ...PLUGIN_OPTIONS,
  ...FORWARD_OPTIONS,
  ...ACCESS_OPTIONS,
  ...CACHE_OPTIONS,
  ...QUERY_LOG_OPTIONS,
  ...SERVER_OPTIONS,
  ...OPS_OPTIONS,
  help: { type: 'boolean', help: 'show this help' },
  version: { type: 'boolean', help: 'print the version' },
} satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

/** Keys that choose where options come from, or what the command does, rather than serving. */
export const COMMAND_OPTIONS: readonly string[] = ['help', 'version', 'config', 'corefile'];

export function envName(option: string): string {
  return `CLUSTERDNS_${option.toUpperCase().replaceAll('-', '_')}`;
}

export function optionSpec(name: string): OptionSpec | undefined {
  return Object.hasOwn(OPTIONS, name) ? (OPTIONS as Record<string, OptionSpec>)[name] : undefined;
}

export function usage(): string {
  const lines = [
    'Usage: clusterdns [options]',
    '       clusterdns config print [options]   show the effective configuration as a config file',
    '       clusterdns register --help          keep an instance registered in etcd',
    '',
    'Options (each also read from CLUSTERDNS_<OPTION>, and from the --config file under its own name):',
  ];
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const flag = `--${name}${spec.metavar ? ` ${spec.metavar}` : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${spec.help}`);
  }
  return lines.join('\n');
}
