// The command line: what to do (serve, print the configuration, help, version) and, for serving,
// a loader that reads the config file or Corefile afresh each time, so a reload sees its new text
// under the same flags and environment.
import { buildConfig, ConfigError, envLayer, flagLayer, type Config, type OptionLayer } from './config.js';
import { readBounded } from './corefile/import.js';
import { translateCorefile } from './corefile/translate.js';
import { readConfigFile } from './file.js';
import { printConfig, type ServerLayers } from './print.js';

export interface LoadedServers {
  /** One per server: a config file's YAML document, or a Corefile's port group. */
  configs: Config[];
  /** Things worth a warning at start-up (a Corefile setting this build carries no option for). */
  notices: string[];
  /** Files (and directories) besides the config file whose change reloads it: a Corefile's imports. */
  imported: string[];
}

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'print'; text: string }
  | {
      kind: 'serve';
      /** The first server's config (the only one unless a file defines several). */
      config: Config;
      loaded: LoadedServers;
      /** Reads the file again and checks it; throws ConfigError, naming the key, when it is bad. */
      load: () => LoadedServers;
      /** The file to watch for changes, if any. */
      watch?: string;
    };

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const { layer: flags, positionals } = flagLayer(argv);
  if (flags.values.help) return { kind: 'help' };
  if (flags.values.version) return { kind: 'version' };
  const print = positionals.length === 2 && positionals[0] === 'config' && positionals[1] === 'print';
  if (positionals.length > 0 && !print) {
    throw new ConfigError(
      `unexpected argument "${positionals.join(' ')}": the commands are config print and register`,
    );
  }
  const variables = envLayer(env);
  const source = sourceFile(flags, variables);
  // A Corefile's server blocks say where they listen: CLUSTERDNS_LISTEN is the address when the
  // configuration names none (the image sets it), so it does not move them; --listen, given on
  // this command line, still does for a one-server Corefile.
  const environment = source?.kind === 'Corefile' ? without(variables, ['listen']) : variables;
  const layersOf = (): { servers: ServerLayers[]; notices: string[]; imported: string[] } => {
    const { servers, notices, imported } = readSource(source, env);
    if (servers.length > 1) {
      for (const name of ['listen'])
        for (const layer of [flags, environment])
          if (layer.values[name] !== undefined)
            throw new ConfigError(
              `${layer.label(name)}: the ${source?.kind} defines ${servers.length} servers, each with its own addresses: set them there`,
            );
    }
    // Flags and variables override every block, but choose a registry only for the block that
    // reads one (a Corefile's forwarding blocks stay forwarders under --kubernetes), and upstreams
    // only for blocks without upstream addresses of their own (a stub domain keeps its own).
    const above = (block: SourceBlock) => {
      const kept = [
        ...(block.registry ? [] : REGISTRY_OPTIONS),
        ...(block.ownUpstreams ? UPSTREAM_OPTIONS : []),
      ];
      return [without(flags, kept), without(environment, kept)];
    };
    return {
      servers: servers.map((server) =>
        server.map((block) => ({ zones: block.zones, layers: [...above(block), ...block.layers] })),
      ),
      notices,
      imported,
    };
  };
  const load = (): LoadedServers => {
    const { servers, notices, imported } = layersOf();
    return {
      configs: servers.map((blocks) => {
        const [primary, ...others] = blocks.map((block) => ({
          ...buildConfig(block.layers, env),
          blockZones: block.zones,
        }));
        return { ...primary!, blocks: others };
      }),
      notices,
      imported,
    };
  };
  const loaded = load();
  if (print) return { kind: 'print', text: printConfig(layersOf().servers) };
  return {
    kind: 'serve',
    config: loaded.configs[0]!,
    loaded,
    load,
    ...(source ? { watch: source.path } : {}),
  };
}

interface Source {
  kind: 'config file' | 'Corefile';
  path: string;
}

function sourceFile(flags: OptionLayer, environment: OptionLayer): Source | undefined {
  const pick = (name: string) => (flags.values[name] ?? environment.values[name]) as string | undefined;
  const config = pick('config');
  const corefile = pick('corefile');
  if (config !== undefined && corefile !== undefined) {
    throw new ConfigError('--config and --corefile: give one of them, not both');
  }
  if (config !== undefined) return { kind: 'config file', path: config };
  if (corefile !== undefined) return { kind: 'Corefile', path: corefile };
  return undefined;
}

/** A server block's option layers, and the names its chain takes. */
interface SourceBlock {
  zones: string[];
  layers: OptionLayer[];
  /** Whether the block reads a registry: flags choosing one apply to it. */
  registry: boolean;
  /** Whether the block forwards to addresses of its own: flags choosing upstreams do not apply. */
  ownUpstreams: boolean;
}

/** Options that start a registry, kept from the blocks of a Corefile that read none. */
const REGISTRY_OPTIONS = ['zones', 'kubernetes', 'kubeconfig', 'etcd', 'nacos'];
/** Options that choose upstreams, kept from a block that forwards to addresses of its own. */
const UPSTREAM_OPTIONS = ['upstream', 'resolv-conf'];

function without(layer: OptionLayer, names: readonly string[]): OptionLayer {
  if (names.length === 0) return layer;
  const values = { ...layer.values };
  for (const name of names) delete values[name];
  return { values, label: layer.label };
}

/**
 * The file's servers as option layers; no file is one server of flags, variables and defaults.
 * A Corefile's {$VAR} reads the same environment as the CLUSTERDNS_* variables.
 */
function readSource(
  source: Source | undefined,
  env: NodeJS.ProcessEnv,
): { servers: SourceBlock[][]; notices: string[]; imported: string[] } {
  const whole = (layers: OptionLayer[]): SourceBlock[] => [
    { zones: ['.'], layers, registry: true, ownUpstreams: false },
  ];
  if (!source) return { servers: [whole([])], notices: [], imported: [] };
  if (source.kind === 'config file') {
    const layers = readConfigFile(source.path);
    return {
      servers: layers.length ? layers.map((layer) => whole([layer])) : [whole([])],
      notices: [],
      imported: [],
    };
  }
  const text = readBounded(source.path, '--corefile');
  const { servers, notices, imported } = translateCorefile(text, source.path, env);
  return {
    servers: servers.map((server) =>
      server.blocks.map(({ zones, layer, registry, ownUpstreams }) => ({
        zones,
        layers: [layer],
        registry,
        ownUpstreams,
      })),
    ),
    notices,
    imported,
  };
}
