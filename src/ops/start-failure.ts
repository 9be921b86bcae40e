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

/**
 * What the system's bind errors mean to whoever starts the server, and what to do about them; the
 * flag is the one that chose the address (--listen for DNS, --health/--ready/--metrics for the
 * ops endpoints). Ports below 1024 need privilege: ip(7), "ip_unprivileged_port_start".
 */
export function bindProblem(code: string | undefined, flag: string, port: number): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `already in use: stop what holds it or choose another address with ${flag}`;
    case 'EACCES':
      return `binding port ${port} needs CAP_NET_BIND_SERVICE or root: run with it, or choose a port above 1023 with ${flag}`;
    case 'EADDRNOTAVAIL':
      return `no interface of this host has that address: choose one it has with ${flag}`;
    default:
      return undefined;
  }
}
