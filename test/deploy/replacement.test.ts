// The manifests that run clusterdns in place of CoreDNS (deploy/kubernetes/), read as kubectl
// would apply them: each file kustomization.yaml names is there and parses, the Deployment runs
// the cluster's own Corefile from the `coredns` ConfigMap, its pods are the ones the kube-dns
// Service, the PodDisruptionBudget and the probes expect, and the Corefile shipped for a cluster
// without one runs under the Deployment's flags.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseCommandLine } from '../../src/config/command.js';

const deployDir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const read = (name: string) => readFileSync(`${deployDir}${name}`, 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;
const manifest = (name: string): Manifest => {
  const documents = parseAllDocuments(read(name));
  expect(documents.map((document) => document.errors)).toEqual([[]]);
  return documents[0]!.toJS();
};

describe('replacing CoreDNS: deploy/kubernetes/', () => {
  const kustomization = parse(read('kustomization.yaml')) as { resources: string[] };
  const deployment = manifest('deployment.yaml');
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];

  it('names in kustomization.yaml only files that exist and parse, and leaves the kube-dns Service out', () => {
    for (const resource of kustomization.resources) {
      expect(existsSync(`${deployDir}${resource}`), resource).toBe(true);
      expect(manifest(resource).kind).toBeTruthy();
    }
    expect(kustomization.resources).not.toContain('service.yaml');
    expect(kustomization.resources).toContain('deployment.yaml');
  });

  it("runs the cluster's own Corefile from the coredns ConfigMap, and coredns-custom when there is one", () => {
    expect(container.args).toContain('--corefile=/etc/coredns/Corefile');
    const volumes = Object.fromEntries(pod.spec.volumes.map((volume: Manifest) => [volume.name, volume]));
    const mounts = Object.fromEntries(
      container.volumeMounts.map((mount: Manifest) => [mount.mountPath, mount.name]),
    );
    expect(volumes[mounts['/etc/coredns']].configMap).toMatchObject({ name: 'coredns' });
    expect(volumes[mounts['/etc/coredns/custom']].configMap).toMatchObject({
      name: 'coredns-custom',
      optional: true,
    });
  });

  it('gives its pods the labels the kube-dns Service, its own selector and the PodDisruptionBudget select', () => {
    const labels = pod.metadata.labels;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    expect(selects(manifest('service.yaml').spec.selector)).toBe(true);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(manifest('poddisruptionbudget.yaml').spec.selector.matchLabels)).toBe(true);
    // Its own selector must not also take CoreDNS's pods, which carry k8s-app: kube-dns too.
    expect(deployment.spec.selector.matchLabels).not.toHaveProperty('k8s-app');
    expect(pod.spec.priorityClassName).toBe('system-cluster-critical');
  });

  it('probes the addresses its flags give, whatever the Corefile says', () => {
    const flag = (name: string) =>
      container.args
        .find((arg: string) => arg.startsWith(`--${name}=`))
        ?.split(':')
        .pop();
    expect(String(container.livenessProbe.httpGet.port)).toBe(flag('health'));
    expect(String(container.readinessProbe.httpGet.port)).toBe(flag('ready'));
  });

  it("runs the Corefile shipped for a cluster without one (kubeadm's) under those flags", () => {
    const args = [
      ...container.args.filter((arg: string) => !arg.startsWith('--corefile=')),
      '--corefile',
      `${deployDir}corefile/Corefile`,
    ];
    const command = parseCommandLine(args, {});
    if (command.kind !== 'serve') throw new Error(command.kind);
    expect(command.config.kubernetes).toEqual({});
    expect(command.config.zones).toEqual(['cluster.local', 'in-addr.arpa', 'ip6.arpa']);
    expect(command.config.health).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(command.config.workers).toBe(1);
  });
});
