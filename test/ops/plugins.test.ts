// coredns_plugin_enabled's rows, read from the configuration a Corefile or the flags give: one per
// server block zone and plugin, the endpoints on the first block, as CoreDNS sets them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { pluginsEnabled } from '../../src/ops/metrics/plugins.js';

const SERVER = 'dns://:53';

/** The rows as `zone: names` (sorted), for tables that read like a Corefile. */
function enabled(args: string[]): Record<string, string[]> {
  const command = parseCommandLine(args, {});
  if (command.kind !== 'serve') throw new Error('expected a serve command');
  const byZone: Record<string, string[]> = {};
  for (const { server, zone, name } of pluginsEnabled(command.config, SERVER)) {
    expect(server).toBe(SERVER);
    (byZone[zone] ??= []).push(name);
  }
  for (const names of Object.values(byZone)) names.sort();
  return byZone;
}

describe('coredns_plugin_enabled rows', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clusterdns-plugins-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const corefile = async (text: string) => {
    const path = join(dir, `Corefile-${Math.random().toString(36).slice(2)}`);
    await writeFile(path, text);
    return ['--corefile', path];
  };

  it.each([
    {
      why: 'flags: the zone files, forwarding to resolv.conf with its cache, the endpoints',
      args: () => Promise.resolve(['--zones', '/tmp', '--resolv-conf', '/etc/resolv.conf']),
      want: { '.': ['cache', 'file', 'forward', 'health', 'prometheus', 'ready'] },
    },
    {
      why: 'no upstream and no endpoints: the zone files alone',
      args: () =>
        Promise.resolve([
          '--zones',
          '/tmp',
          '--resolv-conf',
          '',
          '--health',
          '',
          '--ready',
          '',
          '--metrics',
          '',
        ]),
      want: { '.': ['file'] },
    },
    {
      why: "kubeadm's Corefile, and a stub domain block of its own",
      args: () =>
        corefile(
          [
            '.:53 {',
            '    errors',
            '    health',
            '    ready',
            '    kubernetes cluster.local in-addr.arpa ip6.arpa',
            '    prometheus :9153',
            '    forward . 192.0.2.53',
            '    cache 30',
            '    loop',
            '    reload',
            '    loadbalance',
            '}',
            'corp.example:53 {',
            '    forward . 192.0.2.54',
            '}',
            '',
          ].join('\n'),
        ),
      want: {
        '.': ['cache', 'forward', 'health', 'kubernetes', 'loadbalance', 'prometheus', 'ready'],
        // No `cache` in the block: its answers are not cached.
        'corp.example.': ['forward'],
      },
    },
  ])('$why', async ({ args, want }) => {
    expect(enabled(await args())).toEqual(want);
  });
});
