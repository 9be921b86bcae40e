// Configuration: one table of options drives the flags, the CLUSTERDNS_* environment variables, the
// config file's keys and --help, and every value is checked at the door with a message naming the
// option where it was set (flag, variable, file key or Corefile line), the value and what was
// expected. Precedence: flags, then environment, then the config file or Corefile, then defaults.
import { usableCpus } from './cpus.js';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_ALLOW_RECURSION, IN_CLUSTER_ALLOW_RECURSION, parseCidrs } from '../resolve/recursion.js';
import { DEFAULT_ZONES, parseZone } from '../resolve/zones.js';
import type { PodMode } from '../resolve/cluster/lookup.js';
import { ETCD_OPTIONS, type EtcdConfig, etcdConfigFrom } from '../registry/etcd/options.js';
import { parseHostPort, type HostPort } from './address.js';
import { ADVERTISED_UDP_SIZE, BUFSIZE_RANGE } from '../dns/reply-size.js';
import { MAX_TXT_STRING } from '../resolve/chaos.js';
import { LABEL_RULE, isDnsLabel, isPortNumber } from '../registry/validate.js';
import { parseRewriteRule } from '../resolve/rewrite/rules.js';
import { DNS64_DEFAULT_PREFIX, parseDns64Prefix, type Dns64Options } from '../resolve/dns64/dns64.js';
import type { PrefetchOptions } from '../resolve/forward/cache.js';
import { parseQueryLogClasses, type QueryLogClass } from '../server/query-log.js';
import {
  POOL_POLICIES,
  UPSTREAM_TRANSPORTS,
  type PoolPolicy,
  type UpstreamTransport,
} from '../resolve/forward/pool.js';
import type { TemplateSpec } from '../resolve/template/spec.js';
import { templateOption } from './template.js';
import { OPS_OPTIONS, opsConfig, type OpsConfig } from './ops.js';
import {
  UPSTREAM_TLS_OPTIONS,
  parseUpstream,
  upstreamTlsConfig,
  type Upstream,
  type UpstreamTls,
} from '../resolve/forward/tls-options.js';

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

export interface Config extends OpsConfig {
  /** Zone files to serve; undefined when another registry is configured and --zones is not. */
  zonesDir?: string;
  /** How zone files are read: the size cap, and how long a file must be unchanged to be read. */
  zoneFiles: { maxBytes: number; settleMs: number };
  kubernetes?: KubernetesConfig;
  etcd?: EtcdConfig;
  nacos?: NacosConfig;
  /** Longest wait for registries to sync before serving anyway (SERVFAIL for unknown names). */
  startupTimeoutMs: number;
  /** A registry not resynced for this long makes the zone SERVFAIL; Infinity never. */
  maxStaleMs: number;
  listen: HostPort[];
  /** The names this chain takes: its Corefile server block's zones; ['.'] from flags or a file. */
  blockZones: string[];
  /**
   * The other server blocks on this server's port (a Corefile's), each its own chain; this one
   * is the primary block, whose listeners, registries and ops endpoints are the server's.
   */
  blocks: Config[];
  zones: string[];
  /** Served zones answered from ServiceImports (KEP-1645), lower-case without the dot; usually empty. */
  multiclusterZones: string[];
  ttl: number;
  /** Exposed namespaces; undefined exposes all. */
  namespaces?: string[];
  pods: PodMode;
  ignoreEmptyService: boolean;
  /** Zone-scoped names of headless services (CoreDNS `zonal`); absent: off. */
  zonal?: true;
  /** Headless services' trafficDistribution picks endpoints close to the client; absent: off. */
  topologyAware?: true;
  /** Served zones ('.' for all) whose NXDOMAIN names go on down the chain (hosts, upstreams). */
  fallthrough?: string[];
  /** Services' external addresses answered under zones of their own (k8s_external); absent: off. */
  external?: ExternalZoneConfig;
  /**
   * Hosts-file entries answered before the upstreams: inline lines, and a file re-read on reload;
   * for names under `zones`, and a name of those not listed goes on down the chain if under
   * `fallthrough`, else is SERVFAIL (CoreDNS's hosts without fallthrough).
   */
  hosts: { lines: string[]; file?: string; ttl: number; zones: string[]; fallthrough: string[] };
  /** CH TXT version.bind and friends answered under these zones (the chaos plugin); absent: off. */
  chaos?: { zones: string[]; version?: string; authors: string[] };
  /**
   * CoreDNS rewrite rules, each as its words (`name suffix .a .b`), applied in order to every question
   * before the chain (resolve/rewrite/); empty: off.
   */
  rewrite: string[][];
  /** Answers made from templates for names matching a regex (the template plugin), in order. */
  templates: TemplateSpec[];
  /** Rotate A/AAAA order per answer. */
  loadbalance: boolean;
  /** Answer localhost and the loopback reverse zones here (CoreDNS's local plugin). */
  local: boolean;
  /** Answer every question with the client's address and port when nothing forwards (whoami). */
  whoami: boolean;
  /** AAAA records synthesized from A records for IPv6 clients (RFC 6147, resolve/dns64/); absent: off. */
  dns64?: Dns64Options;
  upstreams: Upstream[];
  /** Zones forwarded to upstreams of their own. */
  stubDomains: { zone: string; upstreams: Upstream[] }[];
  /** Zones never forwarded. */
  forwardExcept?: string[];
  /** Where default upstreams and the host's search domains come from. */
  resolvConf: string;
  upstreamTimeoutMs: number;
  maxConcurrent: number;
  /** Our EDNS payload size: advertised, and the most a UDP reply to an EDNS client holds. */
  bufsize: number;
  /** How the upstream pool picks, reaches and checks its servers (forward's options). */
  upstreamPool: {
    policy: PoolPolicy;
    transport: UpstreamTransport;
    maxFails: number;
    probeIntervalMs: number;
    probe: { name: string; recursion: boolean };
    /** How tls:// upstreams are verified, and how long their idle connections stay open. */
    tls: UpstreamTls;
  };
  allowRecursion: string[];
  /** Clients answered at all; undefined answers everyone. */
  allowQuery?: string[];
  /** Every client's namespace (the sidecar case); undefined learns it per client from the pod table. */
  namespace?: string;
  autopath: boolean;
  cache: {
    maxEntries: number;
    maxDenialEntries: number;
    maxBytes: number;
    successMaxTtl: number;
    denialMaxTtl: number;
    staleWindow: number;
    /** Refresh popular answers before they expire; absent: off. */
    prefetch?: PrefetchOptions;
  };
  logQueries: boolean;
  /** Which logged queries get a line: names under these zones, answers of these classes. */
  queryLog: { zones: string[]; classes: QueryLogClass[] };
  logLevel: string;
  /** Seconds a TCP connection may stay idle. */
  tcpIdleTimeout: number;
  /** Processes answering queries; 0 or 1 answers in this process (see workers/). */
  workers: number;
  /** TCP connections open at once, over each listening address. */
  tcpMaxConnections: number;
  /** UDP response rate limiting; undefined when off. */
  rrl?: { rate: number; slip: number; window: number; maxClients: number };
}

/** The zones/ directory shipped with the package: the table served when --zones is not given. */
export const EMBEDDED_ZONES_DIR = fileURLToPath(new URL('../../zones', import.meta.url));
/** The multicluster zone served beside the default zones with the bundled zones/ (their clusterset.yaml). */
const EMBEDDED_MULTICLUSTER_ZONE = 'clusterset.local';

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  help: string;
  metavar?: string;
  /** The value taken when no flag, variable or file sets it; shown by `config print` and the docs. */
  defaultValue?: string | readonly string[];
  /** A repeatable option whose variable holds one value, not a comma-separated list (values hold commas). */
  wholeInEnv?: boolean;
  /**
   * An option whose unset value depends on what is served (the bundled zones/ turn on the demo's
   * zonal, topology-aware and multicluster names): `config print` leaves it out unless set, since
   * printing the value it has elsewhere (`false`, the default zones) would turn the demo off.
   */
  defaultByZones?: boolean;
}

export const OPTIONS = {
  config: {
    type: 'string',
    metavar: 'FILE',
    help: 'YAML file of options, keys as the flag names; flags and variables override it; reloaded on change',
  },
  corefile: {
    type: 'string',
    metavar: 'FILE',
    help: 'run a CoreDNS Corefile (see README.md); flags and variables override it; reloaded on change',
  },
  zones: {
    type: 'string',
    metavar: 'DIR',
    help: 'directory of zone files to serve (default: the bundled zones/ when no other registry is given)',
  },
  'zones-max-bytes': {
    defaultValue: '4194304',
    type: 'string',
    metavar: 'BYTES',
    help: 'a zone file larger than this is rejected, whole, with a warning naming it (default 4194304, 4 MiB)',
  },
  'zones-settle': {
    defaultValue: '500ms',
    type: 'string',
    metavar: 'DURATION',
    help: 'a zone file is read once it has not changed for this long, so a file being written is not served half-way (default 500ms)',
  },
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
  ...ETCD_OPTIONS,
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
  'startup-timeout': {
    defaultValue: '5s',
    type: 'string',
    metavar: 'DURATION',
    help: 'wait this long for registries to sync before serving; until they do, zone names answer SERVFAIL',
  },
  'max-stale': {
    type: 'string',
    metavar: 'DURATION',
    help: 'after a registry has been unreachable this long, zone names answer SERVFAIL (default unlimited)',
  },
  listen: {
    defaultValue: ['127.0.0.1:1053'],
    type: 'string',
    multiple: true,
    metavar: 'HOST:PORT',
    help: 'address to answer on over UDP and TCP, IPv6 as [::1]:1053; repeatable',
  },
  zone: {
    type: 'string',
    defaultValue: DEFAULT_ZONES,
    multiple: true,
    metavar: 'ZONE',
    defaultByZones: true,
    help: `zone to be authoritative for, forward or reverse; repeatable (default ${DEFAULT_ZONES.join(', ')}, and ${EMBEDDED_MULTICLUSTER_ZONE} when serving the bundled zones/)`,
  },
  multicluster: {
    type: 'string',
    multiple: true,
    metavar: 'ZONE',
    defaultByZones: true,
    help: `serve this --zone as a multicluster zone (clusterset.local): ServiceImports and their imported EndpointSlices, as the MCS API DNS specification and CoreDNS multicluster; repeatable; ${EMBEDDED_MULTICLUSTER_ZONE} when serving the bundled zones/ without --zone (docs/multicluster.md)`,
  },
  ttl: {
    defaultValue: '5',
    type: 'string',
    metavar: 'SECONDS',
    help: 'TTL of cluster records, 0-3600 (default 5)',
  },
  namespaces: {
    type: 'string',
    metavar: 'NS,...',
    help: 'expose only these namespaces; --kubernetes lists and watches only these (default all)',
  },
  pods: {
    defaultValue: 'disabled',
    type: 'string',
    metavar: 'MODE',
    help: 'disabled | insecure | verified: how a-b-c-d.<ns>.pod.<zone> is answered (default disabled)',
  },
  'ignore-empty-service': {
    type: 'boolean',
    help: 'NXDOMAIN for a ClusterIP service with no ready endpoint',
  },
  zonal: {
    type: 'boolean',
    defaultByZones: true,
    help: "answer <zone>.pin._zone.<svc>.<ns>.svc... (that topology zone's endpoints) and <zone>.prefer._zone... (those, else all) for headless services, as CoreDNS zonal; on when serving the bundled zones/ (docs/zonal.md)",
  },
  'topology-aware': {
    type: 'boolean',
    defaultByZones: true,
    help: "answer a headless service whose trafficDistribution is PreferSameZone/PreferSameNode with the endpoints in the client pod's zone/on its node, else all; watches Pods and Nodes with --kubernetes; on when serving the bundled zones/ (docs/zonal.md)",
  },
  fallthrough: {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'names of these served zones (. for all) that do not exist go on to --hosts and the upstreams',
  },
  'external-zone': {
    type: 'string',
    multiple: true,
    metavar: 'ZONE',
    help: "answer <service>.<namespace>.ZONE with the service's externalIPs and load balancer IPs (A, AAAA, SRV), as CoreDNS k8s_external; repeatable",
  },
  'external-ttl': {
    defaultValue: '5',
    type: 'string',
    metavar: 'SECONDS',
    help: 'TTL of --external-zone records, 0-3600 (default 5)',
  },
  'external-apex': {
    defaultValue: 'dns',
    type: 'string',
    metavar: 'LABEL',
    help: "the label under each --external-zone holding the name server's name, ns1.LABEL.ZONE (default dns)",
  },
  'external-headless': {
    type: 'boolean',
    help: 'answer headless services in --external-zone with their ready endpoints, and <endpoint>.<service>.<namespace>.ZONE',
  },
  'external-fallthrough': {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'names of --external-zone under these zones (. for all) that do not exist go on to --hosts and the upstreams',
  },
  hosts: {
    type: 'string',
    multiple: true,
    metavar: '"IP NAME..."',
    help: 'a hosts-file line answered before the upstreams (A, AAAA and PTR); repeatable',
  },
  'hosts-file': {
    type: 'string',
    metavar: 'FILE',
    help: 'a hosts file (/etc/hosts format) answered before the upstreams; read again when it changes',
  },
  chaos: {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'answer CH TXT version.bind, version.server, authors.bind, hostname.bind and id.server under these zones (. for all)',
  },
  'chaos-version': {
    type: 'string',
    metavar: 'TEXT',
    help: 'the version.bind answer (default clusterdns-VERSION)',
  },
  'chaos-authors': {
    type: 'string',
    multiple: true,
    metavar: 'NAME',
    help: 'an authors.bind answer, one record each; repeatable (default none: authors.bind is not answered)',
  },
  'hosts-zones': {
    type: 'string',
    defaultValue: '.',
    metavar: 'ZONE,...',
    help: '--hosts and --hosts-file answer names under these zones only (default ., every name)',
  },
  'hosts-fallthrough': {
    type: 'string',
    defaultValue: '.',
    metavar: 'ZONE,...',
    help: 'names of --hosts-zones not listed go on to the upstreams under these zones, and are SERVFAIL under others, as CoreDNS hosts without fallthrough (default ., every name; "" none)',
  },
  'hosts-ttl': {
    type: 'string',
    defaultValue: '3600',
    metavar: 'SECONDS',
    help: 'TTL of answers from --hosts and --hosts-file',
  },
  rewrite: {
    type: 'string',
    multiple: true,
    metavar: '"RULE"',
    help: 'a rule as a Corefile writes it after rewrite: [stop|continue] name [exact|prefix|suffix|substring|regex] FROM TO [answer auto|name FROM TO|value FROM TO], or type, class or ttl rules; applied in order to each question before it is answered; repeatable',
  },
  local: {
    type: 'boolean',
    help: 'answer localhost., names below it, localhost.<domain> and the 0, 127 and 255.in-addr.arpa zones here, never upstream',
  },
  whoami: {
    type: 'boolean',
    help: 'answer names nothing else answers with the client address and port (A/AAAA and SRV in the additional section), as CoreDNS whoami',
  },
  template: {
    type: 'string',
    multiple: true,
    metavar: '"CLASS TYPE [ZONE...] {...}"',
    // A regex such as {4,} holds a comma: CLUSTERDNS_TEMPLATE is one template.
    wholeInEnv: true,
    help: "answer names matching a regex with records from Go templates, as CoreDNS's template plugin; the words a Corefile writes after template, block and all; repeatable (the variable holds one)",
  },
  dns64: {
    type: 'string',
    metavar: 'PREFIX',
    help: `answer an IPv6 client's AAAA question for a name with A records only with AAAA records embedding them in PREFIX (RFC 6147 DNS64; ${DNS64_DEFAULT_PREFIX} is the well-known one; length 32, 40, 48, 56, 64 or 96)`,
  },
  'dns64-translate-all': {
    type: 'boolean',
    help: 'with --dns64: synthesize AAAA records from A records even for names that have AAAA records',
  },
  'dns64-allow-ipv4': {
    type: 'boolean',
    help: 'with --dns64: synthesize for clients asking over IPv4 too',
  },
  loadbalance: {
    type: 'boolean',
    help: 'rotate the order of A and AAAA records in each answer (round robin)',
  },
  upstream: {
    type: 'string',
    multiple: true,
    metavar: '[tls://]HOST[:PORT]',
    help: 'resolver for names outside the zones; repeatable, tried in order; tls:// asks it over DNS over TLS, port 853 (default: --resolv-conf nameservers)',
  },
  'resolv-conf': {
    defaultValue: '/etc/resolv.conf',
    type: 'string',
    metavar: 'FILE',
    help: 'default upstreams, and the host search domains autopath tries; "" reads none and forwards nowhere',
  },
  'stub-domain': {
    type: 'string',
    multiple: true,
    metavar: 'ZONE=[tls://]HOST[:PORT],...',
    help: 'ask these upstreams, not the default ones, for names under ZONE; repeatable',
  },
  'forward-except': {
    type: 'string',
    metavar: 'ZONE,...',
    help: 'names under these zones are never forwarded (REFUSED)',
  },
  'upstream-timeout': {
    defaultValue: '2s',
    type: 'string',
    metavar: 'DURATION',
    help: 'read timeout per upstream query (default 2s)',
  },
  'max-concurrent': {
    defaultValue: '1000',
    type: 'string',
    metavar: 'N',
    help: 'upstream queries in flight at most; beyond it REFUSED (default 1000)',
  },
  'upstream-policy': {
    defaultValue: 'sequential',
    type: 'string',
    metavar: 'POLICY',
    help: 'sequential | round_robin | random: the order upstreams are tried in (default sequential)',
  },
  'upstream-transport': {
    defaultValue: 'udp',
    type: 'string',
    metavar: 'MODE',
    help: "udp | tcp | client: UDP first (TCP when truncated), TCP only, or the client's transport (default udp)",
  },
  'upstream-max-fails': {
    defaultValue: '2',
    type: 'string',
    metavar: 'N',
    help: 'failures in a row that mark an upstream down until a probe is answered; 0 never (default 2)',
  },
  'upstream-health-check': {
    defaultValue: '0.5s',
    type: 'string',
    metavar: 'DURATION',
    help: 'how often a down upstream is probed (default 0.5s)',
  },
  'upstream-health-domain': {
    defaultValue: '.',
    type: 'string',
    metavar: 'NAME',
    help: 'the name whose NS a probe asks for (default .)',
  },
  'upstream-health-no-rec': {
    type: 'boolean',
    help: 'probes ask without recursion desired (RD clear)',
  },
  ...UPSTREAM_TLS_OPTIONS,
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
  'cache-size': {
    defaultValue: '10000',
    type: 'string',
    metavar: 'N',
    help: 'positive forwarded answers cached at most (default 10000)',
  },
  'cache-denial-size': {
    defaultValue: '10000',
    type: 'string',
    metavar: 'N',
    help: 'negative forwarded answers (NXDOMAIN, NODATA) cached at most, apart from the positive ones (default 10000)',
  },
  'cache-max-bytes': {
    defaultValue: '16777216',
    type: 'string',
    metavar: 'BYTES',
    help: 'bytes each of the positive and negative caches holds at most (default 16777216, 16 MiB)',
  },
  'cache-max-ttl': {
    defaultValue: '3600',
    type: 'string',
    metavar: 'SECONDS',
    help: 'cap on a cached positive answer (default 3600)',
  },
  'cache-denial-max-ttl': {
    defaultValue: '1800',
    type: 'string',
    metavar: 'SECONDS',
    help: 'cap on a cached negative answer (default 1800)',
  },
  'serve-stale': {
    defaultValue: '1h',
    type: 'string',
    metavar: 'DURATION',
    help: 'serve expired answers this long past expiry when upstreams fail; 0 disables (default 1h)',
  },
  'cache-prefetch': {
    type: 'string',
    metavar: '"AMOUNT [DURATION [PERCENT%]]"',
    help: 'fetch an answer asked AMOUNT times, no gap of DURATION (1m), again when PERCENT (10%) of its TTL is left; 0 off',
  },
  'log-queries': {
    type: 'boolean',
    help: 'log one line per query (client, name, type, transport, rcode, size, duration)',
  },
  'log-zones': {
    defaultValue: '.',
    type: 'string',
    metavar: 'ZONE,...',
    help: 'with --log-queries, log only names under these zones (default ., every name)',
  },
  'log-classes': {
    defaultValue: 'all',
    type: 'string',
    metavar: 'CLASS,...',
    help: 'with --log-queries, log only answers of these classes: all, success, denial (NXDOMAIN, NODATA), error (default all)',
  },
  'log-level': {
    defaultValue: 'info',
    type: 'string',
    metavar: 'LEVEL',
    help: 'trace | debug | info | warn | error (default info)',
  },
  bufsize: {
    defaultValue: String(ADVERTISED_UDP_SIZE),
    type: 'string',
    metavar: 'SIZE',
    help: `EDNS UDP payload size advertised, and the largest UDP reply to an EDNS client, ${BUFSIZE_RANGE.min}-${BUFSIZE_RANGE.max} (default ${ADVERTISED_UDP_SIZE})`,
  },
  'tcp-idle-timeout': {
    defaultValue: '10',
    type: 'string',
    metavar: 'SECONDS',
    help: 'close idle TCP connections after this (default 10)',
  },
  workers: {
    type: 'string',
    metavar: 'N',
    help: 'answer in N processes that share the listeners, fed one service table by a primary that holds the registries; 0 or 1 answers in one process (default: the CPUs this process may use, capped by its cgroup CPU quota)',
  },
  'tcp-max-connections': {
    defaultValue: '1000',
    type: 'string',
    metavar: 'N',
    help: 'TCP connections open at most; at the cap the idlest one is closed to make room (default 1000)',
  },
  rrl: {
    type: 'string',
    metavar: 'RATE',
    help: 'response rate limiting: UDP responses a second per client /24 (IPv4) or /56 (IPv6); beyond it dropped or slipped (default off)',
  },
  'rrl-slip': {
    defaultValue: '2',
    type: 'string',
    metavar: 'N',
    help: 'with --rrl, every Nth limited response is sent truncated (TC) so a real client retries over TCP; 0 drops all (default 2)',
  },
  'rrl-window': {
    defaultValue: '15',
    type: 'string',
    metavar: 'SECONDS',
    help: 'with --rrl, a client network that flooded stays limited for up to this long (default 15)',
  },
  'rrl-max-clients': {
    defaultValue: '20000',
    type: 'string',
    metavar: 'N',
    help: 'with --rrl, client networks tracked at most; beyond it the least recently seen is forgotten (default 20000)',
  },
  ...OPS_OPTIONS,
  help: { type: 'boolean', help: 'show this help' },
  version: { type: 'boolean', help: 'print the version' },
} satisfies Record<string, OptionSpec>;

// The command line is read in command.ts (it also reads the config file and the Corefile, which
// need this module); callers that know it from here keep working.
export { parseCommandLine, type ParsedCommand } from './command.js';

export type OptionName = keyof typeof OPTIONS;
/** An option's value before checking: flags and files give strings, booleans and lists of strings. */
export type RawValue = string | boolean | string[];

/** One place options come from, and how a message names a key there. */
export interface OptionLayer {
  values: Partial<Record<string, RawValue>>;
  /** `--ttl`, `CLUSTERDNS_TTL`, `clusterdns.yaml: ttl`, `Corefile:7 ttl`: what the user can find. */
  label: (name: string) => string;
}

/** Keys that choose where options come from, or what the command does, rather than serving. */
export const COMMAND_OPTIONS: readonly string[] = ['help', 'version', 'config', 'corefile'];

export class ConfigError extends Error {}

/**
 * The multicluster zones, each a forward zone that is also served: a multicluster zone's names
 * are the server's own to answer (CoreDNS: "The plugin MUST be authoritative for the zones listed").
 */
function multicluster(values: string[], zones: string[], fail: (message: string) => ConfigError): string[] {
  const served = new Set(zones.map((zone) => parseZone(zone).name));
  const names: string[] = [];
  for (const value of values) {
    let zone;
    try {
      zone = parseZone(value);
    } catch (error) {
      throw fail((error as Error).message);
    }
    if (zone.kind !== 'forward')
      throw fail(`"${value}": a multicluster zone is a forward zone, not a reverse one`);
    if (!served.has(zone.name)) {
      throw fail(
        `"${value}" is not a served zone (${[...served].join(', ')}): add --zone ${zone.name} (in a Corefile, list it on the kubernetes line)`,
      );
    }
    if (!names.includes(zone.name)) names.push(zone.name);
  }
  return names;
}

/** A namespace name: an RFC 1123 label (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names). */
const NAMESPACE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function envName(option: string): string {
  return `CLUSTERDNS_${option.toUpperCase().replaceAll('-', '_')}`;
}

export function optionSpec(name: string): OptionSpec | undefined {
  return Object.hasOwn(OPTIONS, name) ? (OPTIONS as Record<string, OptionSpec>)[name] : undefined;
}

export function usage(): string {
  const lines = [
    'Usage: clusterdns [options]',
    '       clusterdns config print [options]   show the effective configuration as a config file',
    '       clusterdns register --help          keep an instance registered in etcd',
    '',
    'Options (each also read from CLUSTERDNS_<OPTION>, and from the --config file under its own name):',
  ];
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const flag = `--${name}${spec.metavar ? ` ${spec.metavar}` : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${spec.help}`);
  }
  return lines.join('\n');
}

/** The command line as options and positional words; throws ConfigError with the usage. */
export function flagLayer(argv: string[]): { layer: OptionLayer; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: withBareKubernetes(argv),
      options: OPTIONS,
      strict: true,
      allowPositionals: true,
    });
    return { layer: { values, label: (name) => `--${name}` }, positionals };
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${usage()}`);
  }
}

/** CLUSTERDNS_* variables: lists comma-separated, booleans as true/false (also 1/0, yes/no, on/off). */
export function envLayer(env: NodeJS.ProcessEnv): OptionLayer {
  const values: Partial<Record<string, RawValue>> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    const fromEnv = env[envName(name)];
    if (fromEnv === undefined || fromEnv === '') continue;
    if (spec.type === 'boolean') values[name] = parseBoolean(name, fromEnv);
    else if (!spec.multiple) values[name] = fromEnv;
    else values[name] = spec.wholeInEnv ? [fromEnv] : splitList(fromEnv);
  }
  return { values, label: envName };
}

/** The layers merged, earliest first: the first that sets a key wins it. */
export function mergeLayers(layers: readonly OptionLayer[]): {
  read: Reader;
  label: (name: string) => string;
} {
  const owner = (name: string) => layers.find((layer) => layer.values[name] !== undefined);
  return {
    read: (name) => owner(name)?.values[name],
    label: (name) => owner(name)?.label(name) ?? `--${name}`,
  };
}

/** Check every value and build the Config; the first bad value throws, named by where it came from. */
export function buildConfig(layers: readonly OptionLayer[], env: NodeJS.ProcessEnv): Config {
  try {
    return checkLayers(layers, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A check that names the option as its flag (--nacos-api: ...) is told where the value came
    // from instead, so a bad file key or variable is reported as that.
    const match = /^--([a-z0-9-]+)(?=:)/.exec(error.message);
    const label = mergeLayers(layers).label;
    if (!match || !optionSpec(match[1]!) || label(match[1]!) === match[0]) throw error;
    throw new ConfigError(`${label(match[1]!)}${error.message.slice(match[0].length)}`);
  }
}

function checkLayers(layers: readonly OptionLayer[], env: NodeJS.ProcessEnv): Config {
  const { read: raw, label } = mergeLayers(layers);
  const read: Reader = (name) => {
    const value = raw(name);
    if (value !== undefined) return value;
    const fallback = (OPTIONS[name] as OptionSpec).defaultValue;
    return typeof fallback === 'string' ? fallback : fallback ? [...fallback] : undefined;
  };
  const fail = (name: OptionName, message: string) => new ConfigError(`${label(name)}: ${message}`);
  const list = (name: OptionName) => (read(name) as string[] | undefined)?.flatMap(splitList);
  const checked = <T>(name: OptionName, parse: (value: string) => T, value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw fail(name, (error as Error).message);
    }
  };
  const text = (name: OptionName) => read(name) as string | undefined;
  const registries = zonesAndRegistries(read, checked);
  // Serving the bundled zones/ (no registry given) is the demo: there zone-scoped, topology-aware
  // and multicluster names all answer, so that docs/zonal.md's and docs/multicluster.md's examples
  // work against `npm start` as written. Elsewhere each is off unless asked for, as in CoreDNS.
  const bundled = registries.zonesDir === EMBEDDED_ZONES_DIR;
  const clusterset = bundled && raw('zone') === undefined && raw('multicluster') === undefined;
  const zones = clusterset ? [...DEFAULT_ZONES, EMBEDDED_MULTICLUSTER_ZONE] : list('zone')!;
  zones.forEach((zone) => checked('zone', parseZone, zone));
  const multiclusterZones = multicluster(
    list('multicluster') ?? (clusterset ? [EMBEDDED_MULTICLUSTER_ZONE] : []),
    zones,
    (message) => fail('multicluster', message),
  );
  const namespaces = text('namespaces');
  if (namespaces !== undefined && text('namespace-labels') !== undefined) {
    // CoreDNS refuses `namespaces` with `namespace_labels` too (plugin/kubernetes/setup.go).
    throw fail(
      'namespace-labels',
      `cannot go with ${label('namespaces')}: a namespace label selector needs to list every Namespace of the ` +
        'cluster, while a list of namespaces watches only those (what a namespaced Role allows); use one of them',
    );
  }
  const pods = text('pods')!;
  if (pods !== 'disabled' && pods !== 'insecure' && pods !== 'verified') {
    throw fail('pods', `"${pods}": expected disabled, insecure or verified`);
  }
  // In a Kubernetes pod the cluster's clients may be any range: everyone, unless a layer says (see
  // resolve/recursion.ts).
  const inPod = raw('allow-recursion') === undefined && env.KUBERNETES_SERVICE_HOST !== undefined;
  const allowRecursion = inPod ? [...IN_CLUSTER_ALLOW_RECURSION] : splitList(text('allow-recursion')!);
  checked('allow-recursion', (value) => parseCidrs(splitList(value)), allowRecursion.join(','));
  const allowQueryText = text('allow-query');
  const allowQuery = allowQueryText === undefined ? undefined : splitList(allowQueryText);
  if (allowQuery) checked('allow-query', (value) => parseCidrs(splitList(value)), allowQuery.join(','));
  // The Kubernetes downward API sets POD_NAMESPACE in a sidecar; an explicit option wins.
  const namespace = (text('namespace') ?? env.POD_NAMESPACE)?.toLowerCase();
  if (namespace !== undefined && !NAMESPACE_NAME.test(namespace)) {
    throw fail('namespace', `"${namespace}": expected a namespace name (a DNS label)`);
  }
  const exposed = namespaces === undefined ? undefined : splitList(namespaces).map((ns) => ns.toLowerCase());
  // Each becomes a path of the Kubernetes API (/api/v1/namespaces/NS/services) as well as a label.
  const badNamespace = exposed?.find((ns) => !NAMESPACE_NAME.test(ns));
  if (badNamespace !== undefined) {
    throw fail('namespaces', `"${badNamespace}": expected namespace names (DNS labels), comma-separated`);
  }
  if (exposed?.length === 0) throw fail('namespaces', 'expected one or more namespace names');
  const number = (name: OptionName, min: number, max: number) =>
    checked(name, (value) => integer(value, min, max), text(name)!);
  const seconds = (name: OptionName) => checked(name, duration, text(name)!);
  const logLevel = text('log-level')!;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw fail('log-level', `"${logLevel}": expected trace, debug, info, warn or error`);
  }
  const zoneList = (name: OptionName) => {
    const value = text(name);
    if (value === undefined) return undefined;
    const names = splitList(value).map((zone) => (zone === '.' ? '.' : checked(name, parseZone, zone).name));
    return names;
  };
  const fallthrough = zoneList('fallthrough');
  const forwardExcept = zoneList('forward-except');
  const hostsFile = text('hosts-file');
  const upstreams = (list('upstream') ?? []).map((value) => checked('upstream', parseUpstream, value));
  const stubDomains = ((read('stub-domain') as string[] | undefined) ?? []).map((value) =>
    checked('stub-domain', stubDomain, value),
  );
  const tls = upstreamTlsConfig(text, checked, duration, [
    ...upstreams,
    ...stubDomains.flatMap((s) => s.upstreams),
  ]);
  const zonal =
    ((read('zonal') as boolean | undefined) ?? (bundled && read('no-endpoints') !== true)) === true;
  if (zonal && read('no-endpoints') === true) {
    // CoreDNS refuses `zonal` with `noendpoints` too (plugin/kubernetes/setup.go): zonal names are
    // answered from endpoints, and noendpoints promises NXDOMAIN for every headless name.
    throw fail(
      'zonal',
      `cannot go with ${label('no-endpoints')}: zone-scoped names are answered from EndpointSlices; remove one`,
    );
  }
  const topologyAware = ((read('topology-aware') as boolean | undefined) ?? bundled) === true;
  return {
    ...registries,
    zoneFiles: {
      maxBytes: number('zones-max-bytes', 1, 2 ** 31 - 1),
      settleMs: Math.round(seconds('zones-settle') * 1000),
    },
    ...opsConfig((name) => read(name) as string | undefined, checked, duration),
    startupTimeoutMs: Math.round(seconds('startup-timeout') * 1000),
    maxStaleMs: read('max-stale') === undefined ? Infinity : Math.round(seconds('max-stale') * 1000),
    listen: list('listen')!.map((value) => checked('listen', parseHostPort, value)),
    blockZones: ['.'],
    blocks: [],
    zones,
    multiclusterZones,
    ttl: number('ttl', 0, 3600),
    ...(exposed !== undefined ? { namespaces: exposed } : {}),
    pods,
    ignoreEmptyService: (read('ignore-empty-service') as boolean | undefined) ?? false,
    ...(zonal ? { zonal: true as const } : {}),
    ...(topologyAware ? { topologyAware: true as const } : {}),
    ...(fallthrough ? { fallthrough } : {}),
    ...externalZoneConfig(read, checked, zoneList, number),
    hosts: {
      lines: (read('hosts') as string[] | undefined) ?? [],
      ...(hostsFile !== undefined ? { file: hostsFile } : {}),
      ttl: number('hosts-ttl', 0, 604800),
      zones: zoneList('hosts-zones')!,
      fallthrough: zoneList('hosts-fallthrough')!,
    },
    ...chaosConfig(read, checked),
    rewrite: ((read('rewrite') as string[] | undefined) ?? []).map((rule) =>
      checked('rewrite', rewriteWords, rule),
    ),
    templates: ((read('template') as string[] | undefined) ?? []).map((value) =>
      checked('template', templateOption, value),
    ),
    loadbalance: (read('loadbalance') as boolean | undefined) ?? false,
    local: (read('local') as boolean | undefined) ?? false,
    whoami: (read('whoami') as boolean | undefined) ?? false,
    ...dns64Config(read, checked, fail),
    upstreams,
    stubDomains,
    ...(forwardExcept ? { forwardExcept } : {}),
    resolvConf: text('resolv-conf')!,
    upstreamTimeoutMs: Math.round(seconds('upstream-timeout') * 1000),
    maxConcurrent: number('max-concurrent', 1, 1_000_000),
    bufsize: number('bufsize', BUFSIZE_RANGE.min, BUFSIZE_RANGE.max),
    upstreamPool: { ...upstreamPool(read, checked, number), tls },
    allowRecursion,
    ...(allowQuery ? { allowQuery } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    autopath: (read('autopath') as boolean | undefined) ?? false,
    cache: {
      maxEntries: number('cache-size', 0, 10_000_000),
      maxDenialEntries: number('cache-denial-size', 0, 10_000_000),
      maxBytes: number('cache-max-bytes', 0, 2 ** 40),
      successMaxTtl: number('cache-max-ttl', 0, 604800),
      denialMaxTtl: number('cache-denial-max-ttl', 0, 604800),
      staleWindow: seconds('serve-stale'),
      ...(text('cache-prefetch') !== undefined && {
        prefetch: checked('cache-prefetch', parsePrefetch, text('cache-prefetch')!),
      }),
    },
    logQueries: (read('log-queries') as boolean | undefined) ?? false,
    queryLog: {
      zones: zoneList('log-zones')!,
      classes: checked('log-classes', parseQueryLogClasses, text('log-classes')!),
    },
    logLevel,
    tcpIdleTimeout: number('tcp-idle-timeout', 1, 3600),
    workers: read('workers') === undefined ? usableCpus() : number('workers', 0, 256),
    tcpMaxConnections: number('tcp-max-connections', 1, 1_000_000),
    ...(text('rrl') !== undefined && {
      rrl: {
        rate: number('rrl', 1, 1_000_000),
        slip: number('rrl-slip', 0, 10),
        window: number('rrl-window', 1, 3600),
        maxClients: number('rrl-max-clients', 1, 10_000_000),
      },
    }),
  };
}

type Reader = (name: OptionName) => RawValue | undefined;

/**
 * `AMOUNT [DURATION [PERCENT%]]` as CoreDNS's cache setup reads prefetch: AMOUNT 0 turns it off,
 * DURATION defaults to 1m, PERCENT to 10% and lies in 10-90%.
 */
function parsePrefetch(value: string): PrefetchOptions | undefined {
  const words = value.trim().split(/\s+/);
  const [amount, window = '1m', percent = '10%'] = words;
  if (words.length > 3) throw new Error(`"${value}": expected AMOUNT [DURATION [PERCENT%]]`);
  const count = integer(amount!, 0, 1_000_000);
  const match = /^(\d+)%$/.exec(percent);
  const percentage = match ? Number(match[1]) : NaN;
  if (!(percentage >= 10 && percentage <= 90)) {
    throw new Error(`"${percent}": expected a percentage from 10% to 90%`);
  }
  const windowMs = Math.round(duration(window) * 1000);
  if (windowMs < 1) throw new Error(`"${window}": expected a duration of at least 1ms`);
  return count === 0 ? undefined : { amount: count, windowMs, percentage };
}

/** A rule's words, checked by building it. */
function rewriteWords(rule: string): string[] {
  const words = rule
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  try {
    parseRewriteRule(words);
  } catch (error) {
    throw new Error(`"${rule}": ${(error as Error).message}`, { cause: error });
  }
  return words;
}

function dns64Config(
  read: Reader,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
  fail: (name: OptionName, message: string) => ConfigError,
): Pick<Config, 'dns64'> {
  const prefix = read('dns64') as string | undefined;
  const translateAll = (read('dns64-translate-all') as boolean | undefined) ?? false;
  const allowIPv4 = (read('dns64-allow-ipv4') as boolean | undefined) ?? false;
  if (prefix === undefined) {
    // Alone they would do nothing: said, rather than silently ignored.
    if (translateAll) throw fail('dns64-translate-all', 'needs --dns64 PREFIX');
    if (allowIPv4) throw fail('dns64-allow-ipv4', 'needs --dns64 PREFIX');
    return {};
  }
  checked('dns64', parseDns64Prefix, prefix);
  return { dns64: { prefix, translateAll, allowIPv4 } };
}

export interface ExternalZoneConfig {
  zones: string[];
  ttl: number;
  /** The label of `ns1.<apex>.<zone>`. */
  apex: string;
  headless: boolean;
  /** Zones ('.' for all) whose NXDOMAIN names go on down the chain. */
  fallthrough?: string[];
}

function externalZoneConfig(
  read: Reader,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
  zoneList: (name: OptionName) => string[] | undefined,
  number: (name: OptionName, min: number, max: number) => number,
): Pick<Config, 'external'> {
  const zones = ((read('external-zone') as string[] | undefined) ?? []).flatMap(splitList);
  if (zones.length === 0) return {};
  const forward = (value: string) => {
    const zone = parseZone(value);
    // CoreDNS's k8s_external also answers PTR for the external IPs; that is not served here.
    if (zone.kind !== 'forward')
      throw new Error(`zone "${value}": expected a forward zone such as example.org`);
    return zone.name;
  };
  const apex = read('external-apex') as string;
  const fallthrough = zoneList('external-fallthrough');
  return {
    external: {
      zones: zones.map((zone) => checked('external-zone', forward, zone)),
      ttl: number('external-ttl', 0, 3600),
      apex: checked('external-apex', dnsLabel, apex),
      headless: (read('external-headless') as boolean | undefined) ?? false,
      ...(fallthrough ? { fallthrough } : {}),
    },
  };
}

function dnsLabel(value: string): string {
  const label = value.toLowerCase();
  if (!isDnsLabel(label)) throw new Error(`"${value}": expected ${LABEL_RULE}`);
  return label;
}

function chaosConfig(
  read: Reader,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
): Pick<Config, 'chaos'> {
  const zones = read('chaos') as string | undefined;
  if (zones === undefined) return {};
  // Each answer is one TXT character-string (RFC 1035 §3.3).
  const text = (name: OptionName, value: string) =>
    checked(
      name,
      (v) => {
        if (Buffer.byteLength(v) > MAX_TXT_STRING)
          throw new Error(`"${v}": longer than ${MAX_TXT_STRING} bytes`);
        return v;
      },
      value,
    );
  const version = read('chaos-version') as string | undefined;
  return {
    chaos: {
      zones: splitList(zones).map((zone) => (zone === '.' ? '.' : checked('chaos', parseZone, zone).name)),
      ...(version !== undefined ? { version: text('chaos-version', version) } : {}),
      authors: ((read('chaos-authors') as string[] | undefined) ?? []).map((a) => text('chaos-authors', a)),
    },
  };
}

function upstreamPool(
  read: Reader,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
  number: (name: OptionName, min: number, max: number) => number,
): Omit<Config['upstreamPool'], 'tls'> {
  const choice = <T extends string>(name: OptionName, choices: readonly T[]) =>
    checked(
      name,
      (value) => {
        if (!(choices as readonly string[]).includes(value)) {
          throw new Error(`"${value}": expected ${choices.join(', ')}`);
        }
        return value as T;
      },
      read(name) as string,
    );
  // A probe every 0s would be a busy loop.
  const probeIntervalMs = checked(
    'upstream-health-check',
    (value) => {
      const ms = Math.round(duration(value) * 1000);
      if (ms < 1) throw new Error(`"${value}": expected a duration of at least 1ms`);
      return ms;
    },
    read('upstream-health-check') as string,
  );
  const domain = read('upstream-health-domain') as string;
  return {
    policy: choice('upstream-policy', POOL_POLICIES),
    transport: choice('upstream-transport', UPSTREAM_TRANSPORTS),
    maxFails: number('upstream-max-fails', 0, 1_000_000),
    probeIntervalMs,
    probe: {
      name: domain === '.' ? '' : checked('upstream-health-domain', parseZone, domain).name,
      recursion: read('upstream-health-no-rec') !== true,
    },
  };
}

/** The registries asked for; the bundled zones/ only when none is. */
function zonesAndRegistries(
  read: Reader,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
): Pick<Config, 'zonesDir' | 'kubernetes' | 'etcd' | 'nacos'> {
  const optional = (name: OptionName) => read(name) as string | undefined;
  const kubernetesFlag = optional('kubernetes');
  const kubeconfig = optional('kubeconfig');
  let kubernetes: KubernetesConfig | undefined;
  if (kubernetesFlag !== undefined || kubeconfig !== undefined) {
    if (kubernetesFlag) checked('kubernetes', (value) => new URL(value), kubernetesFlag);
    kubernetes = {};
    const fields: [
      Exclude<keyof KubernetesConfig, 'noEndpoints' | 'endpointPodNames'>,
      string | undefined,
    ][] = [
      ['url', kubernetesFlag || undefined],
      ['kubeconfig', kubeconfig],
      ['context', optional('kube-context')],
      ['tokenFile', optional('kube-token-file')],
      ['caFile', optional('kube-ca-file')],
      ['labels', optional('labels')],
      ['namespaceLabels', optional('namespace-labels')],
    ];
    for (const [key, value] of fields) if (value !== undefined) kubernetes[key] = value;
    if (read('no-endpoints') === true) kubernetes.noEndpoints = true;
    if (read('endpoint-pod-names') === true) kubernetes.endpointPodNames = true;
  }
  let etcd: EtcdConfig | undefined;
  try {
    etcd = etcdConfigFrom(optional);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const nacos = nacosConfig(optional, checked);
  const zones = optional('zones');
  const registry = kubernetes || etcd || nacos;
  return {
    // --zones '' serves no zone files: a forwarder, or a Corefile block without kubernetes.
    ...(zones !== undefined
      ? zones === ''
        ? {}
        : { zonesDir: zones }
      : registry
        ? {}
        : { zonesDir: EMBEDDED_ZONES_DIR }),
    ...(kubernetes ? { kubernetes } : {}),
    ...(etcd ? { etcd } : {}),
    ...(nacos ? { nacos } : {}),
  };
}

function nacosConfig(
  optional: (name: OptionName) => string | undefined,
  checked: <T>(name: OptionName, parse: (value: string) => T, value: string) => T,
): NacosConfig | undefined {
  const given = optional('nacos');
  if (given === undefined) return undefined;
  const urls = splitList(given);
  for (const url of urls) checked('nacos', nacosUrl, url);
  if (urls.length === 0) throw new ConfigError('--nacos: expected a URL, e.g. http://nacos:8848');
  const url = urls[0]!;
  const api = optional('nacos-api') ?? 'v1';
  if (api !== 'v1' && api !== 'v2' && api !== 'v3' && api !== 'grpc') {
    throw new ConfigError(`--nacos-api: "${api}": expected v1, v2, v3 or grpc`);
  }
  // The HTTP APIs poll one server (put a load balancer in front); a gRPC client fails over itself.
  if (urls.length > 1 && api !== 'grpc') {
    throw new ConfigError(`--nacos: several servers need --nacos-api grpc; ${api} polls one server`);
  }
  const grpcPortText = optional('nacos-grpc-port');
  if (grpcPortText !== undefined && api !== 'grpc') {
    throw new ConfigError('--nacos-grpc-port: only with --nacos-api grpc');
  }
  const grpcPort =
    grpcPortText === undefined ? undefined : checked('nacos-grpc-port', portNumber, grpcPortText);
  const namespaces = checked(
    'nacos-namespace-map',
    parseNamespaceMap,
    optional('nacos-namespace-map') ?? 'default=public',
  );
  const username = optional('nacos-username');
  const passwordFile = optional('nacos-password-file');
  if ((username === undefined) !== (passwordFile === undefined)) {
    throw new ConfigError('--nacos-username and --nacos-password-file go together');
  }
  const millis = (name: OptionName, fallback: string) =>
    Math.round(checked(name, duration, optional(name) ?? fallback) * 1000);
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
    group: optional('nacos-group') ?? 'DEFAULT_GROUP',
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

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !isPortNumber(port)) throw new Error(`"${value}": expected a port 1-65535`);
  return port;
}

/** `prod=33ea21bc-…,default=public`: DNS namespaces (labels) and the Nacos namespace IDs they serve. */
function parseNamespaceMap(value: string): NacosConfig['namespaces'] {
  const pairs = splitList(value).map((pair) => {
    const at = pair.indexOf('=');
    const dns = (at === -1 ? pair : pair.slice(0, at)).trim().toLowerCase();
    if (at === -1 || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(dns)) {
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

/** `ZONE=[tls://]HOST[:PORT],...`: a stub zone and its upstreams. */
function stubDomain(value: string): { zone: string; upstreams: Upstream[] } {
  const at = value.indexOf('=');
  const upstreams = splitList(value.slice(at + 1));
  if (at <= 0 || upstreams.length === 0) {
    throw new Error(`"${value}": expected ZONE=HOST[:PORT],... as in consul.local=10.150.0.1`);
  }
  return { zone: parseZone(value.slice(0, at)).name, upstreams: upstreams.map(parseUpstream) };
}

export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function integer(value: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) {
    throw new Error(`"${value}": expected a whole number from ${min} to ${max}`);
  }
  return number;
}

/** `--kubernetes` may stand alone (kubeconfig or in-cluster): give it an empty value then. */
function withBareKubernetes(argv: string[]): string[] {
  return argv.map((arg, i) =>
    arg === '--kubernetes' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))
      ? '--kubernetes='
      : arg,
  );
}

/** A duration as `2s`, `500ms`, `5m`, `1h` or plain seconds; returns seconds. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new Error(`"${value}": expected a duration such as 2s, 500ms, 5m or 1h`);
  const scale = { ms: 0.001, s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * scale;
}

function parseBoolean(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${envName(name)}: "${value}": expected true or false`);
}
