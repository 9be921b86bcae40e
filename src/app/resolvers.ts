// Composing a server block's resolver chain from its configuration. The chain, in order:
//   loop probe   answers our own forwarding-loop probe, so a loop is seen and broken
//   search path  short names and autopath, for clients whose namespace is known
//   hosts        --hosts and --hosts-file entries
//   cluster zone authoritative answers for the served zones (NXDOMAIN passes on under --fallthrough)
//   except       REFUSED for --forward-except zones
//   stub domains names under a --stub-domain zone go to its own upstreams
//   recursion    REFUSED for clients not allowed recursion; else
//   forwarder    cache, then the upstreams
// with --loadbalance rotating the address records of every answer, and --dns64 answering IPv6
// clients' AAAA questions for IPv4-only names with AAAA records synthesized from their A records.
// Clients outside --allow-query are answered REFUSED before the chain.
import { hostname, networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { HostPort } from '../config/address.js';
import type { Config } from '../config/config.js';
import { lowerLabel, splitName } from '../dns/labels.js';
import type { Counters } from '../ops/counters.js';
import { packageVersion } from '../ops/build-info.js';
import type { QueryMetrics } from '../ops/metrics/query-metrics.js';
import { PrecompiledAnswers } from '../answers/precompiled.js';
import { RewritingChain } from '../resolve/rewrite/rewrite.js';
import { Dns64Chain } from '../resolve/dns64/dns64.js';
import { parseRewriteRule } from '../syntax/rewrite-rules.js';
import { ResolverChain } from '../resolve/chain.js';
import { FallthroughResolver } from '../resolve/fallthrough.js';
import { ForwardExcept } from '../resolve/forward-except.js';
import { LoadBalancedChain } from '../resolve/load-balance.js';
import type { Resolver, UpstreamLookup } from '../resolve/types.js';
import { ClusterZoneResolver } from '../resolve/cluster/resolver.js';
import { topologyChoice } from '../resolve/cluster/topology.js';
import { Forwarder } from '../resolve/forward/forwarder.js';
import { LoopDetector } from '../resolve/loop-detect.js';
import { ChaosResolver } from '../resolve/chaos.js';
import { LocalResolver } from '../resolve/local.js';
import { WhoamiResolver } from '../resolve/whoami.js';
import { ExternalZoneResolver } from '../resolve/external/external.js';
import { AddressPolicy, RecursionGate } from '../resolve/recursion.js';
import { StubDomainResolver } from '../resolve/stub-domains.js';
import { SearchPathResolver } from '../resolve/search/search-path.js';
import { TemplateResolver, templateFirst } from '../resolve/template/resolver.js';
import { ZoneSet } from '../dns/zones.js';
import { QueryHandler } from '../server/handler.js';
import { QueryLogFilter } from '../server/query-log.js';
import type { ServiceTable } from '../table/table.js';
import type { ServiceEntry } from '../table/service-index.js';
import { readHostResolvConf, readHosts, upstreamsOf } from './host-files.js';
import type { Part } from './part.js';

/** The `plugin` label of each link of the resolver chain, by position (CoreDNS's plugin names). */
export const LINK_PLUGINS = [
  'loop',
  'local',
  'chaos',
  'autopath',
  'template',
  'hosts',
  'k8s_external',
  'kubernetes',
  'whoami',
  'forward',
];

/** A chain link that never answers: holds a link's place (and its metrics label) when it is off. */
const ABSENT: Resolver = { resolve: () => undefined };

/** The parts built from the resolver settings; rebuilt whole on every reload. */
export interface Resolvers {
  /** The names the chain takes (its server block's zones). */
  zones: string[];
  /** A handler per listener, each counting into its own listener's metrics. */
  newHandler: () => QueryHandler;
  precompiled: PrecompiledAnswers;
  forwarder: Forwarder | undefined;
  stubForwarders: Forwarder[];
  searchPath: SearchPathResolver;
  gate: RecursionGate | undefined;
  loop: LoopDetector;
  upstreams: HostPort[];
}

/** What building a chain needs of the server beside its configuration. */
export interface ResolverContext {
  logger: Logger;
  counters: Counters;
  part: Part;
  queryMetrics: QueryMetrics | undefined;
  /** Where ExternalName targets outside the block's zones are looked up. */
  elsewhere?: UpstreamLookup;
}

export function buildResolvers(
  config: Config,
  table: ServiceTable,
  { logger, counters, part, queryMetrics, elsewhere }: ResolverContext,
): Resolvers {
  const zones = ZoneSet.parse(config.zones);
  const resolvConf = readHostResolvConf(config, logger);
  const upstreams = upstreamsOf(config, resolvConf, logger);
  const forwarder = upstreams.length
    ? new Forwarder({
        servers: upstreams,
        timeoutMs: config.upstreamTimeoutMs,
        maxConcurrent: config.maxConcurrent,
        ...config.upstreamPool,
        logger: logger.child({ part: 'forward' }),
        cache: config.cache,
      })
    : undefined;
  const hosts = readHosts(config, logger);
  const policy = new AddressPolicy(config.allowRecursion);
  const allowQuery = config.allowQuery ? new AddressPolicy(config.allowQuery) : undefined;
  const refusedLog = (client: string, refused: number) =>
    logger.warn(
      { client, refused },
      'a client outside --allow-recursion asked for a name outside the zones: REFUSED (add its range to --allow-recursion; logged once a minute)',
    );
  const gate = forwarder ? new RecursionGate(policy, forwarder, refusedLog) : undefined;
  const stubForwarders = config.stubDomains.map(
    ({ zone, upstreams: servers }) =>
      new Forwarder({
        servers,
        timeoutMs: config.upstreamTimeoutMs,
        maxConcurrent: config.maxConcurrent,
        ...config.upstreamPool,
        logger: logger.child({ part: 'forward', zone }),
        cache: config.cache,
      }),
  );
  // The recursion policy guards each stub zone as it guards the default upstreams.
  const stubs = stubForwarders.length
    ? new StubDomainResolver(
        config.stubDomains.map(({ zone }, i) => ({
          zone,
          forwarder: new RecursionGate(policy, stubForwarders[i]!, refusedLog),
        })),
      )
    : undefined;
  const outside = new ResolverChain(
    present([hosts, config.forwardExcept ? new ForwardExcept(config.forwardExcept) : undefined, stubs, gate]),
  );
  const nsAddresses = serverAddresses(config.listen);
  const clusterZone = new ClusterZoneResolver(table, {
    zones,
    ttl: config.ttl,
    ...(config.namespaces ? { namespaces: new Set(config.namespaces) } : {}),
    pods: config.pods,
    ignoreEmptyService: config.ignoreEmptyService,
    nsAddresses,
    ...(config.multiclusterZones.length > 0 && { multiclusterZones: config.multiclusterZones }),
    ...(config.zonal ? { zonal: true } : {}),
    ...(config.topologyAware ? { topologyAware: true } : {}),
    ...(forwarder ? { upstream: forwarder } : elsewhere ? { upstream: elsewhere } : {}),
  });
  const cluster = config.fallthrough
    ? new FallthroughResolver(clusterZone, outside, config.fallthrough)
    : clusterZone;
  // CoreDNS's order: autopath, template, hosts, kubernetes, forward. The search path tries its
  // names through the links after it, so templates answer them too.
  const template = config.templates.length
    ? new TemplateResolver(config.templates, {
        logger: logger.child({ part: 'template' }),
        chain: (): Resolver => resolver,
      })
    : undefined;
  const external = config.external ? externalZone(config, table, nsAddresses, outside) : ABSENT;
  const searchPath = new SearchPathResolver(table, {
    zones,
    ...(config.namespace ? { namespace: config.namespace } : {}),
    namespaceFromPods: config.pods === 'verified',
    autopath: config.autopath,
    hostSearch: (resolvConf?.search ?? []).filter((domain) => !zones.find(splitName(domain).map(lowerLabel))),
    ttl: config.ttl,
    cluster: template ? templateFirst(template, cluster) : cluster,
    outside: template ? templateFirst(template, outside) : outside,
  });
  const loop =
    part.kind === 'answering' ? new LoopDetector(part.probeName, part.onLoopProbe) : new LoopDetector();
  // The same links always, so each keeps its metrics `plugin` label (LINK_PLUGINS) whatever is off.
  const chaos = config.chaos
    ? new ChaosResolver({
        zones: config.chaos.zones,
        version: config.chaos.version ?? `clusterdns-${packageVersion()}`,
        authors: config.chaos.authors,
        hostname: hostname(),
      })
    : ABSENT;
  const local = config.local ? new LocalResolver() : ABSENT;
  // whoami answers what nothing before it does; CoreDNS runs it after forward, which answers all.
  const whoami = config.whoami && !forwarder ? new WhoamiResolver() : ABSENT;
  const links = [
    loop,
    local,
    chaos,
    searchPath,
    template ?? ABSENT,
    hosts ?? ABSENT,
    external,
    cluster,
    whoami,
    outside,
  ];
  const chain = config.loadbalance ? new LoadBalancedChain(links) : new ResolverChain(links);
  // Without rules the handler asks the chain itself: rewrite costs nothing when it is off.
  const resolver = config.rewrite.length
    ? new RewritingChain(
        chain,
        config.rewrite.map((words) => parseRewriteRule(words)),
      )
    : chain;
  // dns64 sees the rewritten chain's answers, as CoreDNS runs dns64 before rewrite; off, it costs nothing.
  const front = config.dns64 ? new Dns64Chain(resolver, config.dns64) : resolver;
  // Shared by every listener's handler, rebuilt with the resolvers on reload.
  const precompiled = new PrecompiledAnswers({
    table,
    cluster,
    dependencies: clusterZone,
    clusterLink: links.indexOf(cluster),
    negativeAnswers: !config.autopath && !config.fallthrough,
    rotatesAddresses: config.loadbalance,
    udpSize: config.bufsize,
    // A headless service's topology-aware answers are compiled per variant (answers/variants.ts).
    ...(config.topologyAware
      ? {
          clientVariant: (service: ServiceEntry, address: string) =>
            topologyChoice(table.current, service, address)?.variant,
        }
      : {}),
    ...(queryMetrics ? { answerSlots: queryMetrics.answerSlots } : {}),
    // Forwarded answers are the same for every client unless the search path knows clients'
    // namespaces (a short name may then name a service for one client and not another).
    ...(forwarder && !config.namespace && config.pods !== 'verified'
      ? { forwarded: { link: links.indexOf(outside), forwarder } }
      : {}),
  });
  const newHandler = () =>
    new QueryHandler({
      resolver: front,
      logger: logger,
      counters,
      ...(config.logQueries ? { queryLog: new QueryLogFilter(config.queryLog) } : {}),
      recursionAvailable: (address) =>
        (forwarder !== undefined || stubForwarders.length > 0) && policy.allows(address),
      precompiled,
      udpSize: config.bufsize,
      ...(allowQuery ? { allowQuery } : {}),
    });
  return {
    zones: config.blockZones,
    newHandler,
    forwarder,
    stubForwarders,
    searchPath,
    gate,
    loop,
    upstreams,
    precompiled,
  };
}

/** k8s_external: CoreDNS runs it before kubernetes, reading the same services. */
function externalZone(
  config: Config,
  table: ServiceTable,
  nsAddresses: string[],
  outside: Resolver,
): Resolver {
  const { zones, ttl, apex, headless, fallthrough } = config.external!;
  const resolver = new ExternalZoneResolver(table, {
    zones,
    ttl,
    apex,
    headless,
    ...(config.namespaces ? { namespaces: new Set(config.namespaces) } : {}),
    nsAddresses,
  });
  return fallthrough ? new FallthroughResolver(resolver, outside, fallthrough) : resolver;
}

function present(links: (Resolver | undefined)[]): Resolver[] {
  return links.filter((link): link is Resolver => link !== undefined);
}

/**
 * The addresses this server is reachable at, for `ns.dns.<zone>` and the apex NS glue: the listen
 * addresses, with a wildcard (0.0.0.0, ::) standing for every non-loopback interface address.
 */
function serverAddresses(listen: HostPort[]): string[] {
  const addresses = new Set<string>();
  for (const { host, family } of listen) {
    if (host !== '0.0.0.0' && host !== '::') {
      addresses.add(host);
      continue;
    }
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) {
        const infoFamily = info.family === 'IPv6' ? 6 : 4;
        if (!info.internal && infoFamily === family && !info.address.startsWith('fe80:'))
          addresses.add(info.address);
      }
    }
  }
  return [...addresses];
}
