// How to reach the Kubernetes API: the server URL, TLS material and credentials, resolved once at
// start-up from a kubeconfig file, the pod's service account, or an explicit URL.

import { NO_CREDENTIALS, type Credentials, TokenFile } from './credentials.js';
import { IN_CLUSTER_DIR, inClusterConnection, isInCluster } from './in-cluster.js';
import { kubeconfigConnection } from './kubeconfig.js';
import { parseServerUrl, readPem } from './settings.js';

export interface TlsSettings {
  /** PEM; absent means the system's trusted CAs. */
  ca?: string;
  /** PEM client certificate and key, for kubeconfig users authenticated by certificate. */
  cert?: string;
  key?: string;
  /** The kubeconfig's insecure-skip-tls-verify: do not check the server's certificate. */
  insecureSkipTlsVerify: boolean;
  /** The kubeconfig's tls-server-name: the name to check the certificate against. */
  serverName?: string;
}

export interface KubernetesConnection {
  /** Scheme, host and port, plus any path prefix (a proxy mounting the API below a path). */
  server: URL;
  tls: TlsSettings;
  credentials: Credentials;
  /** The namespace the pod or context lives in; informational. */
  namespace?: string;
  /** Where the settings came from, for the start-up log line. */
  source: string;
}

export interface ConnectionOptions {
  /** A kubeconfig file; wins over everything else. */
  kubeconfig?: string;
  /** A context in the kubeconfig; default its current-context. */
  context?: string;
  /** An API server URL (http or https), used when neither a kubeconfig nor in-cluster settings apply. */
  url?: string;
  /** Bearer token for `url`, re-read like a service account token. */
  tokenFile?: string;
  /** CA bundle (PEM) for an https `url`. */
  caFile?: string;
  insecureSkipTlsVerify?: boolean;
  /** The service account directory (tests point it elsewhere). */
  serviceAccountDir?: string;
  /** The environment consulted for KUBERNETES_SERVICE_HOST/_PORT. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks the first that applies: the kubeconfig, then in-cluster (a service account token and
 * KUBERNETES_SERVICE_HOST), then the URL. Throws a message saying what to pass when none does.
 */
export async function resolveConnection(opts: ConnectionOptions): Promise<KubernetesConnection> {
  if (opts.kubeconfig !== undefined) return kubeconfigConnection(opts.kubeconfig, opts.context);
  const dir = opts.serviceAccountDir ?? IN_CLUSTER_DIR;
  const env = opts.env ?? process.env;
  if (await isInCluster(dir, env)) return inClusterConnection(dir, env);
  if (opts.url !== undefined) return urlConnection(opts);
  throw new Error(
    'no way to reach the Kubernetes API: give a kubeconfig file, run in a pod with a service account ' +
      `(KUBERNETES_SERVICE_HOST set and ${dir}/token present), or give the API server URL`,
  );
}

/** An explicit URL, e.g. `kubectl proxy` at http://127.0.0.1:8001. */
export async function urlConnection(opts: ConnectionOptions): Promise<KubernetesConnection> {
  const server = parseServerUrl(opts.url ?? '', 'API server URL');
  const ca = opts.caFile === undefined ? undefined : await readPem(opts.caFile, 'CA file');
  return {
    server,
    tls: { ca, insecureSkipTlsVerify: opts.insecureSkipTlsVerify ?? false },
    credentials: opts.tokenFile === undefined ? NO_CREDENTIALS : new TokenFile(opts.tokenFile),
    source: `URL ${server.href}`,
  };
}
