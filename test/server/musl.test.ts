// musl's resolver as an Alpine pod uses it (test/helpers/pod-namespace.ts). musl before 1.2.4
// (Alpine up to 3.17) asks over UDP without EDNS and never retries over TCP: it takes the records
// of a truncated reply as they are. A headless service too large for 512 bytes resolves for it only
// because a truncated reply keeps the records that fit. glibc, which retries over TCP on TC, gets
// every endpoint. The musl program is built here with Debian's musl-gcc (musl 1.2.3), statically.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigHeadless, list, namespace } from '../helpers/manifests.js';
import { canUseNamespaces, runInPod } from '../helpers/pod-namespace.js';
import { makeZonesDir } from '../helpers/server.js';

const run = promisify(execFile);
const SOURCE = fileURLToPath(new URL('../fixtures/getaddrinfo.c', import.meta.url));

const usable = canUseNamespaces('musl', [
  ['musl-gcc', ['--version'], 'musl-tools'],
  ['getent', ['--version'], 'libc-bin'],
]);

// bigHeadless gives its endpoints 10.244.7.1, 10.244.7.2, ...
const endpoints = (count: number) => Array.from({ length: count }, (_, i) => `10.244.7.${i + 1}`);
const SIZES = [40, 100];

describe.skipIf(!usable)('musl 1.2.3 and glibc resolving a large headless service', () => {
  let work: string;
  let sections = new Map<string, string[]>();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clusterdns-musl-'));
    const program = join(work, 'getaddrinfo-musl');
    await run('musl-gcc', ['-static', '-O1', '-o', program, SOURCE]);
    const zones = await makeZonesDir(
      Object.fromEntries(
        SIZES.map((n) => [`big${n}.yaml`, list(namespace(`n${n}`), ...bigHeadless(`n${n}`, 'big', n))]),
      ),
    );
    // A pod in namespace shop asks by full name; one in n40 would ask `big` and get the same.
    const steps = String.raw`
start --zones ${zones} --resolv-conf /dev/null
${SIZES.map(
  (n) => `section "musl ${n}"; ${program} big.n${n}.svc.cluster.local
section "glibc ${n}"; getent ahosts big.n${n}.svc.cluster.local | awk '{print $1}' | sort -u`,
).join('\n')}
stop
rm -r ${zones}
section end
`;
    sections = await runInPod(steps);
  }, 90_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it.each(SIZES)('musl resolves %i endpoints to those that fit a 512-byte reply', (n) => {
    const addresses = sections.get(`musl ${n}`)!;
    // 512 bytes hold 29 A records of this name (16 bytes each after the 43 or 44 bytes of header and question).
    expect(addresses).toHaveLength(29);
    expect(new Set(addresses).size).toBe(29);
    for (const address of addresses) expect(endpoints(n)).toContain(address);
  });

  it.each(SIZES)('glibc retries over TCP and resolves all %i endpoints', (n) => {
    expect(sections.get(`glibc ${n}`)).toEqual(endpoints(n).sort());
  });
});
