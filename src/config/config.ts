// Configuration: every value is checked at the door with a message naming the option where it was
// set (flag, variable, file key or Corefile line), the value and what was expected, and the sections
// (options/) build their parts of one Config. Precedence: flags, then environment, then the config
// file or Corefile, then defaults (layers.ts).
import { parseZone } from '../dns/zones.js';
import { mergeLayers } from './layers.js';
import { accessConfig, type AccessConfig } from './options/access.js';
import { cacheConfig, type CacheConfig } from './options/cache.js';
import { clusterConfig, type ClusterConfig } from './options/cluster.js';
import { externalZoneConfig, type ExternalZoneConfig } from './options/external.js';
import { EMBEDDED_ZONES_DIR, zoneFilesConfig, type ZoneFilesConfig } from './options/files.js';
import { forwardConfig, type ForwardConfig } from './options/forward.js';
import { hostsConfig, type HostsConfig } from './options/hosts.js';
import { opsConfig, type OpsConfig } from './options/ops.js';
import { pluginsConfig, type PluginsConfig } from './options/plugins.js';
import { queryLogConfig, type QueryLogConfig } from './options/query-log.js';
import type { OptionLayer, OptionSpec, Reading } from './options/reading.js';
import { registriesConfig, type RegistriesConfig } from './options/registries.js';
import { serverConfig, type ServerConfig } from './options/server.js';
import { OPTIONS, optionSpec, type OptionName } from './table.js';
import { ConfigError, duration, integer, splitList } from './values.js';

export interface Config
  extends
    OpsConfig,
    RegistriesConfig,
    ServerConfig,
    ClusterConfig,
    HostsConfig,
    PluginsConfig,
    ForwardConfig,
    AccessConfig,
    QueryLogConfig {
  /** How zone files are read: the size cap, and how long a file must be unchanged to be read. */
  zoneFiles: ZoneFilesConfig;
  /** The names this chain takes: its Corefile server block's zones; ['.'] from flags or a file. */
  blockZones: string[];
  /**
   * The other server blocks on this server's port (a Corefile's), each its own chain; this one
   * is the primary block, whose listeners, registries and ops endpoints are the server's.
   */
  blocks: Config[];
  /** Services' external addresses answered under zones of their own (k8s_external); absent: off. */
  external?: ExternalZoneConfig;
  cache: CacheConfig;
}

/** Check every value and build the Config; the first bad value throws, named by where it came from. */
export function buildConfig(layers: readonly OptionLayer[], env: NodeJS.ProcessEnv): Config {
  try {
    return checkLayers(layers, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A check that names the option as its flag (--nacos-api: ...) is told where the value came
    // from instead, so a bad file key or variable is reported as that.
    const match = /^--([a-z0-9-]+)(?=:)/.exec(error.message);
    const label = mergeLayers(layers).label;
    if (!match || !optionSpec(match[1]!) || label(match[1]!) === match[0]) throw error;
    throw new ConfigError(`${label(match[1]!)}${error.message.slice(match[0].length)}`);
  }
}

function checkLayers(layers: readonly OptionLayer[], env: NodeJS.ProcessEnv): Config {
  const reading = readingOf(layers);
  // The sections check in the order their first values were always checked, so that of several
  // bad values the same one is reported first.
  const registries = registriesConfig(reading);
  const cluster = clusterConfig(reading, registries.zonesDir === EMBEDDED_ZONES_DIR);
  const access = accessConfig(reading, env);
  const queryLog = queryLogConfig(reading);
  const forward = forwardConfig(reading);
  return {
    ...registries,
    zoneFiles: zoneFilesConfig(reading),
    ...opsConfig(reading),
    ...serverConfig(reading),
    blockZones: ['.'],
    blocks: [],
    ...cluster,
    ...externalZoneConfig(reading),
    ...hostsConfig(reading),
    ...pluginsConfig(reading),
    ...forward,
    ...access,
    cache: cacheConfig(reading),
    ...queryLog,
  };
}

/** The merged layers as the sections read them, each option's default filling in. */
function readingOf(layers: readonly OptionLayer[]): Reading<OptionName> {
  const { read: given, label } = mergeLayers(layers);
  const read = (name: OptionName) => {
    const value = given(name);
    if (value !== undefined) return value;
    const fallback = (OPTIONS[name] as OptionSpec).defaultValue;
    return typeof fallback === 'string' ? fallback : fallback ? [...fallback] : undefined;
  };
  const fail = (name: OptionName, message: string) => new ConfigError(`${label(name)}: ${message}`);
  const checked = <T>(name: OptionName, parse: (value: string) => T, value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw fail(name, (error as Error).message);
    }
  };
  const text = (name: OptionName) => read(name) as string | undefined;
  const seconds = (name: OptionName) => checked(name, duration, text(name)!);
  return {
    read,
    given,
    text,
    list: (name) => (read(name) as string[] | undefined)?.flatMap(splitList),
    flag: (name) => (read(name) as boolean | undefined) ?? false,
    label,
    fail,
    checked,
    number: (name, min, max) => checked(name, (value) => integer(value, min, max), text(name)!),
    seconds,
    ms: (name) => Math.round(seconds(name) * 1000),
    zoneList: (name) => {
      const value = text(name);
      if (value === undefined) return undefined;
      return splitList(value).map((zone) => (zone === '.' ? '.' : checked(name, parseZone, zone).name));
    },
  };
}
