// Zone-scoped names, topology-aware answers and the clusterset.local multicluster zone are off
// unless asked for, as in CoreDNS, but on when clusterdns serves the bundled zones/ for want of a
// registry (the demo docs/zonal.md and docs/multicluster.md run against).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';

const DEFAULT_ZONES = ['cluster.local', 'in-addr.arpa', 'ip6.arpa'];
const DEMO_ZONES = [...DEFAULT_ZONES, 'clusterset.local'];

const serve = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const command = parseCommandLine(argv, env);
  if (command.kind !== 'serve') throw new Error(command.kind);
  return command.config;
};

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const { zonal, topologyAware, zones, multiclusterZones } = serve(argv, env);
  return { zonal: zonal ?? false, topologyAware: topologyAware ?? false, zones, multiclusterZones };
};

describe('--zonal, --topology-aware and --multicluster by what is served', () => {
  const zonesDir = tmpdir();
  const off = { zonal: false, topologyAware: false, zones: DEFAULT_ZONES, multiclusterZones: [] };
  const demo = {
    zonal: true,
    topologyAware: true,
    zones: DEMO_ZONES,
    multiclusterZones: ['clusterset.local'],
  };
  it.each([
    ['the bundled zones', [], {}, demo],
    ['the bundled zones, one turned off', [], { CLUSTERDNS_ZONAL: 'false' }, { ...demo, zonal: false }],
    ['the bundled zones with --no-endpoints', ['--no-endpoints'], {}, { ...demo, zonal: false }],
    // Zones of one's own are the zones served: the demo adds none to them.
    [
      'the bundled zones with zones given',
      ['--zone', 'cluster.local'],
      {},
      { ...demo, zones: ['cluster.local'], multiclusterZones: [] },
    ],
    [
      'the bundled zones with a multicluster zone given',
      ['--multicluster', 'cluster.local'],
      {},
      { ...demo, zones: DEFAULT_ZONES, multiclusterZones: ['cluster.local'] },
    ],
    ['a zones directory', ['--zones', zonesDir], {}, off],
    [
      'a zones directory, asked for',
      ['--zones', zonesDir, '--zonal', '--topology-aware'],
      {},
      { ...off, zonal: true, topologyAware: true },
    ],
    ['the Kubernetes API', ['--kubernetes', 'http://127.0.0.1:6443'], {}, off],
    [
      'the Kubernetes API, from variables',
      ['--kubernetes', 'http://127.0.0.1:6443'],
      { CLUSTERDNS_ZONAL: 'true', CLUSTERDNS_TOPOLOGY_AWARE: 'true' },
      { ...off, zonal: true, topologyAware: true },
    ],
  ])('serving %s: %j %j', (_what, argv, env, expected) => {
    expect(options(argv as string[], env)).toEqual(expected);
  });

  it.each([
    ['the bundled zones', []],
    ['a zones directory', ['--zones', zonesDir]],
    ['the bundled zones with zones given', ['--zone', 'cluster.local']],
  ])('config print of %s prints a file that runs the same', async (_what, argv) => {
    const printed = parseCommandLine(['config', 'print', ...argv], {});
    if (printed.kind !== 'print') throw new Error(printed.kind);
    // Unset, these depend on what is served: printed, their value elsewhere would turn the demo off.
    for (const name of ['zone', 'multicluster', 'zonal', 'topology-aware'])
      expect(printed.text.includes(`\n${name}:`), name).toBe(argv.includes(`--${name}`));
    const dir = await mkdtemp(path.join(tmpdir(), 'clusterdns-print-'));
    const file = path.join(dir, 'printed.yaml');
    await writeFile(file, printed.text);
    expect(serve(['--config', file])).toEqual(serve(argv));
    await rm(dir, { recursive: true });
  });
});
