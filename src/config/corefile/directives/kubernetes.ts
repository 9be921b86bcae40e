// The kubernetes directive: the API, the zones it serves and its options (https://coredns.io/plugins/kubernetes/).
import type { RawValue } from '../../options/reading.js';
import type { Directive } from '../parse.js';
import { fail, noArgs, normalizeZone, oneArg, subdirectives, type Handler } from './handler.js';

export const KUBERNETES_DIRECTIVES: Record<string, Handler> = {
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
        noArgs(sub, 'kubernetes');
        set('endpoint-pod-names', sub, true);
      },
      noendpoints(sub) {
        noArgs(sub, 'kubernetes');
        set('no-endpoints', sub, true);
      },
      zonal(sub) {
        noArgs(sub, 'kubernetes');
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
};
