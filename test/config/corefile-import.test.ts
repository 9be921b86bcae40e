// `import` and snippets (https://coredns.io/plugins/import/), read from real files in a temporary
// directory exactly as `clusterdns --corefile` reads them at start-up: what each form imports, and
// a refusal naming the file and line of every mistake, bounded in what it reads.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import type { Config } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/values.js';
import { MAX_EXPANSIONS, MAX_FILE_BYTES, MAX_IMPORT_DEPTH } from '../../src/config/corefile/import.js';

const root = mkdtempSync(join(tmpdir(), 'clusterdns-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let cases = 0;
/** A fresh directory holding `files` (paths may have folders); `{dir}` in a text is that directory. */
function directory(files: Record<string, string>): string {
  const dir = join(root, String(++cases));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text.replaceAll('{dir}', dir));
  }
  return dir;
}

/** The servers `clusterdns --corefile DIR/Corefile` would run, or its refusal. */
function load(dir: string, env: NodeJS.ProcessEnv = {}): Config[] | string {
  try {
    const command = parseCommandLine(['--corefile', join(dir, 'Corefile')], env);
    if (command.kind !== 'serve') throw new Error('expected a serve command');
    return command.loaded.configs;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message;
  }
}

const server = (body: string, key = '.:1053') =>
  `${key} {\n  kubernetes cluster.local\n  forward . 192.0.2.1\n${body}\n}\n`;

/** What a user sees of a config: the bits the imports below change. */
function summary(configs: Config[] | string) {
  if (typeof configs === 'string') return configs;
  return configs.map((config) => ({
    port: config.listen[0]!.port,
    log: config.logQueries,
    hosts: config.hosts.lines,
    /** The port's other server blocks, by their zones. */
    stubs: config.blocks.map((block) => block.blockZones.join(' ')),
    ttl: config.cache.successMaxTtl,
  }));
}

const plain = { port: 1053, log: false, hosts: [], stubs: [], ttl: 3600 };

describe('import and snippets', () => {
  const accepted: [name: string, files: Record<string, string>, expected: ReturnType<typeof summary>][] = [
    ['no import', { Corefile: server('') }, [plain]],
    [
      'globs that match nothing, in a block and at the top level (k3s, AKS)',
      { Corefile: `${server('  import custom/*.override')}import custom/*.server\n` },
      [plain],
    ],
    [
      'an absolute glob whose directory does not exist',
      { Corefile: `${server('  import {dir}/missing/*.override')}import /nonexistent/dir/*.server\n` },
      [plain],
    ],
    [
      'every file a glob matches, in name order, relative to the Corefile',
      {
        Corefile: server('  import custom/*.override'),
        'custom/b.override': 'hosts {\n  10.0.0.2 b.example\n  fallthrough\n}\n',
        'custom/a.override': 'log\n',
        'custom/c.server': 'not imported: only *.override is\n',
      },
      [{ ...plain, log: true, hosts: ['10.0.0.2 b.example'] }],
    ],
    [
      'a server block from a top-level glob (a stub domain from custom/*.server)',
      {
        Corefile: `${server('')}import custom/*.server\n`,
        'custom/consul.server': 'consul.local:1053 {\n  forward . 10.150.0.1\n}\n',
      },
      [{ ...plain, stubs: ['consul.local'] }],
    ],
    [
      'a file by absolute path',
      { Corefile: server('  import {dir}/conf/log.conf'), 'conf/log.conf': 'log\n' },
      [{ ...plain, log: true }],
    ],
    [
      'a path from an environment variable',
      { Corefile: server('  import {$CONF}/log.conf'), 'conf/log.conf': 'log\n' },
      [{ ...plain, log: true }],
    ],
    [
      'an import within an imported file, relative to that file',
      {
        Corefile: server('  import conf/first.conf'),
        'conf/first.conf': 'import nested/second.conf\n',
        'conf/nested/second.conf': 'log\n',
      },
      [{ ...plain, log: true }],
    ],
    [
      'an import inside a directive block',
      {
        Corefile: server('  hosts {\n    import hosts.conf\n    fallthrough\n  }'),
        'hosts.conf': '10.0.0.3 c.example\n',
      },
      [{ ...plain, hosts: ['10.0.0.3 c.example'] }],
    ],
    [
      'words of the imported file and of the next line stay apart when their line numbers match',
      { Corefile: server('  import log.conf\n  cache 30'), 'log.conf': '\n\n\n\nlog\n' },
      [{ ...plain, log: true, ttl: 30 }],
    ],
    [
      'a snippet, imported in two server blocks',
      {
        Corefile: `(common) {\n  log\n  cache 30\n}\n${server('  import common')}${server('  import common', '.:2053')}`,
      },
      [
        { ...plain, log: true, ttl: 30 },
        { ...plain, port: 2053, log: true, ttl: 30 },
      ],
    ],
    [
      'a snippet importing another snippet and a file',
      {
        Corefile: `(inner) {\n  cache 30\n}\n(outer) {\n  import inner\n  import log.conf\n}\n${server('  import outer')}`,
        'log.conf': 'log\n',
      },
      [{ ...plain, log: true, ttl: 30 }],
    ],
    [
      'a snippet defined in an imported file',
      {
        Corefile: `import snippets.conf\n${server('  import common')}`,
        'snippets.conf': '(common) {\n  log\n}\n',
      },
      [{ ...plain, log: true }],
    ],
  ];

  it.each(accepted)('imports %s', (_, files, expected) => {
    const dir = directory(files);
    expect(summary(load(dir, { CONF: join(dir, 'conf') }))).toEqual(expected);
  });

  const chain = (length: number) =>
    Object.fromEntries(
      Array.from({ length }, (_, i) => [`c${i}.conf`, i < length - 1 ? `import c${i + 1}.conf\n` : 'log\n']),
    );
  const refused: [name: string, files: Record<string, string>, message: string][] = [
    [
      'a plain path that does not exist',
      { Corefile: server('  import custom/extra.conf') },
      '{dir}/Corefile:4: import custom/extra.conf: no snippet (custom/extra.conf) defined above it and no file {dir}/custom/extra.conf',
    ],
    [
      'a snippet used before it is defined',
      { Corefile: `${server('  import common')}(common) {\n  log\n}\n` },
      '{dir}/Corefile:4: import common: no snippet (common) defined above it and no file {dir}/common',
    ],
    [
      'an unsupported directive in an imported file, naming its line and the import line',
      {
        Corefile: server('  import custom/*.override'),
        'custom/a.override': 'log\ndnssec\n',
      },
      '{dir}/custom/a.override:2 (imported at {dir}/Corefile:4): directive "dnssec" is not supported by clusterdns',
    ],
    [
      'a wrong value in a snippet, naming the snippet line and the import line',
      { Corefile: `(short) {\n  cache 30 {\n    success many\n  }\n}\n${server('  import short')}` },
      '{dir}/Corefile:3 (imported at {dir}/Corefile:9): cache success: "many": expected a whole number',
    ],
    [
      'a syntax error in an imported file',
      { Corefile: server('  import bad.conf'), 'bad.conf': 'log\nhosts "unterminated\n' },
      '{dir}/bad.conf:2 (imported at {dir}/Corefile:4): unterminated quoted string',
    ],
    [
      'a file that imports itself through another',
      { Corefile: server('  import a.conf'), 'a.conf': 'import b.conf\n', 'b.conf': 'import a.conf\n' },
      '{dir}/b.conf:1 (imported at {dir}/a.conf:1 from {dir}/Corefile:4): import cycle: ' +
        '{dir}/Corefile:4 imports {dir}/a.conf, {dir}/a.conf:1 imports {dir}/b.conf, {dir}/b.conf:1 imports {dir}/a.conf',
    ],
    [
      'the Corefile importing itself',
      { Corefile: `import Corefile\n${server('')}` },
      '{dir}/Corefile:1: import cycle: {dir}/Corefile:1 imports {dir}/Corefile',
    ],
    [
      'snippets importing each other',
      { Corefile: `(a) {\n  import b\n}\n(b) {\n  import a\n}\n${server('  import a')}` },
      '{dir}/Corefile:5 (imported at {dir}/Corefile:2 from {dir}/Corefile:10): import cycle: ' +
        '{dir}/Corefile:10 imports (a), {dir}/Corefile:2 imports (b), {dir}/Corefile:5 imports (a)',
    ],
    [
      'arguments to an import',
      { Corefile: `(s) {\n  cache {args[0]}\n}\n${server('  import s 30')}` },
      '{dir}/Corefile:7: import takes one argument, a snippet name or a file or glob (CoreDNS passes no arguments to snippets)',
    ],
    [
      'an import with nothing to import',
      { Corefile: server('  import') },
      '{dir}/Corefile:4: import takes one argument',
    ],
    [
      'a glob with two wildcards',
      { Corefile: server('  import */*.override') },
      '{dir}/Corefile:4: import */*.override: a glob may hold one wildcard (*) only',
    ],
    [
      'a snippet defined twice',
      { Corefile: `(s) {\n  log\n}\n(s) {\n  log\n}\n${server('')}` },
      '{dir}/Corefile:4: snippet (s) is defined twice',
    ],
    [
      'a snippet name with other keys',
      { Corefile: `(s) .:53 {\n  log\n}\n${server('')}` },
      '{dir}/Corefile:1: snippet (s) must be the only key of its block: (s) { ... }',
    ],
    [
      'an imported file over the size bound',
      { Corefile: server('  import big.conf'), 'big.conf': `#${'x'.repeat(MAX_FILE_BYTES)}\n` },
      `{dir}/Corefile:4: import big.conf: {dir}/big.conf is larger than ${MAX_FILE_BYTES} bytes`,
    ],
    [
      `imports nested deeper than ${MAX_IMPORT_DEPTH}`,
      { Corefile: server('  import c0.conf'), ...chain(MAX_IMPORT_DEPTH + 1) },
      `imports nest deeper than ${MAX_IMPORT_DEPTH}`,
    ],
    [
      `more than ${MAX_EXPANSIONS} imports`,
      { Corefile: `(s) {\n}\n${server('  import s\n'.repeat(MAX_EXPANSIONS + 1))}` },
      `{dir}/Corefile:${MAX_EXPANSIONS + 6}: more than ${MAX_EXPANSIONS} imports expanded`,
    ],
  ];

  it.each(refused)('refuses %s', (_, files, message) => {
    const dir = directory(files);
    const refusal = load(dir);
    expect(typeof refusal).toBe('string');
    expect(refusal).toContain(message.replaceAll('{dir}', dir));
  });

  it(`reads ${MAX_IMPORT_DEPTH} nested imports`, () => {
    const dir = directory({ Corefile: server('  import c0.conf'), ...chain(MAX_IMPORT_DEPTH) });
    expect(summary(load(dir))).toEqual([{ ...plain, log: true }]);
  });
});
