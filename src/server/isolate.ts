// The last line of defence between one query and the process: whatever a handler throws, or
// whatever its promise rejects with, is logged, counted and costs that query its reply, never the
// listener or the process. The handler itself already turns a failure into SERVFAIL; this catches
// what happens outside that (building the SERVFAIL, recording metrics, logging the query).
import type { Logger } from 'pino';
import type { Counters } from '../ops/counters.js';
import type { QueryContext } from '../resolve/types.js';
import type { QueryHandler } from './handler.js';

type Handle = QueryHandler['handle'];

export function isolated(handle: Handle, logger: Logger, counters: Counters): Pick<QueryHandler, 'handle'> {
  const failed = (error: unknown, context: QueryContext) => {
    counters.queryErrors++;
    logger.error(
      { err: error, client: context.clientAddress, transport: context.transport },
      'answering a query failed; no reply sent',
    );
    return undefined;
  };
  return {
    handle(message: Buffer, context: QueryContext) {
      try {
        const reply = handle(message, context);
        return reply instanceof Promise ? reply.catch((error: unknown) => failed(error, context)) : reply;
      } catch (error) {
        return failed(error, context);
      }
    },
  };
}
