// The HTTP layer under the list/watch loop: builds requests from the connection settings, applies
// the client-side rate limit, retries once after a 401 with fresh credentials, and turns failures
// into ApiErrors that say what happened. Every request is abortable; close() drops every socket.
// A list page is bounded in bytes (read as it arrives) and in time.

import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { OversizedRead, readCapped } from '../bounded-read.js';
import type { KubernetesConnection } from './connection.js';
import { DEFAULT_RATE_LIMIT, type RateLimit, Semaphore, TokenBucket } from './throttle.js';

/** An error answer from the API server, or a failure to get one. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    /** HTTP status, or the `code` of an in-stream Status; 0 when no answer arrived. */
    readonly status: number,
    /** The Status `reason` (Expired, Gone, Forbidden, ...), when the server gave one. */
    readonly reason?: string,
    /** From Retry-After, when the server asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  connection: KubernetesConnection;
  rateLimit?: RateLimit;
  /** Cap on list requests in flight; watches are long-running and not counted. */
  maxInFlight?: number;
  /** Largest list response body read, in bytes. Default DEFAULT_MAX_PAGE_BYTES. */
  maxBodyBytes?: number;
  /** A list page not read whole within this fails. Default DEFAULT_PAGE_TIMEOUT_MS. */
  pageTimeoutMs?: number;
  userAgent?: string;
}

/**
 * An object is at most ~1.5 MiB in etcd (its default --max-request-bytes), so a page of 500 is
 * bounded in theory only; in practice a page of 500 EndpointSlices of 100 endpoints is 10-20 MB of
 * JSON. 64 MiB leaves room for that several times over while keeping a runaway answer from
 * costing the process gigabytes (the parsed objects take several times the text).
 */
export const DEFAULT_MAX_PAGE_BYTES = 64 * 1024 * 1024;
/** The API server cuts a non-watch request after 60 s itself (kube-apiserver --request-timeout). */
export const DEFAULT_PAGE_TIMEOUT_MS = 60_000;
/** An error answer is a Status object of a few hundred bytes; more than this is not read. */
const MAX_ERROR_BYTES = 64 * 1024;

export type Query = Record<string, string | undefined>;

export class ApiClient {
  private readonly connection: KubernetesConnection;
  private readonly agent: http.Agent;
  private readonly bucket: TokenBucket;
  private readonly inFlight: Semaphore;
  private readonly maxBodyBytes: number;
  private readonly pageTimeoutMs: number;
  private readonly userAgent: string;

  constructor(opts: ApiClientOptions) {
    this.connection = opts.connection;
    const { tls } = opts.connection;
    // keepAlive reuses connections for lists and successive watches; close() destroys the pool.
    this.agent =
      opts.connection.server.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ca: tls.ca,
            cert: tls.cert,
            key: tls.key,
            rejectUnauthorized: !tls.insecureSkipTlsVerify,
            servername: tls.serverName,
          })
        : new http.Agent({ keepAlive: true });
    this.bucket = new TokenBucket(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.inFlight = new Semaphore(opts.maxInFlight ?? 8);
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_PAGE_BYTES;
    this.pageTimeoutMs = opts.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
    this.userAgent = opts.userAgent ?? 'clusterdns';
  }

  /** GET a JSON document (a list page), within the page's byte and time caps. */
  async getJson(path: string, query: Query, signal: AbortSignal): Promise<unknown> {
    const release = await this.inFlight.acquire(signal);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.pageTimeoutMs).unref();
    try {
      const res = await this.send(path, query, AbortSignal.any([signal, timeout.signal]));
      const url = this.urlFor(path, query);
      const body = await readCapped(
        res,
        this.maxBodyBytes,
        () => new OversizedRead('list page', url, this.maxBodyBytes),
        res.headers['content-length'],
      );
      try {
        return JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError(`GET ${path}: the response is not JSON`, res.statusCode ?? 0);
      }
    } catch (error) {
      if (timeout.signal.aborted && !signal.aborted) {
        throw new ApiError(`GET ${path}: no complete answer within ${this.pageTimeoutMs} ms`, 0);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  /** GET a streaming response (a watch); the caller reads and eventually aborts it. */
  stream(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage> {
    return this.send(path, query, signal);
  }

  /** Destroys pooled and active sockets; requests in flight fail. */
  close(): void {
    this.agent.destroy();
  }

  describeServer(): string {
    return this.connection.server.origin;
  }

  /** The URL a request goes to; it carries no credential (those travel in headers). */
  urlFor(path: string, query: Query): string {
    const url = new URL(this.connection.server.href.replace(/\/$/, '') + path);
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, value);
    return url.href;
  }

  /** Resolves with a 2xx response; anything else becomes an ApiError. */
  private async send(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage> {
    // The limit paces lists and watches, not the pages of one list: a 100 000-service cluster is
    // 200 pages, which at 20 a second would hold start-up for ten seconds.
    if (query.continue === undefined) await this.bucket.take(signal);
    let retried = false;
    for (;;) {
      const res = await this.request(path, query, signal);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return res;
      const error = await errorFrom(res, path);
      // Tokens rotate: the first 401 re-reads the credentials and tries once more.
      if (status === 401 && !retried && (await this.connection.credentials.refresh())) {
        retried = true;
        await this.bucket.take(signal);
        continue;
      }
      throw error;
    }
  }

  private async request(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(this.urlFor(path, query));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    const authorization = await this.connection.credentials.authorization();
    if (authorization !== undefined) headers.authorization = authorization;
    const module = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = module.request(url, { agent: this.agent, headers, signal }, resolve);
      req.on('error', (error) => reject(wrapNetworkError(error, path, url.origin)));
      req.end();
    });
  }
}

/** Builds the error for a non-2xx answer, from its Status body when there is one. */
async function errorFrom(res: IncomingMessage, path: string): Promise<ApiError> {
  const status = res.statusCode ?? 0;
  const body = await readCapped(
    res,
    MAX_ERROR_BYTES,
    () => new OversizedRead('error answer', path, MAX_ERROR_BYTES),
  ).catch(() => Buffer.alloc(0));
  let reason: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { reason?: unknown; message?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not a Status object: a proxy's HTML page, say
  }
  const text = `GET ${path}: ${status} ${http.STATUS_CODES[status] ?? ''}`.trim();
  return new ApiError(
    message ? `${text}: ${message}` : text,
    status,
    reason,
    retryAfterMs(res.headers['retry-after']),
  );
}

/** Retry-After is either seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function wrapNetworkError(error: unknown, path: string, origin: string): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  const detail = code && !message.includes(code) ? `${code} ${message}` : message;
  return new ApiError(`GET ${path}: cannot reach the API server at ${origin}: ${detail}`, 0);
}
