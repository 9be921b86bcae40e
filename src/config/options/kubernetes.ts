// The Kubernetes API as a registry: where it is, who we are, and what is watched.
import type { OptionSpec, Reading } from './reading.js';

export const KUBERNETES_OPTIONS = {
  kubernetes: {
    type: 'string',
    metavar: '[URL]',
    help: 'serve from the Kubernetes API: --kubeconfig, else in-cluster, else this URL',
  },
  kubeconfig: {
    type: 'string',
    metavar: 'FILE',
    help: 'kubeconfig for --kubernetes (certificate, token or basic users; insecure-skip-tls-verify, tls-server-name)',
  },
  'kube-context': {
    type: 'string',
    metavar: 'NAME',
    help: 'context in --kubeconfig (default its current one)',
  },
  'kube-token-file': {
    type: 'string',
    metavar: 'FILE',
    help: 'bearer token for a --kubernetes URL; re-read every minute and after a 401',
  },
  'kube-ca-file': {
    type: 'string',
    metavar: 'FILE',
    help: 'CA bundle for an https --kubernetes URL (default the system CAs)',
  },
  labels: {
    type: 'string',
    metavar: 'EXPR',
    help: 'serve only services (and their EndpointSlices) matching this label selector',
  },
  'namespace-labels': {
    type: 'string',
    metavar: 'EXPR',
    help: 'serve only namespaces matching this label selector',
  },
  'no-endpoints': {
    type: 'boolean',
    help: 'watch no EndpointSlices: endpoint and headless service names answer NXDOMAIN (less API load)',
  },
  'endpoint-pod-names': {
    type: 'boolean',
    help: 'name a headless endpoint without a hostname by its pod (web-0.db.ns.svc...), not its dashed IP, as CoreDNS endpoint_pod_names',
  },
} satisfies Record<string, OptionSpec>;

export interface KubernetesConfig {
  /** API server URL; undefined: a kubeconfig or the in-cluster service account. */
  url?: string;
  kubeconfig?: string;
  context?: string;
  tokenFile?: string;
  caFile?: string;
  labels?: string;
  namespaceLabels?: string;
  /** Watch no EndpointSlices: endpoint and headless names answer NXDOMAIN. */
  noEndpoints?: boolean;
  /** Name endpoints without a hostname by their pod, not their dashed IP. */
  endpointPodNames?: boolean;
}

/** The Kubernetes settings given, or undefined when neither --kubernetes nor --kubeconfig is. */
export function kubernetesConfig(
  reading: Reading<keyof typeof KUBERNETES_OPTIONS>,
): KubernetesConfig | undefined {
  const kubernetesFlag = reading.text('kubernetes');
  const kubeconfig = reading.text('kubeconfig');
  if (kubernetesFlag === undefined && kubeconfig === undefined) return undefined;
  if (kubernetesFlag) reading.checked('kubernetes', (value) => new URL(value), kubernetesFlag);
  const kubernetes: KubernetesConfig = {};
  const fields: [Exclude<keyof KubernetesConfig, 'noEndpoints' | 'endpointPodNames'>, string | undefined][] =
    [
      ['url', kubernetesFlag || undefined],
      ['kubeconfig', kubeconfig],
      ['context', reading.text('kube-context')],
      ['tokenFile', reading.text('kube-token-file')],
      ['caFile', reading.text('kube-ca-file')],
      ['labels', reading.text('labels')],
      ['namespaceLabels', reading.text('namespace-labels')],
    ];
  for (const [key, value] of fields) if (value !== undefined) kubernetes[key] = value;
  if (reading.flag('no-endpoints')) kubernetes.noEndpoints = true;
  if (reading.flag('endpoint-pod-names')) kubernetes.endpointPodNames = true;
  return kubernetes;
}

/** `--kubernetes` may stand alone (kubeconfig or in-cluster): give it an empty value then. */
export function withBareKubernetes(argv: string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--kubernetes' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
      ? '--kubernetes='
      : arg,
  );
}
