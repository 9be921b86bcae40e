// Zone files: the directory watched, and how a file is read.
import { fileURLToPath } from 'node:url';
import type { OptionSpec, Reading } from './reading.js';

/** The zones/ directory shipped with the package: the table served when --zones is not given. */
export const EMBEDDED_ZONES_DIR = fileURLToPath(new URL('../../../zones', import.meta.url));

export const FILES_OPTIONS = {
  zones: {
    type: 'string',
    metavar: 'DIR',
    help: 'directory of zone files to serve (default: the bundled zones/ when no other registry is given)',
  },
  'zones-max-bytes': {
    defaultValue: '4194304',
    type: 'string',
    metavar: 'BYTES',
    help: 'a zone file larger than this is rejected, whole, with a warning naming it (default 4194304, 4 MiB)',
  },
  'zones-settle': {
    defaultValue: '500ms',
    type: 'string',
    metavar: 'DURATION',
    help: 'a zone file is read once it has not changed for this long, so a file being written is not served half-way (default 500ms)',
  },
} satisfies Record<string, OptionSpec>;

export interface ZoneFilesConfig {
  maxBytes: number;
  settleMs: number;
}

export function zoneFilesConfig(reading: Reading<keyof typeof FILES_OPTIONS>): ZoneFilesConfig {
  return {
    maxBytes: reading.number('zones-max-bytes', 1, 2 ** 31 - 1),
    settleMs: reading.ms('zones-settle'),
  };
}
