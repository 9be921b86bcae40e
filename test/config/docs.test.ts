// docs/configuration.md carries the options table generated from the option table: if an option is added
// or its help changes, this fails until `npm run docs:config` is run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/config.js';
import { referenceTable, withReferenceTable } from '../../src/config/reference.js';

const document = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('has the current options table (npm run docs:config rewrites it)', () => {
    expect(withReferenceTable(document)).toBe(document);
  });

  it('lists every option with its variable and file key', () => {
    const table = referenceTable();
    for (const name of Object.keys(OPTIONS).filter((n) => n !== 'help' && n !== 'version')) {
      expect(table).toContain(`\`--${name}`);
    }
    expect(table).toContain(
      '| `--ttl SECONDS` | `CLUSTERDNS_TTL` | `ttl` | `5` | TTL of cluster records, 0-3600 |',
    );
  });
});
