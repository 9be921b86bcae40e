// The chains of a port's server blocks: built from a configuration, kept across a reload when a
// block's settings did not change, and closed when they go.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/config.js';
import type { UpstreamLookup } from '../resolve/types.js';
import type { Resolvers } from './resolvers.js';

/** A server block's chain beside the primary one. */
export interface BlockChain {
  config: Config;
  resolvers: Resolvers;
}

/** Every block's chain on a port: the primary block's, then the others'. */
export interface Chains {
  primary: Resolvers;
  blocks: BlockChain[];
}

/** Every block's resolvers on a port, the primary's first. */
export function allResolvers(chains: Chains): Resolvers[] {
  return [chains.primary, ...chains.blocks.map((block) => block.resolvers)];
}

/**
 * The chain of the block whose zones hold `name` most closely (the primary's when none does): where
 * an ExternalName target is looked up. Queries are dispatched by server/dispatch.ts, on their bytes.
 */
function blockFor(chains: Chains, asked: string): Resolvers {
  const name = asked.toLowerCase();
  let best = chains.primary;
  let bestLength = -1;
  for (const resolvers of allResolvers(chains)) {
    for (const zone of resolvers.zones) {
      const length = zone === '.' ? 0 : zone.length;
      const holds = zone === '.' || name === zone || name.endsWith(`.${zone}`);
      if (length > bestLength && holds) {
        best = resolvers;
        bestLength = length;
      }
    }
  }
  return best;
}

/** The chains running now, and the configuration of their primary block. */
export interface RunningChains extends Chains {
  config: Config;
}

/**
 * The chains of a config's blocks. A block whose config is what it was, over the same table,
 * keeps its running chain (its cache with it), when `running` is given; the others are built.
 */
export function buildChains(
  config: Config,
  buildResolvers: (block: Config, elsewhere: UpstreamLookup) => Resolvers,
  running?: RunningChains,
): Chains {
  const kept = new Map<string, BlockChain>();
  if (running) {
    for (const chain of [{ config: running.config, resolvers: running.primary }, ...running.blocks])
      kept.set(chain.config.blockZones.join(' '), chain);
  }
  const built: Resolvers[] = [];
  const reuse = (block: Config): Resolvers | undefined => {
    const before = kept.get(block.blockZones.join(' '));
    return before && isDeepStrictEqual({ ...before.config, blocks: [] }, { ...block, blocks: [] })
      ? before.resolvers
      : undefined;
  };
  const build = (block: Config): Resolvers => {
    const same = reuse(block);
    if (same) return same;
    const resolvers = buildResolvers(block, lookUpElsewhere);
    built.push(resolvers);
    return resolvers;
  };
  // A block's ExternalName targets outside its zones go where the server sends their names.
  let chains: Chains | undefined;
  const lookUpElsewhere: UpstreamLookup = {
    lookup: (name, type) => {
      const owner = chains && blockFor(chains, name);
      return owner?.forwarder?.lookup(name, type) ?? Promise.resolve(undefined);
    },
  };
  try {
    chains = {
      primary: build(config),
      blocks: config.blocks.map((block) => ({ config: block, resolvers: build(block) })),
    };
  } catch (error) {
    for (const resolvers of built) closeForwarders(resolvers);
    throw error;
  }
  return chains;
}

/** Close the forwarders of `chains`, but those `kept` (a reload's chains) still use. */
export function closeChains(chains: Chains, kept?: Chains): void {
  const inUse = new Set(kept ? allResolvers(kept) : []);
  for (const resolvers of allResolvers(chains)) if (!inUse.has(resolvers)) closeForwarders(resolvers);
}

function closeForwarders(resolvers: Resolvers): void {
  resolvers.forwarder?.close();
  for (const forwarder of resolvers.stubForwarders) forwarder.close();
}
