// The layout's rules, read from the imports of src/ (docs/architecture.md): every top-level folder
// imports only folders below it, so no two import each other; config/ imports nothing from
// resolve/, registry/ or server/; and no source file grows past 500 lines.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');
const MAX_LINES = 500;

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [path.relative(SRC, full)] : [];
  });
}

/** Relative specifiers of every static, re-exporting and dynamic import, type-only ones too. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+'([^']+)'/g, /\bimport\s*\(\s*'([^']+)'\s*\)/g, /^\s*import\s+'([^']+)'/gm];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found.filter((specifier) => specifier.startsWith('.'));
}

/** `a/b.ts -> c/d.ts` for each import of one source file by another. */
function importEdges(files: string[]): string[] {
  return files.flatMap((file) =>
    importsOf(readFileSync(path.join(SRC, file), 'utf8')).map((specifier) => {
      const target = path.normalize(path.join(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
      return `${file} -> ${target}`;
    }),
  );
}

/** The top-level folder of a path in src/ (a file at the top is its own). */
function folderOf(file: string): string {
  return file.split('/')[0]!;
}

const files = sourceFiles();
const edges = importEdges(files);

describe('the layout of src/', () => {
  it('reads the imports a file can have', () => {
    const text = [
      "import type { A } from '../a/x.js';",
      "import {\n  b,\n  c,\n} from './b.js';",
      "export * from '../c/y.js';",
      "const d = await import('../d/z.js');",
      "import '../e/side-effect.js';",
      "import pino from 'pino';",
    ].join('\n');
    expect(importsOf(text).sort()).toEqual(
      ['../a/x.js', './b.js', '../c/y.js', '../d/z.js', '../e/side-effect.js'].sort(),
    );
  });

  it('has no two top-level folders importing each other', () => {
    const folderEdges = new Set(
      edges
        .map((edge) => edge.split(' -> ').map(folderOf))
        .filter(([from, to]) => from !== to)
        .map(([from, to]) => `${from} -> ${to}`),
    );
    const mutual = [...folderEdges].filter((edge) => {
      const [from, to] = edge.split(' -> ');
      return folderEdges.has(`${to} -> ${from}`);
    });
    expect(mutual).toEqual([]);
  });

  it('has config/ importing nothing from resolve/ or registry/ (nor server/)', () => {
    const reaching = edges.filter((edge) => {
      const [from, to] = edge.split(' -> ').map(folderOf);
      return from === 'config' && (to === 'resolve' || to === 'registry' || to === 'server');
    });
    expect(reaching).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = files.filter(
      (file) => readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1 > MAX_LINES,
    );
    expect(long).toEqual([]);
  });

  it('has a README in every top-level folder', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const without = folders.filter(
      (folder) => !readdirSync(path.join(SRC, folder.name)).includes('README.md'),
    );
    expect(without.map((folder) => folder.name)).toEqual([]);
  });

  it('has test/ mirroring src/: every test folder is a folder of src/, or one of the cross-cutting ones', () => {
    // Tests of one part sit where the part sits in src/; what spans the whole server has its own.
    const crossCutting = ['deploy', 'docs', 'fixtures', 'fuzz', 'helpers', 'reliability'];
    const TEST = path.resolve(import.meta.dirname);
    const folders = (root: string): string[] =>
      readdirSync(root, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== 'fixtures')
        .flatMap((entry) => {
          const below = folders(path.join(root, entry.name)).map((name) => `${entry.name}/${name}`);
          return [entry.name, ...below];
        });
    const stray = folders(TEST).filter(
      (folder) => !crossCutting.includes(folder.split('/')[0]!) && !existsSync(path.join(SRC, folder)),
    );
    expect(stray).toEqual([]);
  });

  it('has every module the benchmarks load from dist/ built from a file of src/', () => {
    // `npm run build` does not empty dist/, so a bench script importing a moved module keeps
    // working on a machine that built it before the move, and fails on a fresh checkout.
    const BENCH = path.resolve(import.meta.dirname, '../bench');
    const loaded = readdirSync(BENCH)
      .filter((name) => name.endsWith('.mjs'))
      .flatMap((name) => [
        ...readFileSync(path.join(BENCH, name), 'utf8').matchAll(/'\.\.\/dist\/([^']+)\.js'/g),
      ])
      .map((match) => match[1]!);
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((module) => !existsSync(path.join(SRC, `${module}.ts`)))).toEqual([]);
  });
});
