// The Corefiles real clusters run (fixtures/corefiles/real/, each rendered from its source as its
// first lines say), loaded as `clusterdns --corefile FILE` loads them at start-up. Each row pins
// today's outcome: accepted, or refused naming the file's line, the directive and what to write
// instead. A row turns to `accepted` when clusterdns learns what stopped it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { ConfigError } from '../../src/config/config.js';

type Outcome =
  | 'accepted'
  /** Refused at `line` of the file, naming `directive` and saying what to write `instead`. */
  | { line: number; directive: string; instead: string };

const DIRECTIVES_RUN = 'the directives clusterdns runs are acl, autopath, bind, bufsize, cache, chaos';
/** NodeLocal DNSCache: caching forwarders, one per zone, and no block reading the cluster. */
const NO_KUBERNETES = 'a server without kubernetes';
const PER_PORT = 'every port needs one block with kubernetes';

const CORPUS: [file: string, outcome: Outcome][] = [
  ['kubeadm.Corefile', 'accepted'],
  ['kubernetes-addon.Corefile', 'accepted'],
  ['corefiles/real/k3s.Corefile', 'accepted'],
  ['corefiles/real/rke2.Corefile', 'accepted'],
  ['corefiles/real/aks.Corefile', 'accepted'],
  [
    'corefiles/real/vcluster.Corefile',
    { line: 8, directive: 'directive "rewrite"', instead: DIRECTIVES_RUN },
  ],
  [
    'corefiles/real/openshift.Corefile',
    { line: 9, directive: 'log option "class"', instead: 'write log without a block' },
  ],
  [
    'corefiles/real/openshift-forwarders.Corefile',
    { line: 12, directive: 'log option "class"', instead: 'write log without a block' },
  ],
  [
    'corefiles/real/talos.Corefile',
    { line: 11, directive: 'log option "class"', instead: 'write log without a block' },
  ],
  [
    'corefiles/real/typhoon.Corefile',
    { line: 11, directive: 'log option "class"', instead: 'write log without a block' },
  ],
  [
    'corefiles/real/gardener.Corefile',
    { line: 8, directive: 'log option "class"', instead: 'write log without a block' },
  ],
  ['corefiles/real/kubespray.Corefile', 'accepted'],
  [
    'corefiles/real/kubespray-nodelocaldns.Corefile',
    { line: 5, directive: NO_KUBERNETES, instead: PER_PORT },
  ],
  ['corefiles/real/nodelocaldns.Corefile', { line: 7, directive: NO_KUBERNETES, instead: PER_PORT }],
  ['corefiles/real/rke2-nodelocal.Corefile', { line: 7, directive: NO_KUBERNETES, instead: PER_PORT }],
];

/** What starting `clusterdns --corefile PATH` says: nothing (it would serve), or its refusal. */
function load(path: string): string | undefined {
  try {
    const command = parseCommandLine(['--corefile', path], {});
    expect(command.kind).toBe('serve');
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

describe('the Corefiles real clusters run', () => {
  it.each(CORPUS)('%s', (file, outcome) => {
    const path = fileURLToPath(new URL(`fixtures/${file}`, import.meta.url));
    const refusal = load(path);
    if (outcome === 'accepted') {
      expect(refusal).toBeUndefined();
      return;
    }
    expect(refusal).toBeDefined();
    expect(refusal!.startsWith(`${path}:${outcome.line}: `), refusal).toBe(true);
    expect(refusal).toContain(outcome.directive);
    expect(refusal).toContain(outcome.instead);
  });
});
