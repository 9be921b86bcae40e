// A Corefile as clusterdns options: each server block becomes one server's option layer (the same
// form a config file gives), so one checker validates both and `config print` shows the result.
// A directive or sub-directive clusterdns does not carry out is an error naming it and its line:
// running a Corefile with parts silently dropped would answer differently from CoreDNS.
import { ZoneList } from '../../dns/zones.js';
import type { OptionLayer } from '../options/reading.js';
import { ConfigError } from '../values.js';
import { CACHE_DIRECTIVES } from './directives/cache.js';
import { FORWARD_DIRECTIVES } from './directives/forward.js';
import { fail, normalizeZone, Options, type Context, type Handler } from './directives/handler.js';
import { KUBERNETES_DIRECTIVES } from './directives/kubernetes.js';
import { PLUGIN_DIRECTIVES } from './directives/plugins.js';
import { RULE_DIRECTIVES } from './directives/rules.js';
import { parseCorefile, type Directive, type ServerBlock } from './parse.js';

export interface TranslatedCorefile {
  /** One per port group (the server blocks that share a port and bind addresses). */
  servers: TranslatedServer[];
  notices: string[];
  /** Imported files and the directories of imported globs: a change to one reloads the Corefile. */
  imported: string[];
}

/** A port's server blocks, each its own plugin chain; the first is the server's primary block. */
export interface TranslatedServer {
  blocks: TranslatedBlockLayer[];
}

export interface TranslatedBlockLayer {
  /** The block's keys: the names whose queries its chain takes (the longest match wins). */
  zones: string[];
  where: string;
  layer: OptionLayer;
  /** Whether the block reads a registry (kubernetes): registry flags apply to it alone. */
  registry: boolean;
  /**
   * Whether the block's forward is its own: no forward at all (flags give it none), or upstreams of
   * its own in a block beside the primary (a stub domain, NodeLocal DNSCache's cluster.local block).
   * --upstream and --resolv-conf replace the primary block's forward only.
   */
  ownUpstreams: boolean;
}

/**
 * Each server block is one plugin chain, as in CoreDNS: a query goes to the blocks on its port,
 * then to the block with the longest zone holding its name. The block with `kubernetes` (at most
 * one per port) reads the registry and is the server's primary block: its ports, TCP limits and
 * ops endpoints are the server's. A port without one is a caching forwarder (NodeLocal DNSCache),
 * its primary block the one for `.` or else the first.
 */
export function translateCorefile(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): TranslatedCorefile {
  const notices: string[] = [];
  const groups = new Map<string, TranslatedBlock[]>();
  const owners = new Map<string, { key: string; where: string }>();
  const imported = new Set<string>();
  for (const block of parseCorefile(text, file, env, imported)) {
    for (const translated of translateBlock(block, notices)) {
      const listens = translated.options.values.listen as string[];
      const key = [...listens].sort().join(' ');
      for (const listen of listens) {
        const owner = owners.get(listen);
        if (owner && owner.key !== key) {
          throw new ConfigError(
            `${block.where}: server blocks sharing ${listen} must bind the same addresses (see ${owner.where})`,
          );
        }
        owners.set(listen, { key, where: block.where });
      }
      groups.set(key, [...(groups.get(key) ?? []), translated]);
    }
  }
  return {
    servers: [...groups.values()].map((group) => translateGroup(group, notices)),
    notices,
    imported: [...imported],
  };
}

interface TranslatedBlock {
  line: number;
  where: string;
  zones: string[];
  options: Options;
  directives: Directive[];
  cacheDisabled: Context['cacheDisabled'];
}

/** Settings of the server, not of a block: the primary block takes each from the first block that sets it. */
const SERVER_OPTIONS = ['health', 'ready', 'metrics', 'lameduck'];

function translateGroup(group: TranslatedBlock[], notices: string[]): TranslatedServer {
  const kubernetes = group.filter((block) => block.directives.some((d) => d.name === 'kubernetes'));
  if (kubernetes.length > 1) {
    throw new ConfigError(
      `${kubernetes[1]!.where}: a second kubernetes on the same port (the first is at ${kubernetes[0]!.where}): clusterdns reads one cluster per port; serve both zones from one kubernetes ZONES...`,
    );
  }
  const primary = kubernetes[0] ?? group.find((block) => block.zones.includes('.')) ?? group[0]!;
  const zoneOwners = new Map<string, string>();
  for (const block of group) {
    for (const zone of block.zones) {
      const owner = zoneOwners.get(zone);
      if (owner) {
        throw new ConfigError(
          `${block.where}: zone ${zone} is served twice on one port (also ${owner}): give each zone one server block`,
        );
      }
      zoneOwners.set(zone, block.where);
    }
  }
  for (const name of SERVER_OPTIONS) {
    const setter = [primary, ...group].find((block) => block.options.values[name] !== undefined);
    if (!setter || setter === primary) continue;
    primary.options.values[name] = setter.options.values[name];
    primary.options.borrow(name, setter.options);
  }
  for (const block of group) {
    for (const name of SERVER_OPTIONS) {
      const value = block.options.values[name];
      if (block !== primary && value !== undefined && value !== primary.options.values[name]) {
        notices.push(
          `${block.options.whereOf(name)}: one ${name} per port: served at ${JSON.stringify(primary.options.values[name])} (${primary.options.whereOf(name)})`,
        );
      }
    }
  }
  const ordered = [primary, ...group.filter((block) => block !== primary)];
  return {
    blocks: ordered.map((block) => ({
      zones: block.zones,
      where: block.where,
      layer: finishBlock(block, block === primary),
      registry: block === kubernetes[0],
      ownUpstreams:
        !block.directives.some((d) => d.name === 'forward') ||
        (block !== primary && block.options.values.upstream !== undefined),
    })),
  };
}

/** A block's options, with what CoreDNS does when a plugin is left out. */
function finishBlock(block: TranslatedBlock, primary: boolean): OptionLayer {
  const options = block.options;
  const has = (name: string) => block.directives.some((d) => d.name === name);
  const blockLine: Directive = {
    name: 'server block',
    args: [],
    line: block.line,
    where: block.where,
    block: [],
  };
  if (primary) {
    // A Corefile serves no HTTP endpoint it does not name, and shuts down without a lameduck wait
    // unless health gives one.
    options.setDefault('health', '', blockLine, 'no health directive');
    options.setDefault('ready', '', blockLine, 'no ready directive');
    options.setDefault('metrics', '', blockLine, 'no prometheus directive');
    options.setDefault('lameduck', '0s', blockLine, 'no health lameduck');
  }
  // Without a cache directive CoreDNS caches nothing, and serves nothing stale.
  if (!has('cache')) {
    options.set('cache-size', '0', blockLine, 'no cache directive');
    options.set('cache-denial-size', '0', blockLine, 'no cache directive');
    options.set('serve-stale', '0', blockLine, 'no cache directive');
  }
  const external = block.directives.find((d) => d.name === 'k8s_external');
  if (external && !has('kubernetes')) {
    fail(
      external,
      'k8s_external needs kubernetes in the same server block: it serves the external addresses of the services that kubernetes reads',
    );
  }
  if (!has('kubernetes')) {
    // A block without kubernetes serves no zone of its own and reads no registry.
    options.set('zone', [], blockLine, 'no kubernetes directive');
    options.set('zones', '', blockLine, 'no kubernetes directive');
  }
  const served = new ZoneList(
    ((options.values.zone as string[] | undefined) ?? []).filter((zone) => zone !== '.'),
  );
  for (const { zone, where } of block.cacheDisabled) {
    if (zone === '.' || !served.holds(zone)) {
      throw new ConfigError(
        `${where}: cache disable ${zone}: only the served zones can be left uncached (they never are cached)`,
      );
    }
  }
  if (has('forward')) {
    // CoreDNS forwards for every client unless an acl says otherwise.
    options.setDefault('allow-recursion', '0.0.0.0/0,::/0', blockLine, 'forward');
  } else {
    // No forward: CoreDNS answers no name outside its zones, and asks no upstream; neither do we.
    options.set('allow-recursion', '', blockLine, 'no forward directive');
    options.set('resolv-conf', '', blockLine, 'no forward directive');
  }
  return options.layer(block.where);
}

/**
 * A block's zones by port. Keys on several ports (`.:53 .:1053`) make one block per port, each with
 * the same directives, as CoreDNS starts one server per port.
 */
function blockKeys(block: ServerBlock): Map<number, string[]> {
  const ports = new Map<number, string[]>();
  for (const key of block.keys) {
    const scheme = /^([a-z]+):\/\//.exec(key);
    if (scheme && scheme[1] !== 'dns') {
      throw new ConfigError(`${block.where}: ${scheme[1]}:// servers are not supported, only dns://`);
    }
    const rest = scheme ? key.slice(scheme[0].length) : key;
    const match = /^([^:]*)(?::(\d+))?$/.exec(rest);
    if (!match) throw new ConfigError(`${block.where}: server block key "${key}": expected ZONE[:PORT]`);
    const port = Number(match[2] ?? 53);
    if (port > 65535) throw new ConfigError(`${block.where}: server block key "${key}": port above 65535`);
    ports.set(port, [...(ports.get(port) ?? []), normalizeZone(match[1] || '.')]);
  }
  return ports;
}

function translateBlock(block: ServerBlock, notices: string[]): TranslatedBlock[] {
  return [...blockKeys(block)].map(([port, zones]) => translatePort(block, zones, port, notices));
}

function translatePort(
  block: ServerBlock,
  zones: string[],
  port: number,
  notices: string[],
): TranslatedBlock {
  const options = new Options(notices);
  const blockDirective: Directive = {
    name: 'server block',
    args: [],
    line: block.line,
    where: block.where,
    block: [],
  };
  options.set('listen', [`0.0.0.0:${port}`], blockDirective, 'server block');
  const cacheDisabled: Context['cacheDisabled'] = [];
  const seen = new Set<string>();
  for (const directive of block.directives) {
    if (seen.has(directive.name) && !REPEATABLE.has(directive.name)) {
      fail(directive, `${directive.name} given twice in one server block`);
    }
    seen.add(directive.name);
    const handler = DIRECTIVES[directive.name];
    if (!handler) {
      fail(
        directive,
        `directive "${directive.name}" is not supported by clusterdns: ${INSTEAD[directive.name] ?? 'remove it'}; the directives clusterdns runs are ${Object.keys(DIRECTIVES).sort().join(', ')}`,
      );
    }
    handler(directive, { options, zones, port, cacheDisabled });
  }
  return {
    line: block.line,
    where: block.where,
    zones,
    options,
    directives: block.directives,
    cacheDisabled,
  };
}

/** Directives a block may hold more than once: each line adds (addresses, rules, templates). */
const REPEATABLE = new Set(['bind', 'rewrite', 'template']);

/** What to write instead of a CoreDNS plugin clusterdns does not run, where there is something. */
const INSTEAD: Record<string, string> = {
  file: 'serve the zone from zone files (--zones DIR, Kubernetes objects in YAML), or forward its block to a server that holds it',
  auto: 'serve the zones from zone files (--zones DIR, Kubernetes objects in YAML), or forward their block to a server that holds them',
  secondary: "forward the zone's block to its primary server (forward . ADDRESS)",
  etcd: "run clusterdns with --etcd URL (it serves the SkyDNS layout's service names), or forward the zone to a server that reads etcd",
  grpc: 'forward over DNS instead: forward . ADDRESS, or forward . tls://ADDRESS',
  route53: "forward the zone's block to the provider's resolver (forward . ADDRESS)",
  azure: "forward the zone's block to the provider's resolver (forward . ADDRESS)",
  clouddns: "forward the zone's block to the provider's resolver (forward . ADDRESS)",
  dnssec: 'clusterdns signs no answers: remove it',
  sign: 'clusterdns signs no zones: remove it',
  transfer: 'clusterdns serves no zone transfers: remove it',
  dnstap: 'log each query with log (one JSON line per query) instead',
  timeouts: 'set the TCP idle timeout with --tcp-idle-timeout instead',
  multisocket: 'answer on several processes with --workers N instead',
  view: 'give the clients their own port or server block instead, or guard the block with acl',
};

const DIRECTIVES: Record<string, Handler> = {
  ...PLUGIN_DIRECTIVES,
  ...KUBERNETES_DIRECTIVES,
  ...FORWARD_DIRECTIVES,
  ...CACHE_DIRECTIVES,
  ...RULE_DIRECTIVES,
};
