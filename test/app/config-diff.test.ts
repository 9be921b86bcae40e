// What a reload rebuilds for each kind of change: the resolvers always, backends and listeners
// only when their own settings changed; endpoint changes are flagged (they wait for a restart).
import { describe, expect, it } from 'vitest';
import { changedSections } from '../../src/app/config-diff.js';
import { parseCommandLine } from '../../src/config/command.js';
import type { Config } from '../../src/config/config.js';

function config(...flags: string[]): Config {
  const command = parseCommandLine(['--zones', '/srv/zones', ...flags], {});
  if (command.kind !== 'serve') throw new Error('expected serve');
  return command.config;
}

describe('changedSections', () => {
  const base = config();
  it.each([
    [[], []],
    [['--ttl', '30'], ['resolvers']],
    [['--upstream', '192.0.2.1'], ['resolvers']],
    [['--pods', 'insecure'], ['resolvers']],
    [
      ['--pods', 'verified'],
      ['backends', 'resolvers'],
    ],
    [
      ['--zones', '/srv/other'],
      ['backends', 'resolvers'],
    ],
    [
      ['--max-stale', '1m'],
      ['backends', 'resolvers'],
    ],
    [
      ['--listen', '127.0.0.1:2053'],
      ['listeners', 'resolvers'],
    ],
    [
      ['--tcp-idle-timeout', '30'],
      ['listeners', 'resolvers'],
    ],
    [
      ['--tcp-max-connections', '50'],
      ['listeners', 'resolvers'],
    ],
    [['--allow-query', '10.0.0.0/8'], ['resolvers']],
    [['--zonal'], ['resolvers']],
    // Pods and Nodes are watched for it.
    [['--topology-aware'], ['backends', 'resolvers']],
    // A multicluster zone starts the ServiceImport watch.
    [
      ['--zone', 'cluster.local', '--multicluster', 'cluster.local'],
      ['backends', 'resolvers'],
    ],
  ])('%j rebuilds %j', (flags, sections) => {
    expect(changedSections(base, config(...flags))).toEqual(sections);
  });

  it('keeps the backends when only which zones are multicluster changes', () => {
    const zones = ['--zone', 'a.local', '--zone', 'b.local'];
    const before = config(...zones, '--multicluster', 'a.local');
    expect(changedSections(before, config(...zones, '--multicluster', 'b.local'))).toEqual(['resolvers']);
  });
});
