// The cache directive: sizes, TTL caps, serve_stale and prefetch (https://coredns.io/plugins/cache/).
import type { Directive } from '../parse.js';
import { fail, normalizeZone, subdirectives, type Handler } from './handler.js';

export const CACHE_DIRECTIVES: Record<string, Handler> = {
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
};
