// One pino logger for the process, on stdout: JSON lines for machines (the default), or with
// --log-format pretty one readable line per entry for people at a terminal.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogFormat } from '../config/options/ops.js';
import { prettyLine } from './pretty.js';

/**
 * Log bytes waiting for a slow stdout at most: beyond this, lines are dropped and counted rather
 * than held, so a flood with --log-queries cannot grow memory without bound.
 */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/** Lines dropped because stdout could not keep up, for /metrics. */
export const logDrops = { lines: 0 };

/**
 * How long an exit waits for the lines still buffered to reach stdout. A stdout nobody reads (a
 * stalled log collector, a full pipe) would otherwise hold the exit for ever: pino writes what is
 * left synchronously as the process exits, and that write blocks.
 */
export const LOG_EXIT_WAIT_MS = 2000;

type Destination = ReturnType<typeof pino.destination>;
/** The stdout destinations made here, for exitAfterLogs. */
const destinations = new Set<Destination>();

export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  format: LogFormat = 'json',
): Logger {
  if (format === 'json') return pino({ level }, destination ?? boundedStdout());
  // Bounded and asynchronous as the JSON lines are: a terminal (or pipe) that stops reading must
  // not stop the answers. exitAfterLogs() still writes every line before the process exits.
  return pino({ level }, prettyStream(destination ?? boundedStdout()));
}

function boundedStdout(): Destination {
  const stdout = pino.destination({ fd: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  stdout.on('drop', () => logDrops.lines++);
  destinations.add(stdout);
  return stdout;
}

/**
 * Ends the process with `code` once the log lines still buffered are written, or after `waitMs`
 * if stdout does not take them: those lines are then given up, and the exit is not held.
 */
export function exitAfterLogs(code: number, waitMs = LOG_EXIT_WAIT_MS): void {
  const waiting = [...destinations];
  const exit = () => {
    // Given up: pino's own exit hook skips a destroyed destination.
    for (const stdout of waiting) {
      destinations.delete(stdout);
      stdout.destroy();
    }
    process.exit(code);
  };
  if (waiting.length === 0) return exit();
  const timer = setTimeout(exit, waitMs);
  let left = waiting.length;
  for (const stdout of waiting) {
    // In asynchronous mode 'drain' comes once everything buffered is written. An empty write
    // queues behind what is buffered, or starts a write of its own when nothing is, so it always
    // comes (flush() does nothing at all without a minimum length).
    stdout.once('drain', () => {
      if (--left > 0) return;
      clearTimeout(timer);
      process.exit(code);
    });
    stdout.write('');
  }
}

/** Rewrites each JSON line pino writes; a few lines of formatting spare a pino-pretty dependency. */
function prettyStream(out: { write(text: string): unknown }): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      let text = '';
      for (const line of chunk.toString().split('\n')) if (line) text += `${prettyLine(line)}\n`;
      out.write(text);
      callback();
    },
  });
}
