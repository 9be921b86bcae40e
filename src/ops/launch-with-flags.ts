// Imported first by main.ts, for its effect: a server started as `node dist/main.js` takes the
// flags of the entry's first line before the rest of the program is loaded (see node-flags.ts), so
// that replacing the process image throws nothing away.
import { relaunchWithFlags } from './node-flags.js';

relaunchWithFlags(new URL('../main.js', import.meta.url));
