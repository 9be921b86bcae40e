// A kubeconfig file (as kubectl reads it) → connection settings for one context. Supports what a
// DNS server's own identity uses: bearer tokens (inline or a file), basic auth and client
// certificates. Exec plugins and auth providers run cloud CLIs and are refused with a hint.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import {
  type Fields,
  FieldError,
  boolean,
  child,
  isRecord,
  list,
  optionalRecord,
  optionalString,
  record,
  string,
} from '../fields.js';
import type { KubernetesConnection, TlsSettings } from './connection.js';
import { type Credentials, NO_CREDENTIALS, TokenFile, staticCredentials } from './credentials.js';
import { parseServerUrl } from './settings.js';

export async function kubeconfigConnection(
  path: string,
  contextName?: string,
): Promise<KubernetesConnection> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read kubeconfig ${path}: ${(error as Error).message}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new Error(`kubeconfig ${path} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await fromDocument(doc, path, contextName);
  } catch (error) {
    if (error instanceof FieldError)
      throw new Error(`kubeconfig ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

async function fromDocument(doc: unknown, path: string, contextName?: string): Promise<KubernetesConnection> {
  const config = record(doc, '(top level)');
  const name = contextName ?? optionalString(config['current-context'], 'current-context');
  if (name === undefined) {
    throw new FieldError('current-context: none is set; name the context to use');
  }
  const context = named(config, 'contexts', 'context', name);
  const clusterName = string(context.fields.cluster, child(context.path, 'cluster'));
  const userName = optionalString(context.fields.user, child(context.path, 'user'));
  const cluster = named(config, 'clusters', 'cluster', clusterName);
  const user = userName === undefined ? undefined : named(config, 'users', 'user', userName);

  // Relative file names in a kubeconfig are relative to the file itself, as kubectl reads them.
  const base = dirname(path);
  const file = (value: string) => (isAbsolute(value) ? value : resolve(base, value));
  const material = (fields: Fields, at: string, key: string) => readMaterial(fields, at, key, file);

  const c = cluster.fields;
  const server = parseServerUrl(string(c.server, child(cluster.path, 'server')), `${cluster.path}.server`);
  if (c['proxy-url'] !== undefined) {
    throw new FieldError(
      `${cluster.path}.proxy-url: proxies are not supported; reach the API server directly`,
    );
  }
  const tls: TlsSettings = {
    ca: await material(c, cluster.path, 'certificate-authority'),
    insecureSkipTlsVerify:
      c['insecure-skip-tls-verify'] === undefined
        ? false
        : boolean(c['insecure-skip-tls-verify'], child(cluster.path, 'insecure-skip-tls-verify')),
    serverName: optionalString(c['tls-server-name'], child(cluster.path, 'tls-server-name')),
  };

  let credentials: Credentials = NO_CREDENTIALS;
  if (user) {
    const u = user.fields;
    for (const key of ['exec', 'auth-provider']) {
      if (u[key] !== undefined) {
        throw new FieldError(
          `${child(user.path, key)}: credential plugins are not supported; give this user a token, ` +
            'tokenFile or client certificate (e.g. a service account token)',
        );
      }
    }
    tls.cert = await material(u, user.path, 'client-certificate');
    tls.key = await material(u, user.path, 'client-key');
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new FieldError(`${user.path}: a client certificate needs both client-certificate and client-key`);
    }
    const token = optionalString(u.token, child(user.path, 'token'));
    const tokenFile = optionalString(u.tokenFile, child(user.path, 'tokenFile'));
    const username = optionalString(u.username, child(user.path, 'username'));
    if (token !== undefined)
      credentials = staticCredentials(`Bearer ${token}`, `kubeconfig user ${userName}`);
    else if (tokenFile !== undefined) credentials = new TokenFile(file(tokenFile));
    else if (username !== undefined) {
      const password = optionalString(u.password, child(user.path, 'password')) ?? '';
      const basic = Buffer.from(`${username}:${password}`).toString('base64');
      credentials = staticCredentials(`Basic ${basic}`, `kubeconfig user ${userName}`);
    }
  }

  const namespace = optionalString(context.fields.namespace, child(context.path, 'namespace'));
  return { server, tls, credentials, namespace, source: `kubeconfig ${path} context ${name}` };
}

/** The entry called `name` in a kubeconfig list such as `clusters: [{name, cluster: {...}}]`. */
function named(
  config: Fields,
  listKey: string,
  itemKey: string,
  name: string,
): { fields: Fields; path: string } {
  const entries = list(config[listKey], listKey);
  const index = entries.findIndex((entry) => isRecord(entry) && entry.name === name);
  if (index < 0) throw new FieldError(`${listKey}: no entry named ${JSON.stringify(name)}`);
  const path = `${listKey}[${JSON.stringify(name)}].${itemKey}`;
  return { fields: optionalRecord((entries[index] as Fields)[itemKey], path), path };
}

/** `key-data` (base64 PEM) or `key` (a file name), as kubeconfig spells certificates and keys. */
async function readMaterial(
  fields: Fields,
  at: string,
  key: string,
  file: (name: string) => string,
): Promise<string | undefined> {
  const data = optionalString(fields[`${key}-data`], child(at, `${key}-data`));
  if (data !== undefined) {
    const pem = Buffer.from(data, 'base64').toString('utf8');
    if (!pem.includes('-----BEGIN')) {
      throw new FieldError(`${child(at, `${key}-data`)}: expected base64-encoded PEM`);
    }
    return pem;
  }
  const name = optionalString(fields[key], child(at, key));
  if (name === undefined) return undefined;
  try {
    return await readFile(file(name), 'utf8');
  } catch (error) {
    throw new FieldError(`${child(at, key)}: cannot read ${file(name)}: ${(error as Error).message}`);
  }
}
