// Zone-scoped names and topology-aware answers are off unless asked for, as CoreDNS's zonal is,
// but on when clusterdns serves the bundled zones/ for want of a registry (the demo docs/zonal.md
// runs against).
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const command = parseCommandLine(argv, env);
  if (command.kind !== 'serve') throw new Error(command.kind);
  const { zonal, topologyAware } = command.config;
  return { zonal: zonal ?? false, topologyAware: topologyAware ?? false };
};

describe('--zonal and --topology-aware', () => {
  const zonesDir = tmpdir();
  it.each([
    ['the bundled zones', [], {}, { zonal: true, topologyAware: true }],
    [
      'the bundled zones, one turned off',
      [],
      { CLUSTERDNS_ZONAL: 'false' },
      { zonal: false, topologyAware: true },
    ],
    ['the bundled zones with --no-endpoints', ['--no-endpoints'], {}, { zonal: false, topologyAware: true }],
    ['a zones directory', ['--zones', zonesDir], {}, { zonal: false, topologyAware: false }],
    [
      'a zones directory, asked for',
      ['--zones', zonesDir, '--zonal', '--topology-aware'],
      {},
      { zonal: true, topologyAware: true },
    ],
    [
      'the Kubernetes API',
      ['--kubernetes', 'http://127.0.0.1:6443'],
      {},
      { zonal: false, topologyAware: false },
    ],
    [
      'the Kubernetes API, from variables',
      ['--kubernetes', 'http://127.0.0.1:6443'],
      { CLUSTERDNS_ZONAL: 'true', CLUSTERDNS_TOPOLOGY_AWARE: 'true' },
      { zonal: true, topologyAware: true },
    ],
  ])('serving %s: %j %j', (_what, argv, env, expected) => {
    expect(options(argv as string[], env)).toEqual(expected);
  });
});
