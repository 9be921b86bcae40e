// Rewrites the options table in docs/configuration.md from the option table (run: npm run docs:config).
import { readFileSync, writeFileSync } from 'node:fs';
import { withReferenceTable } from './reference.js';

const path = new URL('../../docs/configuration.md', import.meta.url);
writeFileSync(path, withReferenceTable(readFileSync(path, 'utf8')));
