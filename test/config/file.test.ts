// Options from flags, CLUSTERDNS_* variables and a --config file: precedence, checking at the door
// with the source named, and `config print` giving a file that runs the same configuration.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { ConfigError } from '../../src/config/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clusterdns-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function configFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function serve(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseCommandLine(argv, env);
  if (command.kind !== 'serve') throw new Error(`expected serve, got ${command.kind}`);
  return command;
}

function failure(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const FILE = `
ttl: 20
listen: [127.0.0.1:5353, "[::1]:5353"]
namespaces: [shop, other]
pods: verified
ignore-empty-service: true
upstream: 192.0.2.1
cache-max-ttl: 60
serve-stale: 10m
`;

describe('config file', () => {
  it('sets options under their flag names, lists as YAML lists', async () => {
    const path = await configFile('full.yaml', FILE);
    const { config } = serve(['--config', path]);
    expect(config.ttl).toBe(20);
    expect(config.listen.map((l) => `${l.host}:${l.port}`)).toEqual(['127.0.0.1:5353', '::1:5353']);
    expect(config.namespaces).toEqual(['shop', 'other']);
    expect(config.pods).toBe('verified');
    expect(config.ignoreEmptyService).toBe(true);
    expect(config.upstreams).toEqual([{ host: '192.0.2.1', port: 53, family: 4 }]);
    expect(config.cache.successMaxTtl).toBe(60);
    expect(config.cache.staleWindow).toBe(600);
    // Untouched keys keep their defaults.
    expect(config.cache.denialMaxTtl).toBe(1800);
    expect(config.maxConcurrent).toBe(1000);
  });

  it('gives flags precedence over variables, variables over the file, the file over defaults', async () => {
    const path = await configFile('prec.yaml', 'ttl: 20\npods: insecure\nmax-concurrent: 7\n');
    const env = { CLUSTERDNS_TTL: '30', CLUSTERDNS_PODS: 'verified' };
    const { config } = serve(['--config', path, '--ttl', '40'], env);
    expect(config.ttl).toBe(40); // flag over variable and file
    expect(config.pods).toBe('verified'); // variable over file
    expect(config.maxConcurrent).toBe(7); // file over default
    expect(config.upstreamTimeoutMs).toBe(2000); // default
    // CLUSTERDNS_CONFIG names the file as well as the flag does.
    expect(serve([], { CLUSTERDNS_CONFIG: path }).config.maxConcurrent).toBe(7);
  });

  it('takes CLUSTERDNS_LISTEN for flags and a config file, but not over a Corefile’s own addresses', async () => {
    // The image sets CLUSTERDNS_LISTEN=0.0.0.0:1053; a Corefile run in it keeps its `.:53`.
    const env = { CLUSTERDNS_LISTEN: '0.0.0.0:1053' };
    const address = (config: { listen: { host: string; port: number }[] }) =>
      config.listen.map((l) => `${l.host}:${l.port}`);
    expect(address(serve([], env).config)).toEqual(['0.0.0.0:1053']);
    const file = await configFile('listen.yaml', 'listen: [127.0.0.1:5353]\n');
    expect(address(serve(['--config', file], env).config)).toEqual(['0.0.0.0:1053']);
    const one = await configFile('Corefile.one', '.:53 {\n  whoami\n}\n');
    expect(address(serve(['--corefile', one], env).config)).toEqual(['0.0.0.0:53']);
    // --listen on the command line still moves a one-server Corefile.
    expect(address(serve(['--corefile', one, '--listen', '127.0.0.1:5300'], env).config)).toEqual([
      '127.0.0.1:5300',
    ]);
    const two = await configFile('Corefile.two', '.:53 {\n  whoami\n}\n.:5353 {\n  whoami\n}\n');
    const servers = serve(['--corefile', two], env).loaded.configs.map(address);
    expect(servers).toEqual([['0.0.0.0:53'], ['0.0.0.0:5353']]);
  });

  it('names the file and key, the value and what was expected', async () => {
    const bad = await configFile('bad.yaml', 'ttl: 9000\n');
    expect(failure(['--config', bad])).toBe(`${bad}: ttl: "9000": expected a whole number from 0 to 3600`);
    const pods = await configFile('pods.yaml', 'pods: maybe\n');
    expect(failure(['--config', pods])).toBe(
      `${pods}: pods: "maybe": expected disabled, insecure or verified`,
    );
    const unknown = await configFile('unknown.yaml', 'ttl: 5\nfrobnicate: 1\n');
    expect(failure(['--config', unknown])).toMatch(`${unknown}: frobnicate: unknown key`);
    const boolean = await configFile('boolean.yaml', 'autopath: sometimes\n');
    expect(failure(['--config', boolean])).toBe(`${boolean}: autopath: "sometimes": expected true or false`);
    const syntax = await configFile('syntax.yaml', 'ttl: [5\n');
    expect(failure(['--config', syntax])).toMatch(new RegExp(`^${syntax}: .*line 2`, 's'));
    expect(failure(['--config', join(dir, 'missing.yaml')])).toMatch(/--config: cannot read .*missing\.yaml/);
    // The same bad value from elsewhere is named there.
    expect(failure([], { CLUSTERDNS_TTL: '9000' })).toMatch(/^CLUSTERDNS_TTL: "9000"/);
    expect(failure(['--ttl', '9000'])).toMatch(/^--ttl: "9000"/);
    // Checks written with the flag's name name the file key when the value came from the file.
    const nacos = await configFile('nacos.yaml', 'nacos: http://127.0.0.1:8848\nnacos-api: v9\n');
    expect(failure(['--config', nacos])).toBe(`${nacos}: nacos-api: "v9": expected v1, v2, v3 or grpc`);
    expect(failure(['--nacos', 'http://127.0.0.1:8848', '--nacos-api', 'v9'])).toBe(
      '--nacos-api: "v9": expected v1, v2, v3 or grpc',
    );
    // A flag that overrides a bad file value wins: the file's value is never used.
    expect(serve(['--config', bad, '--ttl', '10']).config.ttl).toBe(10);
  });

  it('refuses --config with --corefile, and stray words', async () => {
    const path = await configFile('either.yaml', 'ttl: 5\n');
    expect(failure(['--config', path, '--corefile', path])).toMatch(/--config and --corefile: give one/);
    expect(failure(['serve'])).toMatch(/unexpected argument "serve"/);
  });
});

describe('config print', () => {
  it('prints the effective options as a file that runs the same configuration', async () => {
    const path = await configFile('print.yaml', FILE);
    const env = { CLUSTERDNS_TTL: '33' };
    const printed = parseCommandLine(['config', 'print', '--config', path, '--log-queries'], env);
    if (printed.kind !== 'print') throw new Error('expected print');
    expect(printed.text).toContain('ttl: 33\n');
    expect(printed.text).toContain('namespaces:\n  - shop\n  - other\n');
    expect(printed.text).toContain('log-queries: true\n');
    expect(printed.text).toContain('autopath: false\n');
    const saved = await configFile('saved.yaml', printed.text);
    const again = serve(['--config', saved], {}).config;
    expect(again).toEqual(serve(['--config', path, '--log-queries'], env).config);
  });

  it('checks the configuration before printing it', async () => {
    expect(failure(['config', 'print', '--pods', 'maybe'])).toMatch(/--pods: "maybe"/);
  });
});
