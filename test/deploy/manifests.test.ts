// deploy/kubernetes/ as a cluster would take it: every object valid against the Kubernetes API
// schema, accepted by `kubectl apply --dry-run=client` (against the test API server's discovery),
// and saying what clusterdns needs: the RBAC to list and watch its kinds, two replicas with probes
// and resource requests, and a Service with the kube-dns ports.

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FakeApiServer } from '../registry/kubernetes/fake-apiserver.js';
import { requireTool } from '../helpers/tools.js';
import { KINDS } from '../../src/registry/kubernetes/kinds.js';
import { parseCommandLine } from '../../src/config/command.js';

const DIR = join(import.meta.dirname, '../../deploy/kubernetes');
const run = promisify(execFile);

interface Container {
  name: string;
  args: string[];
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
  resources: { requests: Record<string, string> };
}

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

const EXAMPLES = join(DIR, 'examples');

/** The manifests in `dir` (not below it), kustomization.yaml aside: it says what to apply, it is no object. */
function manifests(dir = DIR): { file: string; object: Manifest }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => ({
        file,
        object: doc.toJS() as Manifest,
      })),
    );
}

/** Every container of every workload (native sidecars, init containers, included), with the file it is in. */
function containers(dir: string): { where: string; container: Container }[] {
  return manifests(dir).flatMap(({ file, object }) => {
    const pod = (
      object as {
        spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
      }
    ).spec?.template?.spec;
    return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])].map((container) => ({
      where: `${file}: ${container.name}`,
      container,
    }));
  });
}

function find(kind: string, name?: string): Manifest {
  const found = manifests().find((m) => m.object.kind === kind && (!name || m.object.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''} in deploy/kubernetes`);
  return found.object;
}

describe('deploy/kubernetes', () => {
  it.each(
    [...manifests(), ...manifests(EXAMPLES)].map((m) => [
      `${m.file}: ${m.object.kind} ${m.object.metadata.name}`,
      m.object,
    ]),
  )('%s is valid against the Kubernetes API schema', async (_, object) => {
    const [group, version] = object.apiVersion.includes('/')
      ? object.apiVersion.split('/')
      : [undefined, object.apiVersion];
    const path = group ? `${group}/${version}/${object.kind}` : `${version}/${object.kind}`;
    const models = (await import(/* @vite-ignore */ `kubernetes-models/${path}`)) as Record<
      string,
      new (value: unknown) => { validate(): void }
    >;
    const Model = models[object.kind];
    expect(Model, `kubernetes-models has no ${path}`).toBeDefined();
    expect(() => new Model!(object).validate()).not.toThrow();
  });

  it('gives clusterdns only flags it accepts', () => {
    const found = [...containers(DIR), ...containers(EXAMPLES)].filter(({ container }) =>
      container.name.startsWith('clusterdns'),
    );
    expect(found.length).toBe(2);
    // The Deployment's Corefile is the cluster's coredns ConfigMap: here, the one shipped for a cluster without one.
    const corefile = (arg: string) =>
      arg.startsWith('--corefile=') ? `--corefile=${join(DIR, 'corefile', 'Corefile')}` : arg;
    for (const { where, container } of found) {
      const command = parseCommandLine(container.args.map(corefile), { POD_NAMESPACE: 'shop' });
      expect(command.kind, where).toBe('serve');
    }
  });

  it('grants list and watch on exactly the kinds the Kubernetes backend reads', () => {
    const role = find('ClusterRole') as Manifest & {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    const granted = role.rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.map((r) => `${group}/${r}:${rule.verbs.sort().join()}`),
      ),
    );
    // Every collection the backend may list (src/registry/kubernetes/kinds.ts), as a rule's
    // group/resource: /apis/GROUP/VERSION/RESOURCE or /api/v1/RESOURCE.
    const read = [
      ...new Set(
        Object.values(KINDS).map(({ path }) => {
          const parts = path.split('/').filter(Boolean);
          return `${parts[0] === 'api' ? '' : parts[1]}/${parts.at(-1)}:list,watch`;
        }),
      ),
    ];
    expect(granted.sort()).toEqual(read.sort());
    const binding = find('ClusterRoleBinding') as Manifest & {
      roleRef: { name: string };
      subjects: { kind: string; name: string; namespace: string }[];
    };
    const account = find('ServiceAccount') as Manifest & { metadata: { namespace: string } };
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace },
    ]);
  });

  it('runs two replicas with health and readiness probes and resource requests', () => {
    const deployment = find('Deployment') as Manifest & {
      spec: {
        replicas: number;
        template: {
          metadata: { labels: Record<string, string> };
          spec: { serviceAccountName: string; containers: Container[] };
        };
      };
    };
    expect(deployment.spec.replicas).toBe(2);
    const pod = deployment.spec.template.spec;
    expect(pod.serviceAccountName).toBe(find('ServiceAccount').metadata.name);
    const [container] = pod.containers;
    expect(container!.livenessProbe.httpGet).toEqual({ path: '/health', port: 8080 });
    expect(container!.readinessProbe.httpGet).toEqual({ path: '/ready', port: 8181 });
    expect(container!.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container!.args).toContain('--corefile=/etc/coredns/Corefile');

    const service = find('Service') as Manifest & {
      spec: { selector: Record<string, string>; ports: { port: number; protocol: string; name: string }[] };
    };
    expect(service.metadata.name).toBe('kube-dns');
    expect(service.spec.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual([
      'dns 53/UDP',
      'dns-tcp 53/TCP',
      'metrics 9153/TCP',
    ]);
    for (const [key, value] of Object.entries(service.spec.selector))
      expect(deployment.spec.template.metadata.labels[key]).toBe(value);
  });
});

const hasKubectl = requireTool('kubectl', ['version', '--client'], 'kubernetes-client');

describe.skipIf(!hasKubectl)('kubectl apply --dry-run=client -k deploy/kubernetes/', () => {
  let fake: FakeApiServer;
  beforeAll(async () => {
    fake = await FakeApiServer.start();
  });
  afterAll(() => fake?.close());

  it('accepts every manifest, and the sidecar example', async () => {
    // Schema validation is the test above: the test API server serves discovery, not OpenAPI.
    const apply = (...what: string[]) =>
      run('kubectl', ['--server', fake.url, 'apply', '--dry-run=client', '--validate=false', ...what]);
    const { stdout } = await apply('-k', DIR);
    const created = stdout.trim().split('\n').sort();
    // Every manifest but the kube-dns Service, which the cluster has already.
    expect(created).toHaveLength(manifests().length - 1);
    for (const line of created) expect(line).toMatch(/ created \(dry run\)$/);
    expect((await apply('-f', join(DIR, 'service.yaml'))).stdout).toMatch(
      /service\/kube-dns created \(dry run\)/,
    );
    expect((await apply('-k', join(DIR, 'corefile'))).stdout).toMatch(
      /configmap\/coredns created \(dry run\)/,
    );
    const example = await run('kubectl', [
      '--server',
      fake.url,
      'apply',
      '--dry-run=client',
      '--validate=false',
      '-f',
      EXAMPLES,
    ]);
    expect(example.stdout.trim().split('\n')).toHaveLength(manifests(EXAMPLES).length);
  });
});
