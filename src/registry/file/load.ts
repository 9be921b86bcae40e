// Reading a zone directory: which files count, and one-shot loading for tools and tests.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TableContent } from '../../table/types.js';
import type { ClusterObject, Problem, Skipped } from '../model.js';
import { type Duplicate, assembleZones } from './assemble.js';
import { parseZoneText } from './parse.js';

/**
 * YAML and JSON files, but not dotfiles (editor swap files, Kubernetes ConfigMap `..data` links)
 * nor editor backups and autosaves (`zone.yaml~`, `#zone.yaml#`).
 */
export function isZoneFileName(name: string): boolean {
  return !name.startsWith('.') && !name.startsWith('#') && /\.(ya?ml|json)$/i.test(name);
}

/** Zone file names in `dir`, in the order that decides which duplicate definition wins. */
export async function listZoneFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  // Symlinks are kept: a mounted ConfigMap presents its files as links.
  return entries
    .filter((e) => !e.isDirectory() && isZoneFileName(e.name))
    .map((e) => e.name)
    .sort();
}

export interface ZoneFile {
  /** Path of the file (dir joined with its name). */
  file: string;
  objects: ClusterObject[];
  skipped: Skipped[];
  problems: Problem[];
}

/**
 * Reads and assembles a directory once. Files with problems contribute nothing, as they would
 * on a first load by the FileBackend; they are returned so the caller can report them.
 */
export async function loadZoneFiles(
  dir: string,
): Promise<{ content: TableContent; files: ZoneFile[]; duplicates: Duplicate[] }> {
  const files: ZoneFile[] = [];
  for (const name of await listZoneFiles(dir)) {
    const file = join(dir, name);
    files.push({ file, ...parseZoneText(await readFile(file, 'utf8')) });
  }
  const { content, duplicates } = await assembleZones(files.filter((f) => f.problems.length === 0));
  return { content, files, duplicates };
}
