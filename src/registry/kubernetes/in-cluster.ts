// Settings of a pod talking to its own cluster: the API server's service address from the
// environment, the service account token, CA and namespace from the mounted secret directory.

import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubernetesConnection } from './connection.js';
import { TokenFile } from './credentials.js';
import { readPem } from './settings.js';

export const IN_CLUSTER_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export async function isInCluster(dir: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (!env.KUBERNETES_SERVICE_HOST) return false;
  return access(join(dir, 'token')).then(
    () => true,
    () => false,
  );
}

export async function inClusterConnection(
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<KubernetesConnection> {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  if (!/^\d{1,5}$/.test(port)) {
    throw new Error(`KUBERNETES_SERVICE_PORT ${JSON.stringify(port)} is not a port number`);
  }
  // An IPv6 service address needs brackets in a URL.
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const server = new URL(`https://${hostPart}:${port}`);
  const namespace = await readFile(join(dir, 'namespace'), 'utf8').then(
    (text) => text.trim() || undefined,
    () => undefined,
  );
  const tokenFile = new TokenFile(join(dir, 'token'));
  await tokenFile.authorization(); // fail at start-up, not on the first request, if it is unreadable
  return {
    server,
    tls: { ca: await readPem(join(dir, 'ca.crt'), 'service account CA'), insecureSkipTlsVerify: false },
    credentials: tokenFile,
    namespace,
    source: `in-cluster service account ${dir}`,
  };
}
