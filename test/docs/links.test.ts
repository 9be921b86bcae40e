// Every relative link of README.md, docs/ and bench/ leads somewhere: the file or folder exists, and an
// #anchor into a Markdown page names one of its headings (as GitHub makes anchors of them).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchmarkPages, documentation, headingAnchors, relativeLinks, ROOT } from '../helpers/markdown.js';

const pages = [...documentation(), ...benchmarkPages()];

describe('the relative links of README.md, docs/ and bench/', () => {
  const links = pages.flatMap((page) => relativeLinks(page).map((link) => ({ ...link, page })));

  it('are found (the pages link to each other)', () => {
    expect(links.length).toBeGreaterThan(40);
  });

  it.each(pages.map((page) => [page.path, page] as const))('%s: every target exists', (_path, page) => {
    const broken = relativeLinks(page)
      .filter((link) => link.target !== '')
      .filter((link) => !existsSync(join(ROOT, dirname(page.path), link.target)))
      .map((link) => `${link.path}:${link.line}: ${link.target}`);
    expect(broken).toEqual([]);
  });

  it.each(pages.map((page) => [page.path, page] as const))(
    '%s: every #anchor is a heading',
    (_path, page) => {
      const broken = relativeLinks(page)
        .filter((link) => link.anchor !== undefined)
        .filter((link) => {
          const file = join(ROOT, dirname(page.path), link.target);
          if (link.target !== '' && (!existsSync(file) || statSync(file).isDirectory())) return false;
          if (!file.endsWith('.md')) return false;
          return !headingAnchors(readFileSync(file, 'utf8')).has(link.anchor!);
        })
        .map(
          (link) =>
            `${link.path}:${link.line}: ${relative(ROOT, join(ROOT, dirname(page.path), link.target))}#${link.anchor}`,
        );
      expect(broken).toEqual([]);
    },
  );
});
