// A Corefile as clusterdns options: each server block becomes one server's option layer (the same
// form a config file gives), so one checker validates both and `config print` shows the result.
// A directive or sub-directive clusterdns does not carry out is an error naming it and its line:
// running a Corefile with parts silently dropped would answer differently from CoreDNS.
import { isIP } from 'node:net';
import { ConfigError, duration, optionSpec, type OptionLayer, type RawValue } from '../config.js';
import { ZoneList } from '../../resolve/zones.js';
import { parseCorefile, type Directive, type ServerBlock } from './parse.js';
import { templateText } from '../template.js';
import { templateSpec } from '../../resolve/template/spec.js';

export interface TranslatedCorefile {
  /** One per port group: the server blocks that share a port and bind addresses. */
  servers: OptionLayer[];
  notices: string[];
}

/**
 * Server blocks on one port are one server: the block with `kubernetes`, optionally a block for
 * `.` that says how other names are forwarded and cached, and stub-domain blocks (`zone:53 {
 * forward . IP }`) whose names go to upstreams of their own.
 */
export function translateCorefile(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): TranslatedCorefile {
  const notices: string[] = [];
  const groups = new Map<string, TranslatedBlock[]>();
  const owners = new Map<string, { key: string; where: string }>();
  for (const block of parseCorefile(text, file, env)) {
    const translated = translateBlock(block, notices);
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
  return { servers: [...groups.values()].map((group) => translateGroup(group)), notices };
}

interface TranslatedBlock {
  line: number;
  where: string;
  zones: string[];
  options: Options;
  directives: Directive[];
  cacheDisabled: Context['cacheDisabled'];
}

/** Directives a stub-domain block may hold: what forwarding needs, nothing that serves a zone. */
const STUB_DIRECTIVES = new Set(['forward', 'cache', 'errors', 'log', 'loop', 'reload', 'bind', 'bufsize']);
/**
 * Directives a block holding chaos and no forward may hold (OpenShift's `hostname.bind:5353 {
 * chaos }`): its chaos joins its port's chain, answering under the block's zones only, as CoreDNS
 * sends it only those names.
 */
const CHAOS_BLOCK_DIRECTIVES = new Set(['chaos', 'errors', 'reload', 'loop', 'bind', 'bufsize']);

function isChaosBlock(block: TranslatedBlock): boolean {
  return (
    block.directives.some((d) => d.name === 'chaos') && !block.directives.some((d) => d.name === 'forward')
  );
}

/** Options a stub block shares with its port's server: they must agree, clusterdns has one of each. */
const SHARED_OPTIONS = [
  'cache-size',
  'cache-denial-size',
  'cache-max-ttl',
  'cache-denial-max-ttl',
  'serve-stale',
  'cache-prefetch',
  'max-concurrent',
  'upstream-timeout',
  'bufsize',
  'upstream-policy',
  'upstream-transport',
  'upstream-max-fails',
  'upstream-health-check',
  'upstream-health-domain',
  'upstream-health-no-rec',
  'log-queries',
];

function translateGroup(group: TranslatedBlock[]): OptionLayer {
  const kubernetes = group.filter((block) => block.directives.some((d) => d.name === 'kubernetes'));
  if (kubernetes.length === 0) {
    throw new ConfigError(
      `${group[0]!.where}: a server without kubernetes: clusterdns serves a cluster zone (every port needs one block with kubernetes)`,
    );
  }
  if (kubernetes.length > 1) {
    throw new ConfigError(
      `${kubernetes[1]!.where}: a second kubernetes on the same port (the first is at ${kubernetes[0]!.where})`,
    );
  }
  const primary = kubernetes[0]!;
  const root = group.find((block) => block !== primary && block.zones.includes('.'));
  const chaos = group.filter((block) => block !== primary && block !== root && isChaosBlock(block));
  const stubs = group.filter((block) => block !== primary && block !== root && !chaos.includes(block));
  const main = primary.options;
  if (root) main.absorb(root.options, root.where);
  for (const block of chaos) {
    for (const directive of block.directives) {
      if (!CHAOS_BLOCK_DIRECTIVES.has(directive.name)) {
        fail(
          directive,
          `${directive.name} in a chaos server block (only ${[...CHAOS_BLOCK_DIRECTIVES].join(', ')}): clusterdns runs one chain per port`,
        );
      }
    }
    main.absorb(block.options, block.where);
  }
  const forwarders = [primary, root].filter((block) =>
    block?.directives.some((d) => d.name === 'forward'),
  ) as TranslatedBlock[];
  for (const block of forwarders) {
    if (!block.zones.includes('.')) {
      throw new ConfigError(
        `${block.where}: forward in a server block for ${block.zones.join(' ')}: clusterdns forwards only from a block for . (the root)`,
      );
    }
  }
  const groupLine: Directive = {
    name: 'server block',
    args: [],
    line: primary.line,
    where: primary.where,
    block: [],
  };
  // A Corefile serves no HTTP endpoint it does not name, and shuts down without a lameduck wait
  // unless health gives one.
  main.setDefault('health', '', groupLine, 'no health directive');
  main.setDefault('ready', '', groupLine, 'no ready directive');
  main.setDefault('metrics', '', groupLine, 'no prometheus directive');
  main.setDefault('lameduck', '0s', groupLine, 'no health lameduck');
  // Without a cache directive CoreDNS caches nothing, and serves nothing stale.
  if (![primary, root].some((block) => block?.directives.some((d) => d.name === 'cache'))) {
    main.set('cache-size', '0', groupLine, 'no cache directive');
    main.set('cache-denial-size', '0', groupLine, 'no cache directive');
    main.set('serve-stale', '0', groupLine, 'no cache directive');
  }
  const served = new ZoneList((main.values.zone as string[]).filter((zone) => zone !== '.'));
  for (const { zone, where } of [primary, root].flatMap((block) => block?.cacheDisabled ?? [])) {
    if (zone === '.' || !served.holds(zone)) {
      throw new ConfigError(
        `${where}: cache disable ${zone}: only the served zones can be left uncached (they never are cached)`,
      );
    }
  }
  if (forwarders.length === 0 && stubs.length) {
    throw new ConfigError(
      `${stubs[0]!.where}: stub-domain server blocks need a forward in the block for . on the same port`,
    );
  }
  const stubDomains = stubs.flatMap((stub) => stubDomain(stub, main));
  if (stubDomains.length) main.set('stub-domain', stubDomains, groupLine, 'stub-domain server blocks');
  if (forwarders.length === 0) {
    // No forward: CoreDNS answers no name outside its zones; neither do we.
    main.set('allow-recursion', '', groupLine, 'no forward directive');
  }
  return main.layer(primary.where);
}

/** A stub block's zones as `ZONE=UPSTREAMS`, once its settings are checked against the server's. */
function stubDomain(stub: TranslatedBlock, main: Options): string[] {
  for (const directive of stub.directives) {
    if (!STUB_DIRECTIVES.has(directive.name)) {
      fail(
        directive,
        `${directive.name} in a stub-domain server block (only forward, cache, bufsize, errors, log, loop, reload)`,
      );
    }
  }
  const upstreams = stub.options.values.upstream as string[] | undefined;
  if (!upstreams) {
    throw new ConfigError(
      `${stub.where}: a server block for ${stub.zones.join(' ')} needs forward . ADDRESS...`,
    );
  }
  if (!stub.directives.some((d) => d.name === 'cache')) {
    stub.options.values['cache-size'] = '0';
    stub.options.values['cache-denial-size'] = '0';
    stub.options.values['serve-stale'] = '0';
  }
  for (const name of SHARED_OPTIONS) {
    const value = (options: Options) => options.values[name] ?? optionSpec(name)?.defaultValue ?? false;
    if (JSON.stringify(value(stub.options)) !== JSON.stringify(value(main))) {
      throw new ConfigError(
        `${stub.where}: the server block for ${stub.zones.join(' ')} sets ${name} to ${JSON.stringify(value(stub.options))}, ` +
          `the one on its port to ${JSON.stringify(value(main))}: clusterdns has one ${name} per port`,
      );
    }
  }
  return stub.zones.map((zone) => `${zone}=${upstreams.join(',')}`);
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

  /** Another block's options, on the same port: each key may come from one block only. */
  absorb(other: Options, where: string): void {
    for (const [name, value] of Object.entries(other.values)) {
      if (name === 'listen' || value === undefined) continue;
      // Blocks that agree on bufsize (OpenShift writes the same one in every block) are one server.
      if (name === 'bufsize' && this.values[name] === value) continue;
      if (this.values[name] !== undefined) {
        throw new ConfigError(
          `${where}: ${name} is set by two server blocks on one port (also ${this.where.get(name)})`,
        );
      }
      this.values[name] = value;
      this.where.set(name, other.where.get(name)!);
    }
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

interface BlockKeys {
  zones: string[];
  port: number;
}

function blockKeys(block: ServerBlock): BlockKeys {
  const zones: string[] = [];
  let port: number | undefined;
  for (const key of block.keys) {
    const scheme = /^([a-z]+):\/\//.exec(key);
    if (scheme && scheme[1] !== 'dns') {
      throw new ConfigError(`${block.where}: ${scheme[1]}:// servers are not supported, only dns://`);
    }
    const rest = scheme ? key.slice(scheme[0].length) : key;
    const match = /^([^:]*)(?::(\d+))?$/.exec(rest);
    if (!match) throw new ConfigError(`${block.where}: server block key "${key}": expected ZONE[:PORT]`);
    const keyPort = Number(match[2] ?? 53);
    if (port !== undefined && keyPort !== port) {
      throw new ConfigError(`${block.where}: the keys of one server block must share one port`);
    }
    port = keyPort;
    zones.push(normalizeZone(match[1] || '.'));
  }
  return { zones, port: port ?? 53 };
}

function normalizeZone(zone: string): string {
  return zone === '.' ? '.' : zone.replace(/\.$/, '').toLowerCase();
}

function translateBlock(block: ServerBlock, notices: string[]): TranslatedBlock {
  const { zones, port } = blockKeys(block);
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
    if (seen.has(directive.name) && directive.name !== 'bind' && directive.name !== 'template') {
      fail(directive, `${directive.name} given twice in one server block`);
    }
    seen.add(directive.name);
    const handler = DIRECTIVES[directive.name];
    if (!handler) {
      fail(
        directive,
        `directive "${directive.name}" is not supported by clusterdns: remove it; the directives clusterdns runs are ${Object.keys(DIRECTIVES).sort().join(', ')}`,
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
      noendpoints(sub) {
        if (sub.args.length) fail(sub, 'kubernetes noendpoints: expected noendpoints with no arguments');
        set('no-endpoints', sub, true);
      },
      // Obsolete since CoreDNS 1.7, where names outside the cluster zone are always resolved through
      // the forwarder (https://coredns.io/plugins/kubernetes/); older default Corefiles still hold it.
      upstream(sub) {
        options.notice(
          `${sub.where}: kubernetes upstream is obsolete and ignored: ExternalName targets are resolved through forward; remove it`,
        );
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
      // Idle connections to upstreams expire after this long in CoreDNS. clusterdns opens one
      // connection per TCP query and closes it with the reply, so none is ever idle: the bound
      // already holds for any DURATION. The value is still checked.
      expire(sub) {
        const value = oneArg(sub, 'forward', 'DURATION');
        try {
          duration(value);
        } catch (error) {
          fail(sub, `forward expire: ${(error as Error).message}`);
        }
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
  acl(directive, { options, zones }) {
    const shape = 'acl { allow net CIDR...; ...; block }, the form clusterdns has (--allow-query)';
    if (directive.args.length > 0 || !zones.includes('.')) {
      fail(
        directive,
        `acl: clusterdns applies it to every query, so only in a . block without zones: ${shape}`,
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
  log(directive, { options }) {
    if (directive.args.some((arg) => arg !== '.')) {
      fail(directive, 'log: clusterdns logs every query in one format; give no names or format');
    }
    noBlock(directive);
    options.set('log-queries', true, directive, 'log');
  },
  autopath(directive, { options }) {
    const target = directive.args[directive.args.length - 1];
    if (target !== '@kubernetes' || directive.args.slice(0, -1).some((zone) => normalizeZone(zone) !== '.')) {
      fail(directive, 'autopath: clusterdns supports autopath @kubernetes');
    }
    noBlock(directive);
    options.set('autopath', true, directive);
  },
  hosts(directive, { options }) {
    const [path, ...zones] = directive.args;
    if (zones.some((zone) => normalizeZone(zone) !== '.')) {
      fail(directive, 'hosts ZONES: clusterdns answers hosts entries for every name; give no zones');
    }
    if (path !== undefined) options.set('hosts-file', path, directive, 'hosts');
    const lines: string[] = [];
    let fallthrough = false;
    subdirectives(
      directive,
      {
        fallthrough(sub) {
          if (sub.args.length)
            fail(sub, 'hosts fallthrough: clusterdns falls through for every name; give no zones');
          fallthrough = true;
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
    if (!fallthrough) {
      fail(
        directive,
        'hosts without fallthrough (NXDOMAIN for every other name) is not supported: add fallthrough',
      );
    }
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

function upstream(target: string, directive: Directive): string {
  const scheme = /^([a-z]+):\/\//.exec(target);
  if (scheme && scheme[1] !== 'dns') {
    fail(directive, `forward ${target}: ${scheme[1]}:// upstreams are not supported, only dns://`);
  }
  return scheme ? target.slice(scheme[0].length) : target;
}
