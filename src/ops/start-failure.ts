// How the command ends when it cannot start on what it was given: a bad flag, a file it cannot
// read, an address it cannot bind. One plain line on stderr that names the flag or file and the
// fix, and exit status 2, as for a bad flag: the line is for the person or the orchestrator that
// started it (`kubectl logs --previous`, systemd's journal), and a stack would only say where the
// program noticed the problem. Anything else is the program's own failure: logged with its stack,
// exit status 1.
import { ConfigError } from '../config/config.js';
import { exitAfterLogs } from './logger.js';

/**
 * Whether `error` is about what the server was given or where it runs (a ConfigError, or a
 * system call's refusal, which carries an errno code), rather than a fault of the program.
 */
export function isOperatorProblem(error: unknown): boolean {
  return error instanceof ConfigError || (error as NodeJS.ErrnoException | undefined)?.code !== undefined;
}

/** Says `message` on stderr in one line and exits 2 once the buffered log lines are written. */
export function refuse(message: string): void {
  // Whatever the message wraps, one line: a log collector keeps each line as one record.
  process.stderr.write(`clusterdns: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  exitAfterLogs(2);
}
