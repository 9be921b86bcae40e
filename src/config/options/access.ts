// Who may have names outside the served zones resolved for them. Outside Kubernetes, by default
// the ranges a cluster's clients use: loopback, the private ranges (RFC 1918, RFC 4193 ULA), the
// shared address space that pod networks take (100.64.0.0/10, RFC 6598) and link-local (RFC 3927,
// RFC 4291; NodeLocal DNSCache listens on 169.254.20.10). A workstation's server must not become an
// open resolver because it was exposed on a public address. In a Kubernetes pod (the cluster's
// DNS, a sidecar) everyone may, as CoreDNS lets them: its clients are the cluster's pods, whose
// addresses may be global IPv6 or any range the network plugin chose, and the Service it sits
// behind is reachable from the cluster only.
// The options here also name every client's namespace (the sidecar case) and turn on autopath.
import { isDnsLabel } from '../../dns/label-rules.js';
import { parseCidrs } from '../cidr.js';
import { splitList } from '../values.js';
import type { OptionSpec, Reading } from './reading.js';

export const DEFAULT_ALLOW_RECURSION = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/** In a Kubernetes pod (the kubelet sets KUBERNETES_SERVICE_HOST in every one): everyone. */
export const IN_CLUSTER_ALLOW_RECURSION = ['0.0.0.0/0', '::/0'];

export const ACCESS_OPTIONS = {
  'allow-recursion': {
    type: 'string',
    defaultValue: DEFAULT_ALLOW_RECURSION.join(','),
    metavar: 'CIDR,...',
    help: `clients whose names outside the zones are forwarded (default ${DEFAULT_ALLOW_RECURSION.join(',')}; in a Kubernetes pod, everyone)`,
  },
  'allow-query': {
    type: 'string',
    metavar: 'CIDR,...',
    help: 'clients that may query at all; others get REFUSED for every name (default everyone)',
  },
  namespace: {
    type: 'string',
    metavar: 'NS',
    help: 'namespace of every client, for short names (sidecar); also POD_NAMESPACE',
  },
  autopath: {
    type: 'boolean',
    help: "walk the client's search path on the server (needs a known namespace)",
  },
} satisfies Record<string, OptionSpec>;

export interface AccessConfig {
  allowRecursion: string[];
  /** Clients answered at all; undefined answers everyone. */
  allowQuery?: string[];
  /** Every client's namespace (the sidecar case); undefined learns it per client from the pod table. */
  namespace?: string;
  autopath: boolean;
}

export function accessConfig(
  reading: Reading<keyof typeof ACCESS_OPTIONS>,
  env: NodeJS.ProcessEnv,
): AccessConfig {
  const { checked, fail, text } = reading;
  // In a Kubernetes pod the cluster's clients may be any range: everyone, unless a layer says.
  const inPod = reading.given('allow-recursion') === undefined && env.KUBERNETES_SERVICE_HOST !== undefined;
  const allowRecursion = inPod ? [...IN_CLUSTER_ALLOW_RECURSION] : splitList(text('allow-recursion')!);
  checked('allow-recursion', (value) => parseCidrs(splitList(value)), allowRecursion.join(','));
  const allowQueryText = text('allow-query');
  const allowQuery = allowQueryText === undefined ? undefined : splitList(allowQueryText);
  if (allowQuery) checked('allow-query', (value) => parseCidrs(splitList(value)), allowQuery.join(','));
  // The Kubernetes downward API sets POD_NAMESPACE in a sidecar; an explicit option wins.
  const namespace = (text('namespace') ?? env.POD_NAMESPACE)?.toLowerCase();
  if (namespace !== undefined && !isDnsLabel(namespace)) {
    throw fail('namespace', `"${namespace}": expected a namespace name (a DNS label)`);
  }
  return {
    allowRecursion,
    ...(allowQuery ? { allowQuery } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    autopath: reading.flag('autopath'),
  };
}
