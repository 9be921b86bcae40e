// What the tests read from the documentation (README.md and docs/): its dig examples, in the two
// forms the pages write them, and its relative links.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');

export interface Page {
  /** Relative to the repository root, e.g. docs/records.md. */
  path: string;
  text: string;
}

/** README.md and every page under docs/. */
export function documentation(): Page[] {
  return ['README.md', ...markdownUnder(join(ROOT, 'docs'))].map(page);
}

/** bench/README.md, bench/RESULTS.md and the dated notes under bench/notes/. */
export function benchmarkPages(): Page[] {
  return markdownUnder(join(ROOT, 'bench')).map(page);
}

function page(path: string): Page {
  return { path, text: readFileSync(join(ROOT, path), 'utf8') };
}

function markdownUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

/** Where something was read: file and line, for failure messages. */
export interface Place {
  path: string;
  line: number;
}

/**
 * A ```console block's `$ dig ...` line and the lines it prints. The block's info string names
 * the set-up when it is not the bundled zones (```console etcd); the ```sh block before it then
 * holds that set-up's commands as the reader runs them.
 */
export interface ConsoleDig extends Place {
  args: string[];
  output: string[];
  setup: string | undefined;
  setupScript: string | undefined;
}

/** A table row whose first cell is a `dig ...` and whose second cell is what it answers. */
export interface TableDig extends Place {
  args: string[];
  answer: string;
}

export interface DigExamples {
  console: ConsoleDig[];
  table: TableDig[];
  /** dig commands asking the `npm start` address in neither form: nothing would check them. */
  unchecked: (Place & { text: string })[];
}

/** dig asking the address `npm start` serves. */
const ASKS_NPM_START = /\bdig @127\.0\.0\.1 -p 1053\b/;

export function digExamples(page: Page): DigExamples {
  const found: DigExamples = { console: [], table: [], unchecked: [] };
  const lines = page.text.split('\n');
  let fence: { info: string[]; start: number; body: string[] } | undefined;
  let lastSh: string | undefined;
  lines.forEach((line, index) => {
    const place = { path: page.path, line: index + 1 };
    if (line.startsWith('```')) {
      if (!fence) {
        fence = { info: line.slice(3).trim().split(/\s+/), start: index + 1, body: [] };
        return;
      }
      if (fence.info[0] === 'sh') lastSh = fence.body.join('\n');
      if (fence.info[0] === 'console') found.console.push(...consoleDigs(page, fence, lastSh));
      else
        fence.body.forEach((text, i) => {
          if (ASKS_NPM_START.test(text)) found.unchecked.push({ ...place, line: fence!.start + i + 1, text });
        });
      fence = undefined;
      return;
    }
    if (fence) {
      fence.body.push(line);
      return;
    }
    const row = /^\| `dig ([^`]+)` \|(.*)\|$/.exec(line);
    if (row && ASKS_NPM_START.test(`dig ${row[1]}`)) {
      found.table.push({ ...place, args: row[1]!.split(/\s+/), answer: row[2]!.trim() });
    } else if (ASKS_NPM_START.test(line)) {
      found.unchecked.push({ ...place, text: line });
    }
  });
  return found;
}

function consoleDigs(
  page: Page,
  fence: { info: string[]; start: number; body: string[] },
  lastSh: string | undefined,
): ConsoleDig[] {
  const digs: ConsoleDig[] = [];
  const setup = fence.info[1];
  let current: ConsoleDig | undefined;
  fence.body.forEach((text, i) => {
    if (!text.startsWith('$ ')) {
      // The lines after a dig, up to the next `$ `, are what it prints.
      current?.output.push(text);
      return;
    }
    const command = text.slice(2).trim().split(/\s+/);
    current =
      command[0] === 'dig'
        ? {
            path: page.path,
            line: fence.start + i + 1,
            args: command.slice(1),
            output: [],
            setup,
            setupScript: setup ? lastSh : undefined,
          }
        : undefined;
    if (current) digs.push(current);
  });
  return digs;
}

/** Shell commands of a set-up script, continuation lines joined, comments and blank lines left out. */
export function shellCommands(script: string): string[] {
  return script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Every link of a page that is not a URL with a scheme: [text](target), split at its #anchor. */
export function relativeLinks(page: Page): (Place & { target: string; anchor: string | undefined })[] {
  const links: (Place & { target: string; anchor: string | undefined })[] = [];
  let inCode = false;
  page.text.split('\n').forEach((line, index) => {
    if (line.startsWith('```')) inCode = !inCode;
    if (inCode) return;
    // Inline code may hold brackets and parentheses that are not links.
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue;
      const [target, anchor] = href.split('#', 2) as [string, string | undefined];
      links.push({ path: page.path, line: index + 1, target, anchor });
    }
  });
  return links;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to dashes. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = inCode ? undefined : /^#{1,6} (.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}
