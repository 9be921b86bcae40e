// Which registries fill the table (zone files, Kubernetes, etcd, Nacos), and how long the server
// waits for them and trusts them.
import { ConfigError } from '../values.js';
import { ETCD_OPTIONS, etcdConfigFrom, type EtcdConfig } from './etcd.js';
import { EMBEDDED_ZONES_DIR, FILES_OPTIONS } from './files.js';
import { KUBERNETES_OPTIONS, kubernetesConfig, type KubernetesConfig } from './kubernetes.js';
import { NACOS_OPTIONS, nacosConfig, type NacosConfig } from './nacos.js';
import type { OptionSpec, Reading } from './reading.js';

export const REGISTRY_OPTIONS = {
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
} satisfies Record<string, OptionSpec>;

type RegistryOptionName =
  | keyof typeof REGISTRY_OPTIONS
  | keyof typeof FILES_OPTIONS
  | keyof typeof KUBERNETES_OPTIONS
  | keyof typeof ETCD_OPTIONS
  | keyof typeof NACOS_OPTIONS;

export interface RegistriesConfig {
  /** Zone files to serve; undefined when another registry is configured and --zones is not. */
  zonesDir?: string;
  kubernetes?: KubernetesConfig;
  etcd?: EtcdConfig;
  nacos?: NacosConfig;
  /** Longest wait for registries to sync before serving anyway (SERVFAIL for unknown names). */
  startupTimeoutMs: number;
  /** A registry not resynced for this long makes the zone SERVFAIL; Infinity never. */
  maxStaleMs: number;
}

/** The registries asked for; the bundled zones/ only when none is. */
export function registriesConfig(reading: Reading<RegistryOptionName>): RegistriesConfig {
  const kubernetes = kubernetesConfig(reading);
  let etcd: EtcdConfig | undefined;
  try {
    etcd = etcdConfigFrom(reading.text);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const nacos = nacosConfig(reading);
  const zones = reading.text('zones');
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
    startupTimeoutMs: reading.ms('startup-timeout'),
    maxStaleMs: reading.read('max-stale') === undefined ? Infinity : reading.ms('max-stale'),
  };
}
