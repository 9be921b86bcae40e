// The slice of the Nacos HTTP API the backend reads: the service list of a namespace and group
// (paged) and the instance list of one service, for each API generation:
//   v1  /nacos/v1/ns/...             Nacos 1.x and 2.x (removed from the server in 3.2)
//   v2  /nacos/v2/ns/...             Nacos 2.2+, answers wrapped in {code, message, data}
//   v3  /nacos/v3/client/ns/...      Nacos 3.x; the service list is only in /nacos/v3/admin/ns/...
// With credentials it logs in (v1/v2: /nacos/v1/auth/login, v3: /nacos/v3/auth/user/login) and
// sends `accessToken` with every request. Neither the password nor the token is ever logged: errors
// name the path, never the URL with its query. Every answer is bounded: its body in bytes, read as
// it arrives, and the whole request (headers and body) in time.

import { readFile } from 'node:fs/promises';
import { OversizedRead, readCapped } from '../bounded-read.js';
import { isPublicNamespace } from './names.js';
import { type Login, TokenKeeper } from './token.js';

export type NacosApi = 'v1' | 'v2' | 'v3';

export interface NacosCredentials {
  username: string;
  /** Read at every login, so a rotated password file is picked up. */
  passwordFile: string;
}

export interface NacosClientOptions {
  /** The server, e.g. http://nacos:8848 (the `/nacos` context path is added unless given). */
  url: string;
  api: NacosApi;
  credentials?: NacosCredentials;
  /** Per request, headers and body. Default 5 s. */
  requestTimeoutMs?: number;
  /** Largest answer read, in bytes. Default DEFAULT_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  now?: () => number;
  /**
   * The client's lifetime: a login serves every request waiting for a token, so it must not be
   * cancelled with the one request (a service's poll) that happened to start it.
   */
  signal?: AbortSignal;
}

export class NacosRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const PATHS = {
  v1: { services: '/v1/ns/service/list', instances: '/v1/ns/instance/list', login: '/v1/auth/login' },
  v2: { services: '/v2/ns/service/list', instances: '/v2/ns/instance/list', login: '/v1/auth/login' },
  v3: {
    services: '/v3/admin/ns/service/list',
    instances: '/v3/client/ns/instance/list',
    login: '/v3/auth/user/login',
  },
} as const;

type Fields = Record<string, unknown>;

/**
 * An instance is 300-600 bytes of JSON, so 16 MiB is some 30 000 instances in one service, more
 * than a Nacos cluster serves per service; a service list page holds at most a few hundred names.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export class NacosClient {
  readonly origin: string;
  readonly tokens?: TokenKeeper;
  private readonly base: string;
  private readonly api: NacosApi;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;

  constructor(private readonly opts: NacosClientOptions) {
    const url = new URL(opts.url);
    const path = url.pathname.replace(/\/+$/, '');
    this.origin = url.origin;
    this.base = url.origin + (path.endsWith('/nacos') ? path : `${path}/nacos`);
    this.api = opts.api;
    this.timeoutMs = opts.requestTimeoutMs ?? 5000;
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (opts.credentials) {
      this.tokens = new TokenKeeper((signal) => this.login(opts.signal ?? signal), opts.now);
    }
  }

  /** Every service name of a namespace and group, page by page. */
  async listServices(namespaceId: string, group: string, pageSize: number, signal: AbortSignal) {
    const names: string[] = [];
    for (let pageNo = 1; pageNo <= 10_000; pageNo++) {
      const params: Fields = { pageNo, pageSize, ...this.namespaceParam(namespaceId) };
      params[this.api === 'v3' ? 'groupNameParam' : 'groupName'] = group;
      const body = this.unwrap(await this.get(PATHS[this.api].services, params, signal));
      const page = readServicePage(body, this.api, group);
      names.push(...page.names);
      if (page.names.length === 0 || page.raw < pageSize || names.length >= page.total) break;
    }
    return names;
  }

  /** The instance list of one service, unhealthy instances included, as the server shaped it. */
  async listInstances(namespaceId: string, group: string, serviceName: string, signal: AbortSignal) {
    const params: Fields = { serviceName, groupName: group, ...this.namespaceParam(namespaceId) };
    if (this.api !== 'v3') params.healthyOnly = false;
    return this.unwrap(await this.get(PATHS[this.api].instances, params, signal));
  }

  /** 1.x/2.x call the public namespace "" (omitting it means public); 3.x calls it "public". */
  private namespaceParam(namespaceId: string): Fields {
    if (!isPublicNamespace(namespaceId)) return { namespaceId };
    return this.api === 'v3' ? { namespaceId: 'public' } : {};
  }

  /** v2 and v3 wrap answers as {code, message, data}; code 0 is success. */
  private unwrap(body: unknown): unknown {
    if (this.api === 'v1') return body;
    const wrapped = body as Fields | null;
    if (typeof wrapped !== 'object' || wrapped === null || !('code' in wrapped)) {
      throw new NacosRequestError('answer is not {code, message, data}');
    }
    if (wrapped.code !== 0) {
      throw new NacosRequestError(`Nacos error ${String(wrapped.code)}: ${String(wrapped.message)}`);
    }
    return wrapped.data;
  }

  private async get(path: string, params: Fields, signal: AbortSignal): Promise<unknown> {
    const token = await this.tokens?.get(signal);
    const response = await this.send(
      'GET',
      path,
      { ...params, ...(token && { accessToken: token }) },
      signal,
    );
    // A token the server no longer accepts (expired early, server restarted): log in once more.
    if (token && this.tokens && (response.status === 401 || response.status === 403)) {
      await response.body?.cancel();
      this.tokens.rejected(token);
      const fresh = await this.tokens.get(signal);
      return this.json(path, await this.send('GET', path, { ...params, accessToken: fresh }, signal), signal);
    }
    return this.json(path, response, signal);
  }

  private async login(signal: AbortSignal): Promise<Login> {
    const { username, passwordFile } = this.opts.credentials!;
    const password = (await readFile(passwordFile, 'utf8')).replace(/\r?\n$/, '');
    const path = PATHS[this.api].login;
    const response = await this.send('POST', path, {}, signal, new URLSearchParams({ username, password }));
    const body = (await this.json(path, response, signal)) as Fields;
    const { accessToken, tokenTtl } = body ?? {};
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw new NacosRequestError(`${path}: no accessToken in the answer`);
    }
    return { accessToken, tokenTtl: typeof tokenTtl === 'number' && tokenTtl > 0 ? tokenTtl : 18_000 };
  }

  private async send(
    method: string,
    path: string,
    params: Fields,
    signal: AbortSignal,
    form?: URLSearchParams,
  ): Promise<Response> {
    const url = new URL(this.base + path);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
    try {
      return await fetch(url, {
        method,
        ...(form && { body: form }),
        headers: { accept: 'application/json', 'user-agent': 'clusterdns' },
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
      });
    } catch (error) {
      signal.throwIfAborted();
      const cause = (error as Error & { cause?: Error }).cause;
      throw new NacosRequestError(`${method} ${path}: ${cause?.message ?? (error as Error).message}`);
    }
  }

  /** The answer's body as JSON; the request's deadline (set in send) covers reading it too. */
  private async json(path: string, response: Response, signal: AbortSignal): Promise<unknown> {
    let text = '';
    try {
      if (response.body) {
        const body = await readCapped(
          response.body,
          this.maxBodyBytes,
          // Without the query, which carries the accessToken.
          () => new OversizedRead('answer', this.base + path, this.maxBodyBytes),
          response.headers.get('content-length'),
        );
        text = body.toString('utf8');
      }
    } catch (error) {
      if (error instanceof OversizedRead) throw error;
      signal.throwIfAborted();
      throw new NacosRequestError(
        (error as Error).name === 'TimeoutError'
          ? `${path}: answer not read whole within ${this.timeoutMs} ms`
          : `${path}: answer broke off: ${(error as Error).message}`,
      );
    }
    if (!response.ok) {
      throw new NacosRequestError(`${path}: HTTP ${response.status} ${text.slice(0, 200)}`, response.status);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new NacosRequestError(`${path}: answer is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

interface ServicePage {
  names: string[];
  /** Items the page held before filtering, to tell a short (last) page. */
  raw: number;
  total: number;
}

/** v1 `{count, doms}`, v2 `{count, services}`, v3 admin `{totalCount, pageItems: [{name, groupName}]}`. */
function readServicePage(body: unknown, api: NacosApi, group: string): ServicePage {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Fields;
  const items = api === 'v1' ? fields.doms : api === 'v2' ? fields.services : fields.pageItems;
  if (!Array.isArray(items)) throw new NacosRequestError('service list has no list of services');
  const total = Number(api === 'v3' ? fields.totalCount : fields.count);
  const names: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') names.push(item);
    else if (typeof item === 'object' && item !== null) {
      const { name, groupName } = item as Fields;
      if (typeof name === 'string' && (groupName === undefined || groupName === group)) names.push(name);
    }
  }
  return { names, raw: items.length, total: Number.isFinite(total) ? total : Infinity };
}
