// One pino logger for the process: JSON lines on stdout, level from --log-level.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ name: 'clusterdns', level }, destination ?? pino.destination({ fd: 1, sync: false }));
}
