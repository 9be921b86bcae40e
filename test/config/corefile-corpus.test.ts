// The Corefiles real clusters run (fixtures/corefiles/real/, each rendered from its source as its
// first lines say), loaded as `clusterdns --corefile FILE` loads them at start-up. Each row pins
// today's outcome: accepted, or refused naming the file's line, the directive and what to write
// instead. A row turns to `accepted` when clusterdns learns what stopped it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { ConfigError } from '../../src/config/values.js';

type Outcome =
  | 'accepted'
  /** Refused at `line` of the file, naming `directive` and saying what to write `instead`. */
  | { line: number; directive: string; instead: string };

const CORPUS: [file: string, outcome: Outcome][] = [
  ['kubeadm.Corefile', 'accepted'],
  ['kubernetes-addon.Corefile', 'accepted'],
  ['corefiles/real/k3s.Corefile', 'accepted'],
  ['corefiles/real/rke2.Corefile', 'accepted'],
  ['corefiles/real/aks.Corefile', 'accepted'],
  ['corefiles/real/vcluster.Corefile', 'accepted'],
  ['corefiles/real/openshift.Corefile', 'accepted'],
  ['corefiles/real/openshift-forwarders.Corefile', 'accepted'],
  ['corefiles/real/talos.Corefile', 'accepted'],
  ['corefiles/real/typhoon.Corefile', 'accepted'],
  ['corefiles/real/gardener.Corefile', 'accepted'],
  ['corefiles/real/kubespray.Corefile', 'accepted'],
  ['corefiles/real/kubespray-nodelocaldns.Corefile', 'accepted'],
  ['corefiles/real/nodelocaldns.Corefile', 'accepted'],
  ['corefiles/real/rke2-nodelocal.Corefile', 'accepted'],
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
