// The set-up the in-process cost scripts share (handler-cost, rewrite-cost, dns64-cost): clusterdns
// started on the bundled zones with no upstream and no endpoints, and a chain of its cluster zone
// alone, asked without sockets.
import { pino } from 'pino';
import { ClusterDns } from '../dist/app/lifecycle.js';
import { parseCommandLine } from '../dist/config/command.js';
import { ResolverChain } from '../dist/resolve/chain.js';
import { ClusterZoneResolver } from '../dist/resolve/cluster/resolver.js';
import { ZoneSet } from '../dist/dns/zones.js';

export async function bundledChain() {
  const logger = pino({ level: 'silent' });
  const command = parseCommandLine(
    ['--resolv-conf', '/dev/null', '--health', '', '--ready', '', '--metrics', '', '--listen', '127.0.0.1:0'],
    {},
  );
  const app = new ClusterDns(command.config, logger);
  await app.start();
  const zones = ZoneSet.parse(command.config.zones);
  const cluster = new ClusterZoneResolver(app.table, {
    zones,
    ttl: 5,
    pods: 'disabled',
    ignoreEmptyService: false,
    nsAddresses: ['127.0.0.1'],
  });
  return { app, logger, zones, cluster, chain: new ResolverChain([cluster]) };
}
