// The node flags and environment the server runs with, the same however it is started. They live
// on dist/main.js's first line (`#!/usr/bin/env -S NAME=VALUE node FLAGS`), which serves
// `dist/main.js`, `npx clusterdns` and the image; `node dist/main.js` skips that line, so the
// entry module calls relaunchWithFlags() first (docs/architecture.md#memory-and-v8-flags says what
// each flag buys).
import { accessSync, constants, readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

export interface Launch {
  /** Variables set before node starts, e.g. MALLOC_ARENA_MAX=1. */
  env: Record<string, string>;
  /** Node and V8 flags, e.g. --max-semi-space-size=1. */
  flags: string[];
}

/** The environment and flags of a `#!/usr/bin/env -S [NAME=VALUE ...] node FLAGS` line. */
function launchOf(firstLine: string): Launch {
  const words = /^#!\/usr\/bin\/env -S (.*)$/.exec(firstLine)?.[1]?.split(' ').filter(Boolean) ?? [];
  const node = words.indexOf('node');
  if (node < 0) return { env: {}, flags: [] };
  const env = Object.fromEntries(
    words.slice(0, node).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]),
  );
  return { env, flags: words.slice(node + 1) };
}

/** The launch of a built entry file, read from its first line. */
export function launchOfFile(path: string): Launch {
  return launchOf(readFileSync(path, 'utf8').split('\n', 1)[0]!);
}

function mayExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const flagName = (flag: string) => flag.split('=', 1)[0]!.replaceAll('_', '-');

/** What `launch` sets that this process was not started with (a flag the user gave keeps its value). */
function missingFrom(launch: Launch, execArgv: readonly string[], env: NodeJS.ProcessEnv): Launch {
  const given = new Set(execArgv.map(flagName));
  return {
    env: Object.fromEntries(Object.entries(launch.env).filter(([name]) => env[name] === undefined)),
    flags: launch.flags.filter((flag) => !given.has(flagName(flag))),
  };
}

/**
 * Started as `node dist/main.js` (without the first line's flags): become the process the first
 * line would have started. Where node has process.execve (22.15 and later) that is the same
 * program image, flags and environment, in the same process. Node 20 has none (and a node whose
 * path this user may not search cannot be run again): the V8 flags are
 * set at run time before anything is allocated (semi-space growth stopped, as a 1 MB maximum
 * would), and workers forked later inherit the environment. Does nothing when `entry` is not the
 * program being run (a test importing it) or when nothing is missing.
 */
export function relaunchWithFlags(entry: URL): void {
  const entryPath = fileURLToPath(entry);
  let started: string;
  try {
    started = realpathSync(process.argv[1] ?? '');
  } catch {
    return;
  }
  if (started !== realpathSync(entryPath)) return;
  const missing = missingFrom(launchOfFile(entryPath), process.execArgv, process.env);
  if (missing.flags.length === 0 && Object.keys(missing.env).length === 0) return;
  const env = { ...process.env, ...missing.env };
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
    .execve;
  // A failed execve aborts node outright: try it only where it cannot fail for want of access (a
  // user who may run node by a path it may not search, as under setpriv from root's 0700 folder).
  if (execve && mayExecute(process.execPath)) {
    execve(
      process.execPath,
      [process.execPath, ...process.execArgv, ...missing.flags, ...process.argv.slice(1)],
      env,
    );
  }
  for (const flag of missing.flags) v8.setFlagsFromString(flag);
  // V8 reads its semi-space maximum once, at start: keeping the young generation at the size it
  // starts with holds it at the 1 MB the first line asks for.
  if (missing.flags.some((flag) => flagName(flag) === '--max-semi-space-size')) {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
  }
  Object.assign(process.env, missing.env);
}
