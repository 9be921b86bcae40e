// The small plugins documentation and users' Corefiles hold, under `clusterdns --corefile` (the
// built binary), asked with real dig: whoami (CoreDNS's own default Corefile, `. { whoami }`),
// local, and the directives that change nothing a client sees (any, debug, cancel, metadata).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningCli } from '../helpers/cli.js';
import { dig, requireTool } from '../helpers/tools.js';

const hasDig = requireTool('dig', ['-v']);

describe.skipIf(!hasDig)('whoami and local from a Corefile', () => {
  let dir: string;
  let port: number;
  let cli: RunningCli;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clusterdns-plugins-'));
    port = await freePort();
    const corefile = join(dir, 'Corefile');
    writeFileSync(
      corefile,
      `.:${port} {\n  debug\n  any\n  cancel 2s\n  metadata\n  local\n  whoami\n  log\n}\n`,
    );
    // A resolver the host names: a block without forward asks it nothing, as CoreDNS does.
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, 'nameserver 127.0.0.1\n');
    cli = await startCli(['--corefile', corefile, '--resolv-conf', resolvConf, '--upstream', '127.0.0.1:9']);
  });

  afterAll(() => {
    cli?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = (...args: string[]) => dig(port, ['+nocmd', '+nostats', ...args]);

  it('answers any name with the client address and port (whoami)', async () => {
    const udp = await ask('example.org', 'A');
    expect(udp).toMatch(/status: NOERROR/);
    expect(udp).toMatch(/ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 3/);
    expect(udp).toMatch(/^example\.org\.\s+0\s+IN\s+A\s+127\.0\.0\.1$/m);
    expect(udp).toMatch(/^_udp\.example\.org\.\s+0\s+IN\s+SRV\s+0 0 \d+ \.$/m);
    const tcp = await ask('+tcp', 'example.org', 'A');
    expect(tcp).toMatch(/^_tcp\.example\.org\.\s+0\s+IN\s+SRV\s+0 0 \d+ \.$/m);
  });

  it('answers localhost and the loopback reverse zone itself (local), before whoami', async () => {
    expect((await ask('+short', 'localhost', 'A')).trim()).toBe('127.0.0.1');
    expect((await ask('+short', 'localhost.example.org', 'AAAA')).trim()).toBe('::1');
    expect((await ask('+short', '-x', '127.0.0.1')).trim()).toBe('localhost.');
    expect(await ask('-x', '127.0.0.2')).toMatch(/status: NXDOMAIN/);
  });
});
