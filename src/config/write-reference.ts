// Rewrites the options table in README.md from the option table (run: npm run docs:config).
import { readFileSync, writeFileSync } from 'node:fs';
import { withReferenceTable } from './reference.js';

const path = new URL('../../README.md', import.meta.url);
writeFileSync(path, withReferenceTable(readFileSync(path, 'utf8')));
