// What the process does with an error nothing caught. Every query and every backend is already
// isolated (server/isolate.ts, registry/supervisor.ts), so such an error is a defect somewhere
// outside them; the policy is to stay up, since a cluster DNS server that exits takes every name
// in the cluster with it:
//
// - an error raised by a registry backend's own code (found through its supervisor's context)
//   restarts that backend, and the last good table keeps serving;
// - an unhandled promise rejection is logged and counted: nothing was left half done by a promise
//   nobody waited for;
// - any other uncaught exception is logged and counted and serving goes on, unless more than
//   `maxPerMinute` (10) come within a minute: a process that keeps throwing is in a state nobody
//   planned for, and exits with code 70 so that its orchestrator starts a clean one.
import type { Logger } from 'pino';
import { exitAfterLogs } from './logger.js';

/** For /metrics: uncaught errors since the process started. */
export const uncaughtErrors = { exception: 0, rejection: 0 };

export const EXIT_CODE_BROKEN = 70;

export interface CrashPolicyOptions {
  /**
   * Hands the error to the part whose code raised it, which deals with it (a registry backend's
   * supervisor restarts it); false when no part owns it. Default: none does.
   */
  failOwner?: (error: unknown) => boolean;
  maxPerMinute?: number;
  exit?: (code: number) => void;
}

export function installCrashPolicy(logger: Logger, options: CrashPolicyOptions = {}): void {
  const maxPerMinute = options.maxPerMinute ?? 10;
  const exit = options.exit ?? exitAfterLogs;
  const failOwner = options.failOwner ?? (() => false);
  const recent: number[] = [];
  const handle = (kind: 'exception' | 'rejection', error: unknown) => {
    uncaughtErrors[kind]++;
    if (failOwner(error)) return;
    if (kind === 'rejection') {
      logger.error({ err: error }, 'unhandled promise rejection; serving on');
      return;
    }
    const now = Date.now();
    recent.push(now);
    while (recent[0]! < now - 60_000) recent.shift();
    if (recent.length <= maxPerMinute) {
      logger.error({ err: error }, 'uncaught exception; serving on');
      return;
    }
    logger.fatal(
      { err: error, inLastMinute: recent.length },
      `more than ${maxPerMinute} uncaught exceptions in a minute; exiting for a clean restart`,
    );
    exit(EXIT_CODE_BROKEN);
  };
  process.on('uncaughtException', (error) => handle('exception', error));
  process.on('unhandledRejection', (reason) => handle('rejection', reason));
}
