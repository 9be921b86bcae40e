// One pino logger for the process, on stdout: JSON lines for machines (the default), or with
// --log-format pretty one readable line per entry for people at a terminal.
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { LogFormat } from '../config/ops.js';
import { prettyLine } from './pretty.js';

/**
 * Log bytes waiting for a slow stdout at most: beyond this, lines are dropped and counted rather
 * than held, so a flood with --log-queries cannot grow memory without bound.
 */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

/** Lines dropped because stdout could not keep up, for /metrics. */
export const logDrops = { lines: 0 };

export function createLogger(
  level: string,
  destination?: NodeJS.WritableStream,
  format: LogFormat = 'json',
): Logger {
  if (format === 'json') return pino({ level }, destination ?? boundedStdout());
  // Written synchronously: a person reading a terminal wants every line before the process exits.
  return pino({ level }, prettyStream(destination ?? pino.destination({ fd: 1, sync: true })));
}

function boundedStdout() {
  const stdout = pino.destination({ fd: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  stdout.on('drop', () => logDrops.lines++);
  return stdout;
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
