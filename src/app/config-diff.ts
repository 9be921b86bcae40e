// What a reload must rebuild: the sections of the configuration that changed.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/config.js';
import { kubernetesWatches } from '../registry/create.js';

/** Settings read only when backends start, and only when listeners bind. */
const BACKEND_KEYS = ['zonesDir', 'zoneFiles', 'kubernetes', 'startupTimeoutMs', 'maxStaleMs'] as const;
const LISTENER_KEYS = ['listen', 'tcpIdleTimeout', 'tcpMaxConnections'] as const;
/** Settings of the ops endpoints and logs, which a running server keeps (see reload()). */
const ENDPOINT_KEYS = ['health', 'ready', 'metrics', 'logFormat'] as const;

/** `next`, but with the ops endpoint settings of the running `old` (see reload()). */
export function withEndpointsOf(old: Config, next: Config): Config {
  const config: Config = { ...next };
  for (const key of ENDPOINT_KEYS) {
    if (old[key] === undefined) delete config[key];
    else Object.assign(config, { [key]: old[key] });
  }
  return config;
}

/** Which parts a new config needs rebuilt: always the resolvers when anything changed. */
export function changedSections(old: Config, next: Config): string[] {
  if (isDeepStrictEqual(old, next)) return [];
  const differs = (keys: readonly (keyof Config)[]) =>
    keys.some((key) => !isDeepStrictEqual(old[key], next[key]));
  // What the Kubernetes backend watches follows settings outside BACKEND_KEYS too.
  return [
    ...(differs(BACKEND_KEYS) || !isDeepStrictEqual(kubernetesWatches(old), kubernetesWatches(next))
      ? ['backends']
      : []),
    ...(differs(LISTENER_KEYS) ? ['listeners'] : []),
    ...(differs(ENDPOINT_KEYS) ? ['endpoints'] : []),
    'resolvers',
  ];
}
