// coredns_plugin_enabled: the plugins each server block runs, read from its configuration, one
// sample per block zone (CoreDNS sets it per server, zone and plugin: plugin/metrics/vars.go). A
// registry clusterdns reads that CoreDNS has no plugin for keeps its own name (nacos); the zone
// files directory is CoreDNS's `file`.
import type { Config } from '../../config/config.js';
import type { PluginEnabled } from './metrics.js';

/** The plugins of one block, in CoreDNS's plugin.cfg order where CoreDNS has them. */
export function blockPlugins(block: Config, primary: boolean): string[] {
  const on: [string, boolean][] = [
    // The endpoints are server-wide: the flags put them on the primary block, as a Corefile's
    // first block usually carries them.
    ['prometheus', primary && block.metrics !== undefined],
    ['log', block.logQueries],
    ['acl', block.allowQuery !== undefined],
    ['health', primary && block.health !== undefined],
    ['ready', primary && block.ready !== undefined],
    ['chaos', block.chaos !== undefined],
    ['loadbalance', block.loadbalance],
    ['cache', block.cache.maxEntries > 0 && hasForwarder(block)],
    ['rewrite', block.rewrite.length > 0],
    ['dns64', block.dns64 !== undefined],
    ['autopath', block.autopath],
    ['template', block.templates.length > 0],
    ['hosts', block.hosts.lines.length > 0 || block.hosts.file !== undefined],
    ['file', block.zonesDir !== undefined],
    ['k8s_external', block.external !== undefined],
    ['kubernetes', block.kubernetes !== undefined],
    ['etcd', block.etcd !== undefined],
    ['nacos', block.nacos !== undefined],
    ['forward', hasForwarder(block)],
    ['local', block.local],
    ['whoami', block.whoami],
  ];
  return on.filter(([, enabled]) => enabled).map(([name]) => name);
}

/** Every block of a server (the primary first), each plugin once per zone of the block. */
export function pluginsEnabled(config: Config, server: string): PluginEnabled[] {
  return [config, ...config.blocks].flatMap((block, i) =>
    blockPlugins(block, i === 0).flatMap((name) =>
      block.blockZones.map((zone) => ({ server, zone: absolute(zone), name })),
    ),
  );
}

/** --upstream, stub domains, or the host's resolv.conf (CoreDNS's `forward . /etc/resolv.conf`). */
function hasForwarder(block: Config): boolean {
  return block.upstreams.length > 0 || block.resolvConf !== '' || block.stubDomains.length > 0;
}

/** Zones as CoreDNS labels them: fully qualified. */
function absolute(zone: string): string {
  return zone.endsWith('.') ? zone : `${zone}.`;
}
