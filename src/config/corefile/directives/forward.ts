// The forward directive: upstreams and how they are asked (https://coredns.io/plugins/forward/).
import type { Directive } from '../parse.js';
import { fail, noArgs, normalizeZone, oneArg, subdirectives, type Handler } from './handler.js';

export const FORWARD_DIRECTIVES: Record<string, Handler> = {
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
        noArgs(sub, 'forward');
        options.set('upstream-transport', 'tcp', sub, 'forward force_tcp');
      },
      prefer_udp(sub) {
        noArgs(sub, 'forward');
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
};

/** A forward TO as --upstream takes it: dns:// dropped, tls:// kept. */
function upstream(target: string, directive: Directive): string {
  const scheme = /^([a-z]+):\/\//i.exec(target);
  const name = scheme?.[1]!.toLowerCase();
  if (name !== undefined && name !== 'dns' && name !== 'tls') {
    fail(directive, `forward ${target}: ${name}:// upstreams are not supported: write dns://IP or tls://IP`);
  }
  return name === 'dns' ? target.slice(scheme![0].length) : target;
}
