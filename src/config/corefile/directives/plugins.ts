// The small plugins: each a few options or none, and the plugins clusterdns does by design (errors,
// loop, reload, any, ...), accepted as written.
import { isIP } from 'node:net';
import { DNS64_DEFAULT_PREFIX } from '../../options/plugins.js';
import type { RawValue } from '../../options/reading.js';
import { duration } from '../../values.js';
import type { Directive } from '../parse.js';
import {
  expectArgs,
  fail,
  noArgs,
  noBlock,
  normalizeZone,
  oneArg,
  subdirectives,
  type Handler,
} from './handler.js';

/** A plugin whose work clusterdns does always, written bare: checked, nothing set. */
const accepted: Handler = (directive) => {
  expectArgs(directive, 0, 0, 'with no arguments');
  noBlock(directive);
};

export const PLUGIN_DIRECTIVES: Record<string, Handler> = {
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
        noArgs(sub, 'k8s_external');
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
      noArgs(sub, 'dns64');
      options.set(name, true, sub, `dns64 ${sub.name}`);
    };
    subdirectives(directive, {
      prefix: (sub) => options.set('dns64', oneArg(sub, 'dns64', 'PREFIX'), sub, 'dns64 prefix'),
      translate_all: (sub) => flag(sub, 'dns64-translate-all'),
      allow_ipv4: (sub) => flag(sub, 'dns64-allow-ipv4'),
    });
  },
  // https://coredns.io/plugins/any/: clusterdns answers QTYPE ANY minimally (RFC 8482) always.
  any: accepted,
  // https://coredns.io/plugins/debug/ and metadata/: nothing a client sees; accepted as they are.
  debug: accepted,
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
  loop: accepted,
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
