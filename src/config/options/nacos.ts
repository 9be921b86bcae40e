// Nacos as a registry: its servers, the API spoken, which namespaces and group are served, and
// how often it is asked.
import { isDnsLabel } from '../../dns/label-rules.js';
import { portNumber } from '../address.js';
import { ConfigError, duration, splitList } from '../values.js';
import type { OptionSpec, Reading } from './reading.js';

export const NACOS_OPTIONS = {
  nacos: {
    type: 'string',
    metavar: 'URL,...',
    help: 'serve from a Nacos server, e.g. http://nacos:8848; with --nacos-api grpc, several servers of one cluster for failover',
  },
  'nacos-namespace-map': {
    type: 'string',
    metavar: 'NS=ID,...',
    help: 'DNS namespace = Nacos namespace ID pairs (default default=public)',
  },
  'nacos-group': { type: 'string', metavar: 'GROUP', help: 'Nacos group to serve (default DEFAULT_GROUP)' },
  'nacos-username': { type: 'string', metavar: 'USER', help: 'log in to Nacos as this user' },
  'nacos-password-file': { type: 'string', metavar: 'FILE', help: 'password for --nacos-username' },
  'nacos-api': {
    type: 'string',
    metavar: 'VERSION',
    help: 'v1 (Nacos 1.x, 2.x) | v2 (2.2+) | v3 (3.x): HTTP API to poll; grpc (2.x, 3.x): subscribe, changes pushed (default v1)',
  },
  'nacos-grpc-port': {
    type: 'string',
    metavar: 'PORT',
    help: "the Nacos servers' gRPC port, with --nacos-api grpc (default the HTTP port + 1000)",
  },
  'nacos-min-poll': {
    type: 'string',
    metavar: 'DURATION',
    help: 'shortest instance poll interval, whatever the server advises (default 1s; at most 30s)',
  },
  'nacos-relist': {
    type: 'string',
    metavar: 'DURATION',
    help: 'read the Nacos service lists again this often (default 10s)',
  },
} satisfies Record<string, OptionSpec>;

type NacosOptionName = keyof typeof NACOS_OPTIONS;

export interface NacosConfig {
  /** The (first) server. */
  url: string;
  /** grpc: every server, when several are given, tried in turn when a connection is lost. */
  servers?: string[];
  api: 'v1' | 'v2' | 'v3' | 'grpc';
  /** grpc: the servers' gRPC port; absent: each server's HTTP port + 1000. */
  grpcPort?: number;
  /** DNS namespace → Nacos namespace ID ("" or "public" for the public namespace). */
  namespaces: { dns: string; nacos: string }[];
  group: string;
  username?: string;
  passwordFile?: string;
  minPollMs: number;
  relistMs: number;
}

export function nacosConfig(reading: Reading<NacosOptionName>): NacosConfig | undefined {
  const { checked } = reading;
  const given = reading.text('nacos');
  if (given === undefined) return undefined;
  const urls = splitList(given);
  for (const url of urls) checked('nacos', nacosUrl, url);
  if (urls.length === 0) throw new ConfigError('--nacos: expected a URL, e.g. http://nacos:8848');
  const url = urls[0]!;
  const api = reading.text('nacos-api') ?? 'v1';
  if (api !== 'v1' && api !== 'v2' && api !== 'v3' && api !== 'grpc') {
    throw new ConfigError(`--nacos-api: "${api}": expected v1, v2, v3 or grpc`);
  }
  // The HTTP APIs poll one server (put a load balancer in front); a gRPC client fails over itself.
  if (urls.length > 1 && api !== 'grpc') {
    throw new ConfigError(`--nacos: several servers need --nacos-api grpc; ${api} polls one server`);
  }
  const grpcPortText = reading.text('nacos-grpc-port');
  if (grpcPortText !== undefined && api !== 'grpc') {
    throw new ConfigError('--nacos-grpc-port: only with --nacos-api grpc');
  }
  const grpcPort =
    grpcPortText === undefined ? undefined : checked('nacos-grpc-port', portNumber, grpcPortText);
  const namespaces = checked(
    'nacos-namespace-map',
    parseNamespaceMap,
    reading.text('nacos-namespace-map') ?? 'default=public',
  );
  const username = reading.text('nacos-username');
  const passwordFile = reading.text('nacos-password-file');
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new ConfigError('--nacos-username and --nacos-password-file go together');
  }
  const millis = (name: NacosOptionName, fallback: string) =>
    Math.round(checked(name, duration, reading.text(name) ?? fallback) * 1000);
  const minPollMs = millis('nacos-min-poll', '1s');
  if (minPollMs < 10 || minPollMs > 30_000) {
    throw new ConfigError(`--nacos-min-poll: expected a duration from 10ms to 30s`);
  }
  return {
    url,
    ...(urls.length > 1 ? { servers: urls } : {}),
    api,
    ...(grpcPort !== undefined ? { grpcPort } : {}),
    namespaces,
    group: reading.text('nacos-group') ?? 'DEFAULT_GROUP',
    ...(username !== undefined ? { username, passwordFile } : {}),
    minPollMs,
    relistMs: Math.max(100, millis('nacos-relist', '10s')),
  };
}

/** A Nacos server's URL: http or https (https is TLS to the gRPC port too). */
function nacosUrl(value: string): URL {
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`"${value}": expected an http(s) URL`);
  return url;
}

/** `prod=33ea21bc-…,default=public`: DNS namespaces (labels) and the Nacos namespace IDs they serve. */
function parseNamespaceMap(value: string): NacosConfig['namespaces'] {
  const pairs = splitList(value).map((pair) => {
    const at = pair.indexOf('=');
    const dns = (at === -1 ? pair : pair.slice(0, at)).trim().toLowerCase();
    if (at === -1 || !isDnsLabel(dns)) {
      throw new Error(`"${pair}": expected dnsNamespace=nacosNamespaceId, the namespace a DNS label`);
    }
    return { dns, nacos: pair.slice(at + 1).trim() };
  });
  if (pairs.length === 0) throw new Error(`"${value}": expected at least one dnsNamespace=nacosNamespaceId`);
  const seen = new Set<string>();
  for (const { dns } of pairs) {
    if (seen.has(dns)) throw new Error(`"${dns}" is mapped twice`);
    seen.add(dns);
  }
  return pairs;
}
