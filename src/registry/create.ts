// Builds the configured registry backends, in priority order: when two define the same service,
// the earlier one's wins (the table merges them in this order). Each runs under a supervisor that
// builds it again from the same settings when it fails (supervisor.ts).

import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { RegistryBackend } from './backend.js';
import { FileBackend } from './file/backend.js';
import { KubernetesBackend } from './kubernetes/backend.js';
import { resolveConnection } from './kubernetes/connection.js';
import { EtcdBackend } from './etcd/backend.js';
import { connectEtcd, describeConnection } from './etcd/connection.js';
import { parseZone } from '../dns/zones.js';
import { NacosBackend } from './nacos/backend.js';
import { SupervisedBackend } from './supervisor.js';

export interface BackendHooks {
  /** The Kubernetes backend's time from a change arriving to its delivery, for metrics. */
  onProgrammingLatency?: (ms: number) => void;
  /** A backend failed and is being built again. */
  onRestart?: (name: string) => void;
  /** A backend dropped a read from its registry for passing a size cap. */
  onOversizedRead?: (name: string) => void;
}

/**
 * What the Kubernetes backend watches beyond Services and EndpointSlices. Pods are the largest and
 * busiest kind: only `--pods verified` needs them, and --topology-aware (a client is known by its
 * pod), which also needs the Nodes' zones; ServiceImports only where a multicluster zone serves them.
 */
export function kubernetesWatches(config: Config): { pods: boolean; nodes: boolean; imports: boolean } {
  return {
    pods: config.pods === 'verified' || config.topologyAware === true,
    nodes: config.topologyAware === true,
    imports: config.multiclusterZones.length > 0,
  };
}

export async function createBackends(
  config: Config,
  logger: Logger,
  hooks: BackendHooks = {},
): Promise<SupervisedBackend[]> {
  const factories = backendFactories(config, logger, hooks);
  const backends: SupervisedBackend[] = [];
  for (const make of factories) {
    backends.push(new SupervisedBackend(await make(), make, logger, hooks.onRestart));
  }
  return backends;
}

function backendFactories(
  config: Config,
  logger: Logger,
  hooks: BackendHooks,
): (() => Promise<RegistryBackend>)[] {
  const backends: (() => Promise<RegistryBackend>)[] = [];
  if (config.zonesDir !== undefined) {
    const dir = config.zonesDir;
    // Only the first start stops on a broken file: a backend rebuilt after a failure keeps going.
    let first = true;
    backends.push(async () => {
      const backend = new FileBackend({
        dir,
        logger: logger.child({ backend: 'file' }),
        ...config.zoneFiles,
        strictStart: first,
      });
      first = false;
      return backend;
    });
  }
  if (config.kubernetes) {
    const { kubernetes } = config;
    const watches = kubernetesWatches(config);
    backends.push(
      async () =>
        new KubernetesBackend({
          connection: await resolveConnection({
            kubeconfig: kubernetes.kubeconfig,
            context: kubernetes.context,
            url: kubernetes.url,
            tokenFile: kubernetes.tokenFile,
            caFile: kubernetes.caFile,
          }),
          logger: logger.child({ backend: 'kubernetes' }),
          watchPods: watches.pods,
          ...(watches.nodes ? { watchNodes: true } : {}),
          watchEndpoints: !kubernetes.noEndpoints,
          ...(kubernetes.endpointPodNames ? { endpointPodNames: true } : {}),
          ...(watches.imports && { multicluster: true }),
          labelSelector: kubernetes.labels,
          namespaceLabelSelector: kubernetes.namespaceLabels,
          // Only the exposed namespaces are listed and watched, each through its own paths.
          ...(config.namespaces && { namespaces: config.namespaces }),
          ...(hooks.onProgrammingLatency ? { onProgrammingLatency: hooks.onProgrammingLatency } : {}),
          onOversizedRead: () => hooks.onOversizedRead?.('kubernetes'),
        }),
    );
  }
  if (config.etcd) {
    const etcd = config.etcd;
    backends.push(
      async () =>
        new EtcdBackend({
          client: await connectEtcd(etcd),
          prefix: etcd.prefix,
          // Keys map only under a forward zone's `svc` layout: reverse zones are answered from the table.
          zones: config.zones.map(parseZone).flatMap((zone) => (zone.kind === 'forward' ? [zone.name] : [])),
          logger: logger.child({ backend: 'etcd' }),
          connection: describeConnection(etcd),
          // A quiet etcd must be confirmed often enough that --max-stale never sees it as stale.
          freshIntervalMs: Math.max(100, Math.min(10_000, config.maxStaleMs / 3)),
          onOversizedRead: () => hooks.onOversizedRead?.('etcd'),
        }),
    );
  }
  if (config.nacos) {
    const { nacos } = config;
    backends.push(
      async () =>
        new NacosBackend({
          url: nacos.url,
          api: nacos.api,
          ...(nacos.servers && { servers: nacos.servers.map((url) => ({ url })) }),
          ...(nacos.grpcPort !== undefined && { grpcPort: nacos.grpcPort }),
          namespaces: nacos.namespaces,
          group: nacos.group,
          ...(nacos.username !== undefined &&
            nacos.passwordFile !== undefined && {
              credentials: { username: nacos.username, passwordFile: nacos.passwordFile },
            }),
          minPollMs: nacos.minPollMs,
          relistMs: nacos.relistMs,
          logger: logger.child({ backend: 'nacos' }),
          onOversizedRead: () => hooks.onOversizedRead?.('nacos'),
        }),
    );
  }
  return backends;
}
