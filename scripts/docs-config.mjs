// Rewrites the options table in docs-config.md from the built option table (run: npm run docs:config).
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';
import { withReferenceTable } from '../dist/config/reference.js';

const path = new URL('../docs-config.md', import.meta.url);
writeFileSync(path, withReferenceTable(readFileSync(path, 'utf8')));
