// What coredns_build_info reports of the build: the git commit `npm run build` wrote beside the
// compiled code (dist/REVISION). Empty when the build had no git checkout, or when running from
// the sources: an unknown revision is left blank rather than guessed.
import { readFileSync } from 'node:fs';

const REVISION_FILE = new URL('../REVISION', import.meta.url);

export function buildRevision(): string {
  try {
    // A commit id is 40 hex digits (64 under SHA-256 repositories); anything else is not one.
    const text = readFileSync(REVISION_FILE, 'utf8').trim();
    return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text) ? text : '';
  } catch {
    return '';
  }
}

/** The version in package.json: what `--version`, coredns_build_info and CHAOS version.bind report. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
