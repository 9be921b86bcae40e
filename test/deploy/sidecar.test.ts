// deploy/kubernetes/examples/sidecar.yaml as a cluster admin would review it: self-contained, a
// namespaced Role only (what lets a thousand app pods carry it without cluster-wide reads), the
// namespace it watches being the one its Role grants, a native sidecar the app waits for, and ops
// endpoints on loopback ports apps do not take. `kubectl apply --dry-run=client` accepts it.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseCommandLine } from '../../src/config/command.js';
import { requireTool } from '../helpers/tools.js';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';

const FILE = join(import.meta.dirname, '../../deploy/kubernetes/examples/sidecar.yaml');
const run = promisify(execFile);

interface Probe {
  exec?: { command: string[] };
  httpGet?: unknown;
}
interface Container {
  name: string;
  args?: string[];
  restartPolicy?: string;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
}
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace: string }[];
  spec?: {
    template: {
      spec: { serviceAccountName: string; initContainers?: Container[]; containers: Container[] };
    };
  };
}

const objects = parseAllDocuments(readFileSync(FILE, 'utf8')).map((doc) => doc.toJS() as Manifest);
const one = (kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

/** Ports apps commonly listen on inside a pod; the sidecar's own endpoints must not take them. */
const APP_PORTS = [80, 443, 3000, 5000, 8000, 8080, 8081, 8443, 8888, 9000, 9090, 9153, 8181];

describe('deploy/kubernetes/examples/sidecar.yaml', () => {
  const deployment = one('Deployment');
  const pod = deployment.spec!.template.spec;
  const sidecar = (pod.initContainers ?? []).find((c) => c.name === 'clusterdns');

  it('is self-contained and grants a namespaced Role only, for exactly what a namespaced watch reads', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'Role',
      'RoleBinding',
      'ServiceAccount',
    ]);
    const namespace = deployment.metadata.namespace;
    for (const o of objects) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(namespace);
    const role = one('Role');
    const granted = role.rules!.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.map((r) => `${group}/${r}:${[...rule.verbs].sort().join()}`),
      ),
    );
    expect(granted.sort()).toEqual(['/services:list,watch', 'discovery.k8s.io/endpointslices:list,watch']);
    const binding = one('RoleBinding');
    expect(binding.roleRef).toMatchObject({ kind: 'Role', name: role.metadata.name });
    const account = one('ServiceAccount');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace }]);
    expect(pod.serviceAccountName).toBe(account.metadata.name);
  });

  it('runs clusterdns as a native sidecar the app waits for, watching only its own namespace', () => {
    expect(sidecar, 'an init container named clusterdns').toBeDefined();
    expect(sidecar!.restartPolicy).toBe('Always');
    expect(pod.containers.map((c) => c.name)).not.toContain('clusterdns');

    // The environment as the kubelet fills it in from the downward API.
    const env = Object.fromEntries(
      (sidecar!.env ?? []).map((e) => [
        e.name,
        e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace' ? deployment.metadata.namespace : e.value,
      ]),
    );
    const command = parseCommandLine(sidecar!.args ?? [], env);
    if (command.kind !== 'serve') throw new Error(`expected to serve, got ${command.kind}`);
    const { config } = command;
    expect(config.kubernetes).toBeDefined();
    expect(config.namespaces).toEqual([deployment.metadata.namespace]);
    expect(config.kubernetes!.namespaceLabels).toBeUndefined();
    expect(config.pods).toBe('disabled'); // pods are not in the Role

    // Every ops endpoint on loopback, on a port an app is unlikely to use.
    const endpoints = [config.health, config.ready, config.metrics];
    for (const endpoint of endpoints) {
      expect(endpoint?.host).toBe('127.0.0.1');
      expect(APP_PORTS).not.toContain(endpoint!.port);
    }
    // The kubelet probes the pod IP, so the probes run inside the container, against those ports.
    const probed = (probe: Probe | undefined) => {
      expect(probe?.httpGet).toBeUndefined();
      return probe?.exec?.command.join(' ') ?? '';
    };
    expect(probed(sidecar!.startupProbe)).toContain(`http://127.0.0.1:${config.ready!.port}/ready`);
    expect(probed(sidecar!.livenessProbe)).toContain(`http://127.0.0.1:${config.health!.port}/health`);
  });
});

const hasKubectl = requireTool('kubectl', ['version', '--client'], 'kubernetes-client');

describe.skipIf(!hasKubectl)(
  'kubectl apply --dry-run=client -f deploy/kubernetes/examples/sidecar.yaml',
  () => {
    let fake: FakeApiServer;
    beforeAll(async () => {
      fake = await FakeApiServer.start();
    });
    afterAll(() => fake?.close());

    it('creates each object (kubectl needs an API server for discovery: the test double serves it)', async () => {
      const { stdout } = await run('kubectl', [
        '--server',
        fake.url,
        'apply',
        '--dry-run=client',
        '--validate=false',
        '-o',
        'name',
        '-f',
        FILE,
      ]);
      expect(stdout.trim().split('\n').sort()).toEqual([
        'deployment.apps/shop-app',
        'role.rbac.authorization.k8s.io/clusterdns-sidecar',
        'rolebinding.rbac.authorization.k8s.io/clusterdns-sidecar-shop-app',
        'serviceaccount/shop-app',
      ]);
    });
  },
);

describe('docs/deployment.md', () => {
  it('shows the sidecar example as it is in deploy/kubernetes/examples/sidecar.yaml', () => {
    const page = readFileSync(join(import.meta.dirname, '../../docs/deployment.md'), 'utf8');
    const marker =
      '`deploy/kubernetes/examples/sidecar.yaml` (a test checks this copy is the file):\n\n```yaml\n';
    const at = page.indexOf(marker);
    expect(at, 'the sidecar example in docs/deployment.md').toBeGreaterThan(0);
    const block = page.slice(at + marker.length, page.indexOf('```\n', at + marker.length));
    expect(block).toBe(readFileSync(FILE, 'utf8'));
  });
});
