// One query in, one reply out (or nothing): parse, resolve through the chain, encode to fit the
// transport. Shared by UDP and TCP so both answer identically. Nothing a client sends can make it
// throw: a failure while answering becomes SERVFAIL for that query alone, with a log line.
import type { Logger } from 'pino';
import { HEADER_SIZE, encodeResponse, parseQuery, readName, type ResponseHeader } from '../dns/index.js';
import { rcodeName, typeName } from '../dns/mnemonics.js';
import { Rcode, type Answer, type Query } from '../dns/types.js';
import { refusedAnswer, type AnsweringChain } from '../resolve/chain.js';
import type { QueryContext } from '../resolve/types.js';
import type { Counters } from '../ops/counters.js';
import { tallyAt, type QueryRecorder } from '../ops/metrics/query-metrics.js';
import { readPlainQuery } from '../dns/plain-query.js';
import type { PrecompiledAnswers } from '../answers/precompiled.js';
import type { QueryLogFilter } from './query-log.js';
import { ADVERTISED_UDP_SIZE, MIN_UDP_SIZE, replyLimit } from '../dns/reply-size.js';

export interface HandlerOptions {
  /**
   * The chain; with rewrite rules or dns64, the chain behind them (answers they rewrote, or that
   * differ by client, are never compiled).
   */
  resolver: AnsweringChain;
  logger: Logger;
  counters: Counters;
  /** Which answers get a query-log line; absent: none. */
  queryLog?: QueryLogFilter;
  /** Whether this client may have names outside the zones resolved: the RA bit of its answers. */
  recursionAvailable: (clientAddress: string) => boolean;
  /** Answers compiled to wire bytes, tried before the general path (see precompiled.ts). */
  precompiled?: PrecompiledAnswers;
  /** Clients that may query at all (--allow-query); others get REFUSED. Absent: everyone may. */
  allowQuery?: { allows(clientAddress: string): boolean };
  /** Our EDNS payload size (`bufsize`): advertised, and the most a UDP reply holds. Default 1232. */
  udpSize?: number;
}

function emptyAnswer(rcode: number): Answer {
  return { rcode, authoritative: false, answers: [], authority: [], additional: [] };
}

/**
 * Answers from compiled bytes are timed one in this many; the others count in the typical duration
 * of the timed ones (see ServerRecorder.fold). Such an answer takes a microsecond or two, always
 * the first bucket, and its two clock reads cost about 150 ns in a loop: a quarter of what the
 * answer itself costs there.
 */
export const FAST_PATH_TIMED_ONE_IN = 16;

export class QueryHandler {
  private recorder: QueryRecorder | undefined;
  /** Compiled answers to serve untimed before the next timed one. */
  private untilTimed = 0;

  private readonly udpSize: number;

  constructor(private readonly options: HandlerOptions) {
    this.udpSize = options.udpSize ?? ADVERTISED_UDP_SIZE;
  }

  /** Count every answered query in the metrics of the listener this handler serves. */
  recordTo(recorder: QueryRecorder): void {
    const compiledIn = this.options.precompiled?.answerSlots;
    // Compiled answers carry slots of the metrics they were compiled for, valid in those only.
    if (compiledIn && compiledIn !== recorder.answerSlots)
      throw new Error('a handler must record into the metrics its compiled answers have slots in');
    this.recorder = recorder;
  }

  /** The reply bytes, undefined to send nothing, or a promise of either when resolving waits. */
  handle(message: Buffer, context: QueryContext): Buffer | undefined | Promise<Buffer | undefined> {
    // The clock is read only when a duration will be recorded or logged, and on the fast path only
    // for the answers timed (FAST_PATH_TIMED_ONE_IN). performance.now() rather than
    // hrtime.bigint(): as precise here, and no BigInt per query.
    const recorder = this.recorder;
    const timed = recorder !== undefined && this.untilTimed-- === 0;
    if (timed) this.untilTimed = FAST_PATH_TIMED_ONE_IN - 1;
    let started = timed ? performance.now() : 0;
    // The fast path: a plain query whose answer is compiled. Query logging wants the general path's
    // view of the query, so a log that could want a compiled answer turns the fast path off; a
    // client outside --allow-query is refused by the general path.
    const { allowQuery, queryLog } = this.options;
    const refused = allowQuery !== undefined && !allowQuery.allows(context.clientAddress);
    const precompiled = queryLog?.logsCompiled || refused ? undefined : this.options.precompiled;
    const plain = precompiled && readPlainQuery(message);
    if (plain) {
      const hit = precompiled.reply(
        message,
        plain,
        context.transport,
        this.options.recursionAvailable,
        context.clientAddress,
      );
      if (hit) {
        const entry = precompiled.lastServed;
        if (recorder && entry) {
          const slot = entry.metricsSlot;
          if (slot >= 0) {
            // Its labels and sizes were worked out when it was compiled: counting it is one increment.
            const at = tallyAt(slot, context.transport, plain.edns, plain.dnssecOk);
            if (timed) recorder.timedFrom(at, (performance.now() - started) / 1000);
            else recorder.tallies[at]!++;
          } else {
            recorder.answeredFrom(
              entry,
              readName(message, HEADER_SIZE).name,
              plain.type,
              context.transport,
              plain.dnssecOk,
              message.length,
              hit.length,
              timed ? (performance.now() - started) / 1000 : undefined,
            );
          }
        }
        return hit;
      }
    }
    // Every answer of the general path is timed, from here when the fast path did not start the clock.
    if (!timed && (recorder || queryLog)) started = performance.now();
    const outcome = parseQuery(message);
    switch (outcome.kind) {
      case 'drop':
        this.options.counters.malformedDropped++;
        return undefined;
      case 'formerr':
        this.options.counters.malformedAnswered++;
        return encodeResponse(outcome, emptyAnswer(Rcode.FORMERR), { maxSize: MIN_UDP_SIZE });
      case 'notimp':
        return encodeResponse(outcome, emptyAnswer(Rcode.NOTIMP), this.encodeOptions(outcome.edns, context));
      case 'badvers':
        return encodeResponse(
          outcome.query,
          emptyAnswer(Rcode.BADVERS),
          this.encodeOptions(outcome.query.edns, context),
        );
      case 'query':
        break;
    }
    const query = outcome.query;
    if (refused) {
      this.options.counters.queriesRefused++;
      return this.reply(query, refusedAnswer(), context, started, message.length, -1);
    }
    const queryContext = query.edns?.dnssecOk ? { ...context, dnssecOk: true } : context;
    let answer: Answer | Promise<Answer>;
    let link: number;
    // An answer to a rewritten question is the rewritten name's: compiled under the asked name, it
    // would be tracked by the wrong name and outlive a change to the one it came from. A dns64
    // answer depends on the client and on the name's A records: compiled, it would be served to
    // every client, and outlive a change to them.
    let compile = plain ? precompiled : undefined;
    try {
      const resolver = this.options.resolver;
      answer = resolver.resolve(query.question, queryContext);
      link = resolver.answeredBy;
      if (resolver.rewrote) compile = undefined;
    } catch (error) {
      answer = this.failed(query, error);
      link = -1;
    }
    if (answer instanceof Promise) {
      return answer
        .catch((error: unknown) => this.failed(query, error))
        .then((resolved) => {
          const bytes = this.reply(query, resolved, context, started, message.length, link);
          if (plain && compile) compile.offer(plain, query.question, resolved, link, false, context);
          return bytes;
        });
    }
    const bytes = this.reply(query, answer, context, started, message.length, link);
    // Only now, once the answer is known to encode: a failure above must not be compiled.
    if (plain && compile) compile.offer(plain, query.question, answer, link, true, context);
    return bytes;
  }

  private reply(
    query: Query,
    answer: Answer,
    context: QueryContext,
    started: number,
    requestSize: number,
    link: number,
  ): Buffer {
    const header: ResponseHeader = query;
    const options = this.encodeOptions(query.edns, context);
    if (answer.ra === undefined)
      answer = { ...answer, ra: this.options.recursionAvailable(context.clientAddress) };
    let bytes: Buffer;
    try {
      bytes = encodeResponse(header, answer, options);
    } catch (error) {
      // Records that cannot be written (say, from a misbehaving upstream) fail this query only.
      answer = this.failed(query, error);
      bytes = encodeResponse(header, answer, options);
    }
    const recorder = this.recorder;
    const queryLog = this.options.queryLog;
    if (recorder || queryLog) {
      const seconds = (performance.now() - started) / 1000;
      recorder?.answered(
        query.question.name,
        query.question.type,
        context.transport,
        query.edns?.dnssecOk === true,
        requestSize,
        bytes.length,
        answer.rcode,
        link,
        seconds,
      );
      if (queryLog?.wants(query.question.name, answer)) this.logQuery(query, answer, context, bytes, seconds);
    }
    return bytes;
  }

  private encodeOptions(edns: Query['edns'], context: QueryContext) {
    return {
      maxSize: replyLimit(context.transport, edns?.udpSize ?? 0, this.udpSize),
      ...(edns ? { edns: { udpSize: this.udpSize, dnssecOk: edns.dnssecOk } } : {}),
    };
  }

  private failed(query: Query, error: unknown): Answer {
    this.options.counters.queryErrors++;
    this.options.logger.error(
      { err: error, qname: query.question.name, qtype: query.question.type },
      'answering a query failed; replied SERVFAIL',
    );
    return emptyAnswer(Rcode.SERVFAIL);
  }

  private logQuery(
    query: Query,
    answer: Answer,
    context: QueryContext,
    bytes: Buffer,
    seconds: number,
  ): void {
    // The fields of CoreDNS's log plugin: who asked, what, over what, and what came back.
    this.options.logger.info(
      {
        client: `${context.clientAddress}:${context.clientPort}`,
        id: query.id,
        name: query.question.name,
        type: typeName(query.question.type),
        class: query.question.class,
        transport: context.transport,
        bufsize: query.edns?.udpSize,
        do: query.edns?.dnssecOk ?? false,
        rcode: rcodeName(answer.rcode),
        answers: answer.answers.length,
        size: bytes.length,
        tc: (bytes[2]! & 0x02) !== 0,
        durationMs: seconds * 1000,
      },
      'query',
    );
  }
}
