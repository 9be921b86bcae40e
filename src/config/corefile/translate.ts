// A Corefile as clusterdns options: each server block becomes one server's option layer (the same
// form a config file gives), so one checker validates both and `config print` shows the result.
// A directive or sub-directive clusterdns does not carry out is an error naming it and its line:
// running a Corefile with parts silently dropped would answer differently from CoreDNS.
import { isIP } from 'node:net';
import { ConfigError, duration, optionSpec, type OptionLayer, type RawValue } from '../config.js';
import { ZoneList } from '../../resolve/zones.js';
import { parseRewriteRule } from '../../resolve/rewrite/rules.js';
import { DNS64_DEFAULT_PREFIX } from '../../resolve/dns64/dns64.js';
import { parseCorefile, type Directive, type ServerBlock } from './parse.js';
import { templateText } from '../template.js';
import { templateSpec } from '../../resolve/template/spec.js';

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

/** The options one server block sets, each remembering the line that set it. */
class Options {
  readonly values: Partial<Record<string, RawValue>> = {};
  private readonly where = new Map<string, string>();

  constructor(private readonly notices: string[]) {}

  set(name: string, value: RawValue, directive: Directive, what = directive.name): void {
    if (!optionSpec(name)) {
      // Options another part of clusterdns owns (health, ready, metrics, lameduck) may not exist
      // in this build yet: say so at start-up rather than drop them unseen.
      this.notices.push(
        `${directive.where}: ${what} ${JSON.stringify(value)} has no clusterdns option "${name}" in this build; not served`,
      );
      return;
    }
    this.values[name] = value;
    this.where.set(name, `${directive.where} (${what})`);
  }

  /** A warning logged at start-up and on every reload. */
  notice(text: string): void {
    this.notices.push(text);
  }

  /**
   * What CoreDNS does when a Corefile leaves a plugin out (no health endpoint, no lameduck), as a
   * value the option takes when this build has it: unlike a user's setting, nothing is lost
   * when it does not.
   */
  setDefault(name: string, value: RawValue, directive: Directive, what: string): void {
    if (optionSpec(name) && this.values[name] === undefined) this.set(name, value, directive, what);
  }

  /** Where `name` was set, for messages. */
  whereOf(name: string): string {
    return this.where.get(name) ?? 'default';
  }

  /** Take where `name` was set from another block, whose value this one now has. */
  borrow(name: string, other: Options): void {
    this.where.set(name, other.whereOf(name));
  }

  layer(blockWhere: string): OptionLayer {
    const where = this.where;
    return {
      values: this.values,
      label: (name) => where.get(name) ?? `${blockWhere} (server block)`,
    };
  }
}

function fail(directive: Directive, message: string): never {
  throw new ConfigError(`${directive.where}: ${message}`);
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

function normalizeZone(zone: string): string {
  return zone === '.' ? '.' : zone.replace(/\.$/, '').toLowerCase();
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

interface Context {
  options: Options;
  zones: string[];
  port: number;
  /** `cache { disable ... ZONE }` zones, checked against the served zones once all are known. */
  cacheDisabled: { zone: string; where: string }[];
}

type Handler = (directive: Directive, context: Context) => void;

function expectArgs(directive: Directive, min: number, max: number, shape: string): void {
  if (directive.args.length < min || directive.args.length > max) {
    fail(directive, `${directive.name}: expected ${directive.name} ${shape}`);
  }
}

function noBlock(directive: Directive): void {
  const first = directive.block[0];
  if (first) {
    fail(
      first,
      `${directive.name} option "${first.name}" is not supported: write ${directive.name} without a block`,
    );
  }
}

/** Sub-directives through their handlers; any other is an error naming it. */
function subdirectives(
  directive: Directive,
  handlers: Record<string, (sub: Directive) => void>,
  other?: (sub: Directive) => boolean,
): void {
  for (const sub of directive.block) {
    const handler = handlers[sub.name];
    if (handler) handler(sub);
    else if (!other?.(sub)) {
      fail(
        sub,
        `${directive.name} option "${sub.name}" is not supported: remove it; the ${directive.name} options clusterdns runs are ${Object.keys(handlers).join(', ')}`,
      );
    }
  }
}

function oneArg(sub: Directive, parent: string, shape: string): string {
  if (sub.args.length !== 1) fail(sub, `${parent} ${sub.name}: expected ${sub.name} ${shape}`);
  return sub.args[0]!;
}

const DIRECTIVES: Record<string, Handler> = {
  // Every error is logged; consolidation is a log-reader's job.
  errors(directive) {
    expectArgs(directive, 0, 0, 'with no arguments');
    subdirectives(directive, { consolidate: () => undefined, stacktrace: () => undefined });
  },
  health(directive, { options }) {
    expectArgs(directive, 0, 1, '[ADDRESS]');
    options.set('health', directive.args[0] ?? ':8080', directive);
    subdirectives(directive, {
      lameduck: (sub) => options.set('lameduck', oneArg(sub, 'health', 'DURATION'), sub, 'health lameduck'),
    });
  },
  ready(directive, { options }) {
    expectArgs(directive, 0, 1, '[ADDRESS]');
    noBlock(directive);
    options.set('ready', directive.args[0] ?? ':8181', directive);
  },
  prometheus(directive, { options }) {
    expectArgs(directive, 0, 1, '[ADDRESS]');
    noBlock(directive);
    options.set('metrics', directive.args[0] ?? 'localhost:9153', directive, 'prometheus');
  },
  kubernetes(directive, context) {
    const { options } = context;
    options.set('zone', directive.args.length ? directive.args.map(normalizeZone) : context.zones, directive);
    options.set('kubernetes', '', directive);
    const set = (name: string, sub: Directive, value: RawValue) =>
      options.set(name, value, sub, `kubernetes ${sub.name}`);
    subdirectives(directive, {
      endpoint: (sub) => set('kubernetes', sub, oneArg(sub, 'kubernetes', 'URL')),
      kubeconfig(sub) {
        if (sub.args.length < 1 || sub.args.length > 2)
          fail(sub, 'kubernetes kubeconfig: expected kubeconfig FILE [CONTEXT]');
        set('kubeconfig', sub, sub.args[0]!);
        if (sub.args[1] !== undefined) set('kube-context', sub, sub.args[1]);
      },
      namespaces(sub) {
        if (sub.args.length === 0) fail(sub, 'kubernetes namespaces: expected namespaces NAMESPACE...');
        set('namespaces', sub, sub.args.join(','));
      },
      labels(sub) {
        if (sub.args.length === 0) fail(sub, 'kubernetes labels: expected labels EXPRESSION');
        set('labels', sub, sub.args.join(' '));
      },
      namespace_labels(sub) {
        if (sub.args.length === 0)
          fail(sub, 'kubernetes namespace_labels: expected namespace_labels EXPRESSION');
        set('namespace-labels', sub, sub.args.join(' '));
      },
      pods: (sub) => set('pods', sub, oneArg(sub, 'kubernetes', 'disabled|insecure|verified')),
      ttl: (sub) => set('ttl', sub, oneArg(sub, 'kubernetes', 'SECONDS')),
      startup_timeout: (sub) => set('startup-timeout', sub, oneArg(sub, 'kubernetes', 'DURATION')),
      fallthrough: (sub) =>
        set('fallthrough', sub, sub.args.length ? sub.args.map(normalizeZone).join(',') : '.'),
      endpoint_pod_names(sub) {
        if (sub.args.length)
          fail(sub, 'kubernetes endpoint_pod_names: expected endpoint_pod_names with no arguments');
        set('endpoint-pod-names', sub, true);
      },
      noendpoints(sub) {
        if (sub.args.length) fail(sub, 'kubernetes noendpoints: expected noendpoints with no arguments');
        set('no-endpoints', sub, true);
      },
      zonal(sub) {
        if (sub.args.length) fail(sub, 'kubernetes zonal: expected zonal with no arguments');
        set('zonal', sub, true);
      },
      // Obsolete since CoreDNS 1.7, where names outside the cluster zone are always resolved through
      // the forwarder (https://coredns.io/plugins/kubernetes/); older default Corefiles still hold it.
      upstream(sub) {
        options.notice(
          `${sub.where}: kubernetes upstream is obsolete and ignored: ExternalName targets are resolved through forward; remove it`,
        );
      },
      multicluster(sub) {
        if (sub.args.length === 0) fail(sub, 'kubernetes multicluster: expected multicluster ZONE...');
        set('multicluster', sub, sub.args.map(normalizeZone));
      },
      ignore(sub) {
        if (sub.args.length !== 1 || sub.args[0] !== 'empty_service') {
          fail(sub, 'kubernetes ignore: expected ignore empty_service');
        }
        set('ignore-empty-service', sub, true);
      },
    });
  },
  forward(directive, { options }) {
    if (directive.args.length < 2) fail(directive, 'forward: expected forward FROM TO...');
    const [from, ...to] = directive.args as [string, ...string[]];
    if (normalizeZone(from) !== '.') {
      fail(
        directive,
        `forward ${from}: clusterdns forwards only from . (a stub domain needs its own server)`,
      );
    }
    const files = to.filter((target) => target.startsWith('/'));
    const servers = to.filter((target) => !target.startsWith('/'));
    if (files.length > 1 || (files.length === 1 && servers.length > 0)) {
      fail(directive, 'forward: expected either one resolv.conf file or upstream addresses, not both');
    }
    if (files[0] !== undefined) options.set('resolv-conf', files[0], directive, 'forward');
    else
      options.set(
        'upstream',
        servers.map((target) => upstream(target, directive)),
        directive,
        'forward',
      );
    // Without prefer_udp or force_tcp CoreDNS asks upstreams over the client's transport, and
    // tries its upstreams in random order (https://coredns.io/plugins/forward/).
    options.set('upstream-transport', 'client', directive, 'forward');
    options.set('upstream-policy', 'random', directive, 'forward');
    const flag = (sub: Directive) => {
      if (sub.args.length) fail(sub, `forward ${sub.name}: expected ${sub.name} with no arguments`);
    };
    // With both, force_tcp wins, as in CoreDNS's proxy (its transport is chosen force_tcp first).
    const forceTcp = directive.block.some((sub) => sub.name === 'force_tcp');
    // CoreDNS applies its TLS settings to the tls:// upstreams only, and takes them without one.
    const tlsUsed = servers.some((target) => /^tls:\/\//i.test(target));
    const tlsSetting = (sub: Directive, settings: [string, string][]) => {
      if (!tlsUsed) {
        options.notice(`${sub.where}: forward ${sub.name} is ignored: no upstream of this forward is tls://`);
        return;
      }
      for (const [name, value] of settings) options.set(name, value, sub, `forward ${sub.name}`);
    };
    subdirectives(directive, {
      max_concurrent: (sub) =>
        options.set('max-concurrent', oneArg(sub, 'forward', 'N'), sub, 'forward max_concurrent'),
      read_timeout: (sub) =>
        options.set('upstream-timeout', oneArg(sub, 'forward', 'DURATION'), sub, 'forward read_timeout'),
      except(sub) {
        if (sub.args.length === 0) fail(sub, 'forward except: expected except ZONE...');
        options.set('forward-except', sub.args.map(normalizeZone).join(','), sub, 'forward except');
      },
      policy: (sub) =>
        options.set(
          'upstream-policy',
          oneArg(sub, 'forward', 'random|round_robin|sequential'),
          sub,
          'forward policy',
        ),
      force_tcp(sub) {
        flag(sub);
        options.set('upstream-transport', 'tcp', sub, 'forward force_tcp');
      },
      prefer_udp(sub) {
        flag(sub);
        if (!forceTcp) options.set('upstream-transport', 'udp', sub, 'forward prefer_udp');
      },
      max_fails: (sub) =>
        options.set('upstream-max-fails', oneArg(sub, 'forward', 'N'), sub, 'forward max_fails'),
      health_check(sub) {
        const [interval, ...rest] = sub.args;
        if (interval === undefined) {
          fail(sub, 'forward health_check: expected health_check DURATION [no_rec] [domain NAME]');
        }
        options.set('upstream-health-check', interval, sub, 'forward health_check');
        for (let i = 0; i < rest.length; i++) {
          if (rest[i] === 'no_rec')
            options.set('upstream-health-no-rec', true, sub, 'forward health_check no_rec');
          else if (rest[i] === 'domain' && rest[i + 1] !== undefined) {
            options.set('upstream-health-domain', rest[++i]!, sub, 'forward health_check domain');
          } else {
            fail(
              sub,
              `forward health_check ${rest[i]}: expected health_check DURATION [no_rec] [domain NAME]`,
            );
          }
        }
      },
      // Idle connections to upstreams expire after this long. clusterdns keeps connections open
      // to tls:// upstreams only; a plain TCP query has its connection closed with the reply.
      expire: (sub) =>
        options.set('upstream-expire', oneArg(sub, 'forward', 'DURATION'), sub, 'forward expire'),
      tls_servername: (sub) => tlsSetting(sub, [['upstream-tls-servername', oneArg(sub, 'forward', 'NAME')]]),
      // plugin/pkg/tls: no file trusts the system roots; one is the CA; two a client certificate
      // and its key; three both.
      tls(sub) {
        const files = sub.args;
        if (files.length > 3) fail(sub, 'forward tls: expected tls [CA] or tls CERT KEY [CA]');
        const [first, second, third] = files;
        const ca = files.length === 1 ? first : third;
        const client = files.length >= 2 ? { cert: first!, key: second! } : undefined;
        tlsSetting(sub, [
          ...(ca !== undefined ? [['upstream-tls-ca', ca] as [string, string]] : []),
          ...(client
            ? [
                ['upstream-tls-cert', client.cert] as [string, string],
                ['upstream-tls-key', client.key] as [string, string],
              ]
            : []),
        ]);
      },
    });
  },
  cache(directive, context) {
    const { options } = context;
    const [ttl, ...zones] = directive.args;
    if (zones.some((zone) => normalizeZone(zone) !== '.')) {
      fail(directive, 'cache ZONES: clusterdns caches every forwarded name; give no zones');
    }
    options.set('cache-size', '10000', directive, 'cache');
    options.set('cache-denial-size', '10000', directive, 'cache');
    // Stale answers only with serve_stale, as in CoreDNS.
    options.set('serve-stale', '0', directive, 'cache');
    if (ttl !== undefined) {
      options.set('cache-max-ttl', ttl, directive, 'cache TTL');
      options.set('cache-denial-max-ttl', ttl, directive, 'cache TTL');
    }
    const kind = (sub: Directive, sizeKey: string, ttlKey: string) => {
      if (sub.args.length < 1 || sub.args.length > 2)
        fail(sub, `cache ${sub.name}: expected ${sub.name} CAPACITY [TTL]`);
      if (!/^\d+$/.test(sub.args[0]!))
        fail(sub, `cache ${sub.name}: "${sub.args[0]}": expected a whole number`);
      options.set(sizeKey, sub.args[0]!, sub, `cache ${sub.name}`);
      if (sub.args[1] !== undefined) options.set(ttlKey, sub.args[1], sub, `cache ${sub.name} TTL`);
    };
    const disabled: Directive[] = [];
    subdirectives(directive, {
      // Only forwarded answers are cached: the served zones never are. Disabling the cache for
      // them (kubeadm's Corefile does) is what happens anyway; for other zones it is not supported.
      // Without zones (or with `.`) it is every zone the cache holds
      // (https://coredns.io/plugins/cache/): that kind of answer is not cached at all.
      disable(sub) {
        const [what, ...zones] = sub.args;
        if (what !== 'success' && what !== 'denial') {
          fail(sub, 'cache disable: expected disable success|denial [ZONE...]');
        }
        if (zones.length === 0 || zones.some((zone) => normalizeZone(zone) === '.')) disabled.push(sub);
        else
          context.cacheDisabled.push(
            ...zones.map((zone) => ({ zone: normalizeZone(zone), where: sub.where })),
          );
      },
      // Popular answers are fetched again before they expire (https://coredns.io/plugins/cache/).
      prefetch(sub) {
        if (sub.args.length < 1 || sub.args.length > 3) {
          fail(sub, 'cache prefetch: expected prefetch AMOUNT [[DURATION] [PERCENTAGE%]]');
        }
        options.set('cache-prefetch', sub.args.join(' '), sub, 'cache prefetch');
      },
      success: (sub) => kind(sub, 'cache-size', 'cache-max-ttl'),
      denial: (sub) => kind(sub, 'cache-denial-size', 'cache-denial-max-ttl'),
      serve_stale(sub) {
        if (
          sub.args.length > 2 ||
          (sub.args[1] !== undefined && !['immediate', 'verify'].includes(sub.args[1]))
        ) {
          fail(sub, 'cache serve_stale: expected serve_stale [DURATION [immediate|verify]]');
        }
        options.set('serve-stale', sub.args[0] ?? '1h', sub, 'cache serve_stale');
      },
    });
    // After success and denial: a disabled kind stays off whatever capacity is given.
    for (const sub of disabled) {
      const key = sub.args[0] === 'success' ? 'cache-size' : 'cache-denial-size';
      options.set(key, '0', sub, `cache disable ${sub.args[0]}`);
    }
  },
  // https://coredns.io/plugins/bufsize/: a client's larger EDNS payload size is cut down to SIZE;
  // without bufsize, 1232. clusterdns also advertises SIZE in its replies' OPT record.
  bufsize(directive, { options }) {
    expectArgs(directive, 0, 1, '[SIZE] (512-4096)');
    noBlock(directive);
    options.set('bufsize', directive.args[0] ?? '1232', directive);
  },
  // https://coredns.io/plugins/chaos/: CH TXT version.bind, version.server, authors.bind,
  // hostname.bind and id.server, for the names of this block's zones.
  chaos(directive, { options, zones }) {
    noBlock(directive);
    options.set('chaos', zones.join(','), directive);
    const [version, ...authors] = directive.args;
    if (version !== undefined) options.set('chaos-version', version, directive, 'chaos VERSION');
    if (authors.length) options.set('chaos-authors', authors, directive, 'chaos AUTHORS');
  },
  // https://coredns.io/plugins/rewrite/: every rewrite line of a block is one rule of its list, in
  // order; a line with fewer than two words takes its rule from its block's words, all lines of it.
  rewrite(directive, { options }) {
    const words = [...directive.args];
    if (words.length < 2) words.push(...directive.block.flatMap((sub) => blockWords(sub, directive)));
    else noBlock(directive);
    const spaced = words.find((word) => /\s/.test(word));
    if (spaced !== undefined) fail(directive, `rewrite: "${spaced}": a rule's words hold no spaces`);
    try {
      parseRewriteRule(words);
    } catch (error) {
      fail(
        directive,
        `rewrite ${words.join(' ')}: ${(error as Error).message}; write rewrite [continue|stop] name|type|class|ttl ... (see https://coredns.io/plugins/rewrite/)`,
      );
    }
    const previous = (options.values.rewrite as string[] | undefined) ?? [];
    options.set('rewrite', [...previous, words.join(' ')], directive);
  },
  // https://coredns.io/plugins/k8s_external/: services' external addresses under zones of their
  // own, from the services this block's kubernetes reads (checked in finishBlock).
  k8s_external(directive, { options, zones }) {
    const served = directive.args.length ? directive.args.map(normalizeZone) : zones;
    if (served.includes('.')) {
      fail(directive, 'k8s_external: name its ZONE: the root zone . would take every name from the chain');
    }
    options.set('external-zone', served, directive);
    const set = (name: string, sub: Directive, value: RawValue) =>
      options.set(name, value, sub, `k8s_external ${sub.name}`);
    subdirectives(directive, {
      apex: (sub) => set('external-apex', sub, oneArg(sub, 'k8s_external', 'APEX')),
      ttl: (sub) => set('external-ttl', sub, oneArg(sub, 'k8s_external', 'TTL')),
      headless(sub) {
        if (sub.args.length) fail(sub, 'k8s_external headless: expected headless with no arguments');
        set('external-headless', sub, true);
      },
      fallthrough: (sub) =>
        set('external-fallthrough', sub, sub.args.length ? sub.args.map(normalizeZone).join(',') : '.'),
    });
  },
  // https://coredns.io/plugins/local/: localhost and the loopback reverse zones, answered here.
  local(directive, { options }) {
    expectArgs(directive, 0, 0, 'with no arguments');
    noBlock(directive);
    options.set('local', true, directive);
  },
  // https://coredns.io/plugins/whoami/: the client's address and port, for names nothing else answers.
  whoami(directive, { options }) {
    expectArgs(directive, 0, 0, 'with no arguments');
    noBlock(directive);
    options.set('whoami', true, directive);
  },
  // https://coredns.io/plugins/dns64/: AAAA records synthesized from A records (RFC 6147).
  dns64(directive, { options }) {
    expectArgs(directive, 0, 1, '[PREFIX]');
    options.set('dns64', directive.args[0] ?? DNS64_DEFAULT_PREFIX, directive);
    const flag = (sub: Directive, name: string) => {
      if (sub.args.length) fail(sub, `dns64 ${sub.name}: expected ${sub.name} with no arguments`);
      options.set(name, true, sub, `dns64 ${sub.name}`);
    };
    subdirectives(directive, {
      prefix: (sub) => options.set('dns64', oneArg(sub, 'dns64', 'PREFIX'), sub, 'dns64 prefix'),
      translate_all: (sub) => flag(sub, 'dns64-translate-all'),
      allow_ipv4: (sub) => flag(sub, 'dns64-allow-ipv4'),
    });
  },
  // https://coredns.io/plugins/any/: clusterdns answers QTYPE ANY minimally (RFC 8482) always.
  any(directive) {
    expectArgs(directive, 0, 0, 'with no arguments');
    noBlock(directive);
  },
  // https://coredns.io/plugins/debug/ and metadata/: nothing a client sees; accepted as they are.
  debug(directive) {
    expectArgs(directive, 0, 0, 'with no arguments');
    noBlock(directive);
  },
  metadata(directive) {
    noBlock(directive);
  },
  // https://coredns.io/plugins/cancel/: every query here is bounded already (the upstream read
  // timeout, at most 2 s per attempt by default); the TIMEOUT is checked.
  cancel(directive) {
    expectArgs(directive, 0, 1, '[TIMEOUT]');
    noBlock(directive);
    if (directive.args[0] !== undefined) {
      try {
        duration(directive.args[0]);
      } catch (error) {
        fail(directive, `cancel: ${(error as Error).message}`);
      }
    }
  },
  // Go's profiler has no counterpart here: said at start-up, not silently dropped.
  pprof(directive, { options }) {
    options.notice(
      `${directive.where}: pprof is a Go profiler endpoint clusterdns does not have; not served`,
    );
  },
  nsid(directive, { options }) {
    options.notice(
      `${directive.where}: nsid: clusterdns adds no NSID option to its replies (RFC 5001); the rest of the block runs`,
    );
  },
  // Forwarding-loop detection runs whenever clusterdns forwards.
  loop(directive) {
    expectArgs(directive, 0, 0, 'with no arguments');
    noBlock(directive);
  },
  // The Corefile is watched for changes always (and reloaded on SIGHUP).
  reload(directive) {
    expectArgs(directive, 0, 2, '[INTERVAL [JITTER]]');
    noBlock(directive);
  },
  // An allow list then a catch-all block is what --allow-query is; other acl forms are refused.
  // It guards its own block's queries, as each block is a chain of its own.
  acl(directive, { options }) {
    const shape = 'acl { allow net CIDR...; ...; block }, the form clusterdns has (--allow-query)';
    if (directive.args.some((zone) => normalizeZone(zone) !== '.')) {
      fail(
        directive,
        `acl ZONES: clusterdns applies acl to every query of its server block: give no zones, or put the zones in a server block of their own: ${shape}`,
      );
    }
    const rules = directive.block;
    const last = rules[rules.length - 1];
    const catchAll = (rule: Directive) =>
      rule.name === 'block' && (rule.args.length === 0 || rule.args.join(' ') === 'net *');
    if (!last || !catchAll(last)) fail(last ?? directive, `acl: expected ${shape}`);
    const allowed: string[] = [];
    for (const rule of rules.slice(0, -1)) {
      if (rule.name !== 'allow' || rule.args[0] !== 'net' || rule.args.length < 2 || rule.block.length) {
        fail(rule, `acl ${rule.name} ${rule.args.join(' ')}: expected ${shape}`);
      }
      allowed.push(...rule.args.slice(1));
    }
    options.set('allow-query', allowed.join(','), directive);
  },
  // https://coredns.io/plugins/template/: checked here, where a message can name the line, then
  // carried as --template values in the order written (the first template that matches answers).
  template(directive, { options, zones }) {
    const spec = templateSpec(directive, zones, (node, message) => fail(node as Directive, message));
    const values = (options.values.template as string[] | undefined) ?? [];
    options.set('template', [...values, templateText(directive, spec.zones)], directive);
  },
  loadbalance(directive, { options }) {
    if (directive.args[0] !== undefined && directive.args[0] !== 'round_robin') {
      fail(directive, `loadbalance ${directive.args[0]}: clusterdns supports only round_robin`);
    }
    expectArgs(directive, 0, 1, '[round_robin]');
    noBlock(directive);
    options.set('loadbalance', true, directive);
  },
  // https://coredns.io/plugins/log/: `log [NAMES...] [FORMAT] { class CLASSES... }`. The last
  // argument is a format when it holds "{" (as CoreDNS's setup reads it); clusterdns writes its
  // own fields (client, name, type, rcode, size, duration) in the log format chosen for the server.
  log(directive, { options }) {
    let names = directive.args;
    const format = names[names.length - 1];
    if (format !== undefined && format.includes('{')) {
      names = names.slice(0, -1);
      if (format !== '{common}' && format !== '{combined}') {
        options.notice(
          `${directive.where}: log format ${format}: clusterdns logs each query's fields (client, name, type, rcode, size, duration) in its own format`,
        );
      }
    }
    options.set('log-queries', true, directive, 'log');
    if (names.length) options.set('log-zones', names.map(normalizeZone).join(','), directive, 'log NAMES');
    const classes: string[] = [];
    subdirectives(directive, {
      class(sub) {
        if (sub.args.length === 0) fail(sub, 'log class: expected class all|success|denial|error...');
        classes.push(...sub.args);
      },
    });
    if (classes.length) {
      const sub = directive.block.find((each) => each.name === 'class')!;
      options.set('log-classes', classes.join(','), sub, 'log class');
    }
  },
  autopath(directive, { options }) {
    const target = directive.args[directive.args.length - 1];
    if (target !== '@kubernetes' || directive.args.slice(0, -1).some((zone) => normalizeZone(zone) !== '.')) {
      fail(directive, 'autopath: clusterdns supports autopath @kubernetes');
    }
    noBlock(directive);
    options.set('autopath', true, directive);
  },
  // https://coredns.io/plugins/hosts/: `hosts [FILE [ZONES...]]`, the block's zones when none are
  // given; a name of its zones not listed is SERVFAIL unless fallthrough covers it.
  hosts(directive, { options, zones: blockZones }) {
    const [path, ...zones] = directive.args;
    // Without FILE, /etc/hosts, as in CoreDNS.
    options.set('hosts-file', path ?? '/etc/hosts', directive, 'hosts');
    options.set(
      'hosts-zones',
      (zones.length ? zones : blockZones).map(normalizeZone).join(','),
      directive,
      'hosts ZONES',
    );
    const lines: string[] = [];
    let fallthrough: string[] = [];
    subdirectives(
      directive,
      {
        fallthrough(sub) {
          fallthrough = sub.args.length ? sub.args.map(normalizeZone) : ['.'];
        },
        ttl: (sub) => options.set('hosts-ttl', oneArg(sub, 'hosts', 'SECONDS'), sub, 'hosts ttl'),
        // The hosts file is watched and read again when it changes.
        reload: () => undefined,
      },
      (sub) => {
        if (isIP(sub.name) === 0) return false;
        if (sub.args.length === 0) fail(sub, `hosts entry ${sub.name}: expected IP NAME...`);
        lines.push([sub.name, ...sub.args].join(' '));
        return true;
      },
    );
    options.set('hosts-fallthrough', fallthrough.join(','), directive, 'hosts fallthrough');
    if (lines.length) options.set('hosts', lines, directive, 'hosts');
  },
  bind(directive, { options, port }) {
    if (directive.args.length === 0) fail(directive, 'bind: expected bind ADDRESS...');
    const previous = (options.values.listen as string[] | undefined) ?? [];
    const bound = directive.args.map((address) => {
      if (isIP(address) === 0) fail(directive, `bind ${address}: expected an IP address`);
      return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
    });
    const fresh = previous.every((listen) => listen.startsWith('0.0.0.0:'));
    options.set('listen', fresh ? bound : [...previous, ...bound], directive, 'bind');
  },
};

/** A block line's words; a block inside a rewrite block is refused. */
function blockWords(sub: Directive, directive: Directive): string[] {
  if (sub.block.length) fail(sub, `${directive.name}: a block inside a rule's block is not supported`);
  return [sub.name, ...sub.args];
}

/** A forward TO as --upstream takes it: dns:// dropped, tls:// kept. */
function upstream(target: string, directive: Directive): string {
  const scheme = /^([a-z]+):\/\//i.exec(target);
  const name = scheme?.[1]!.toLowerCase();
  if (name !== undefined && name !== 'dns' && name !== 'tls') {
    fail(directive, `forward ${target}: ${name}:// upstreams are not supported: write dns://IP or tls://IP`);
  }
  return name === 'dns' ? target.slice(scheme![0].length) : target;
}
