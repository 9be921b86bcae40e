// A Kubernetes API server in miniature for the backend's tests: an in-memory store of namespaces,
// services, endpointslices, pods and (a CRD that can be switched off) multi-cluster serviceimports
// with one global resourceVersion, list with limit/continue,
// label selectors, watch streams (NDJSON over chunked encoding) with bounded history, bookmarks and
// timeouts, bearer-token auth, and switches for the faults a real API server and network produce.
// Listens on 127.0.0.1 only.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { discoveryDocument } from './discovery.js';

export type Resource = 'namespaces' | 'services' | 'endpointslices' | 'pods' | 'nodes' | 'serviceimports';
type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

interface ResourceInfo {
  resource: Resource;
  path: string;
  apiVersion: string;
  kind: string;
  namespaced: boolean;
}

const RESOURCES: ResourceInfo[] = [
  {
    resource: 'namespaces',
    path: '/api/v1/namespaces',
    apiVersion: 'v1',
    kind: 'Namespace',
    namespaced: false,
  },
  { resource: 'services', path: '/api/v1/services', apiVersion: 'v1', kind: 'Service', namespaced: true },
  {
    resource: 'endpointslices',
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  { resource: 'pods', path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod', namespaced: true },
  { resource: 'nodes', path: '/api/v1/nodes', apiVersion: 'v1', kind: 'Node', namespaced: false },
  {
    resource: 'serviceimports',
    path: '/apis/multicluster.x-k8s.io/v1alpha1/serviceimports',
    apiVersion: 'multicluster.x-k8s.io/v1alpha1',
    kind: 'ServiceImport',
    namespaced: true,
  },
];

export interface FakeApiServerOptions {
  /** Serve https with this certificate; with `clientCa`, a client certificate it signed also authenticates. */
  tls?: { key: string; cert: string; clientCa?: string };
  /** The bearer token accepted; undefined accepts any request. Assign `server.token` to rotate it. */
  token?: string;
  /** Events kept for watches resuming from an older resourceVersion. Default 1000. */
  historySize?: number;
  /** BOOKMARK interval for watches that allow them; 0 (default) sends none. */
  bookmarkIntervalMs?: number;
}

interface HistoryEvent {
  rv: number;
  resource: Resource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: Obj;
  previous?: Obj;
}

interface Watcher {
  resource: Resource;
  selector: Selector;
  res: ServerResponse;
  stalled: boolean;
  timers: NodeJS.Timeout[];
}

export interface RequestRecord {
  resource?: Resource;
  /** The URL path asked, e.g. /api/v1/namespaces/shop/services. */
  path: string;
  /** The namespace of a namespaced path; undefined for a cluster-wide one. */
  namespace?: string;
  verb: 'list' | 'watch' | 'other';
  query: URLSearchParams;
  status: number;
  /** performance.now() when it arrived. */
  at: number;
}

/** Whether an object is in a list or watch: its labels against the labelSelector, its namespace against a namespaced path. */
type Selector = (labels: Record<string, unknown>, object?: Obj) => boolean;

export class FakeApiServer {
  /** Accepted bearer token; change it to simulate rotation. */
  token: string | undefined;
  /** How a watch from a forgotten resourceVersion is refused: HTTP 410, or 200 and an ERROR event. */
  goneMode: 'status' | 'event' = 'status';
  /** Refuse every watch that names a resourceVersion as Gone, as a server whose history keeps expiring does. */
  expireEveryWatch = false;
  readonly requests: RequestRecord[] = [];
  /**
   * The identity may only read these namespaces, as a namespaced Role grants: a cluster-wide path
   * or another namespace's is answered 403 Forbidden. Undefined allows everything (a ClusterRole).
   */
  roleNamespaces: string[] | undefined;
  /**
   * Whether the MCS ServiceImport CRD is installed: off, its paths are answered 404 Not Found, as
   * an API server without the CRD answers them (objects applied meanwhile are kept for when it is).
   */
  serviceImportsInstalled = true;

  private readonly server: http.Server;
  private readonly historySize: number;
  private readonly bookmarkIntervalMs: number;
  private readonly store = new Map<Resource, Map<string, Obj>>(RESOURCES.map((r) => [r.resource, new Map()]));
  private history: HistoryEvent[] = [];
  /** Watches may resume from this resourceVersion or later. */
  private oldestResumable = 0;
  private rv = 1;
  private readonly watchers = new Set<Watcher>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly snapshots = new Map<string, { rv: number; items: Obj[] }>();
  private snapshotSeq = 0;
  private stallAll = false;
  private continueExpiries = 0;
  private failures: { remaining: number; status: number; retryAfterSeconds?: number; resource?: Resource }[] =
    [];
  private portNumber = 0;

  private constructor(opts: FakeApiServerOptions) {
    this.token = opts.token;
    this.historySize = opts.historySize ?? 1000;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 0;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = opts.tls
      ? https.createServer(
          {
            key: opts.tls.key,
            cert: opts.tls.cert,
            ca: opts.tls.clientCa,
            requestCert: !!opts.tls.clientCa,
            rejectUnauthorized: false,
          },
          handler,
        )
      : http.createServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(opts);
    await fake.listen(0);
    return fake;
  }

  get url(): string {
    const scheme = this.server instanceof https.Server ? 'https' : 'http';
    return `${scheme}://127.0.0.1:${this.portNumber}`;
  }

  get port(): number {
    return this.portNumber;
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  // ---- the store ----

  /** Creates or replaces an object (its kind picks the collection) and tells the watchers. */
  apply(input: Record<string, unknown>): Obj {
    const info = infoForKind(input.kind);
    const object = structuredClone(input) as Obj;
    object.metadata = { ...(object.metadata ?? {}) };
    if (info.namespaced) object.metadata.namespace ??= 'default';
    const key = keyOf(info, object);
    const previous = this.store.get(info.resource)!.get(key);
    object.metadata.uid = previous?.metadata.uid ?? object.metadata.uid ?? randomUUID();
    object.metadata.creationTimestamp = previous?.metadata.creationTimestamp ?? new Date().toISOString();
    object.metadata.resourceVersion = String(++this.rv);
    this.store.get(info.resource)!.set(key, object);
    this.record({
      rv: this.rv,
      resource: info.resource,
      type: previous ? 'MODIFIED' : 'ADDED',
      object,
      previous,
    });
    return object;
  }

  /** Deletes an object; the DELETED event carries its last state with a new resourceVersion. */
  delete(resource: Resource, namespace: string | undefined, name: string): void {
    const info = RESOURCES.find((r) => r.resource === resource)!;
    const key = info.namespaced ? `${namespace}/${name}` : name;
    const previous = this.store.get(resource)!.get(key);
    if (!previous) throw new Error(`fake API server: no ${resource} ${key} to delete`);
    this.store.get(resource)!.delete(key);
    const object = structuredClone(previous);
    object.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, resource, type: 'DELETED', object, previous });
  }

  count(resource: Resource): number {
    return this.store.get(resource)!.size;
  }

  // ---- fault switches ----

  /** Forget all history: any watch from a resourceVersion before now gets 410. */
  compact(): void {
    this.history = [];
    this.oldestResumable = this.rv;
  }

  /** The next `n` list requests carrying a continue token get 410 Expired. */
  expireNextContinue(n = 1): void {
    this.continueExpiries += n;
  }

  /** The next `n` requests (optionally only for one resource) are answered with `status`. */
  failNext(n: number, status: number, opts: { retryAfterSeconds?: number; resource?: Resource } = {}): void {
    this.failures.push({ remaining: n, status, ...opts });
  }

  /** Forgets failures injected by failNext() that have not happened yet. */
  clearFailures(): void {
    this.failures = [];
  }

  /** Open watches go silent for good (a dead peer); while on, new watches get no answer either. */
  stall(on: boolean): void {
    this.stallAll = on;
    if (on) for (const w of this.watchers) w.stalled = true;
  }

  /** Writes a line that is not JSON to every live watch stream. */
  sendMalformedLine(): void {
    for (const w of this.watchers) if (!w.stalled) w.res.write('{"type":"MODIFIED","object":{"kind":\n');
  }

  /**
   * Starts an event line of `bytes` bytes that never ends on every live watch of `resource`, at the
   * pace the client reads it. Resolves, per watch, with the bytes written before it ended (the
   * client hung up) or all of them were.
   */
  sendEndlessLine(resource: Resource, bytes: number): Promise<number[]> {
    const watchers = [...this.watchers].filter((w) => w.resource === resource && !w.stalled);
    return Promise.all(watchers.map((w) => endlessLine(w.res, bytes)));
  }

  /** Writes `event` as one line to every live watch of `resource`, whatever its shape. */
  sendEvent(resource: Resource, event: unknown): void {
    for (const w of this.watchers) if (w.resource === resource) write(w, event);
  }

  /** Ends every watch stream normally, as when timeoutSeconds runs out. */
  endWatches(): void {
    for (const w of [...this.watchers]) this.endWatch(w);
  }

  /** Destroys every connection at once, as a crashing server or a broken network does. */
  dropConnections(): void {
    for (const w of [...this.watchers]) this.forget(w);
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const socket of this.sockets) socket.destroy();
  }

  /** Stops listening and drops every connection: connects are refused until restart(). */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  /** Listens again on the same port. */
  restart(): Promise<void> {
    return this.listen(this.portNumber);
  }

  async close(): Promise<void> {
    if (this.server.listening) await this.stop();
    else this.dropConnections();
  }

  // ---- observation ----

  openConnections(): number {
    return this.sockets.size;
  }

  openWatches(resource?: Resource): number {
    return [...this.watchers].filter((w) => !resource || w.resource === resource).length;
  }

  /** Requests of one verb for one resource answered so far (with any status). */
  countRequests(resource: Resource, verb: 'list' | 'watch', status?: number): number {
    return this.requests.filter(
      (r) => r.resource === resource && r.verb === verb && (status === undefined || r.status === status),
    ).length;
  }

  // ---- HTTP ----

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.portNumber = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const { info, namespace } = resourceOf(url.pathname);
    const watching = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const record: RequestRecord = {
      resource: info?.resource,
      path: url.pathname,
      ...(namespace !== undefined && { namespace }),
      verb: info ? (watching ? 'watch' : 'list') : 'other',
      query: url.searchParams,
      status: 0,
      at: performance.now(),
    };
    this.requests.push(record);
    const answer = (
      status: number,
      reason: string,
      message: string,
      headers: Record<string, string> = {},
    ) => {
      record.status = status;
      sendStatus(res, status, reason, message, headers);
    };

    if (!this.authenticated(req)) return answer(401, 'Unauthorized', 'Unauthorized');
    const failure = this.failures.find(
      (f) => f.remaining > 0 && (!f.resource || f.resource === info?.resource),
    );
    if (failure) {
      failure.remaining -= 1;
      const headers: Record<string, string> =
        failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
      return answer(
        failure.status,
        failure.status === 429 ? 'TooManyRequests' : 'InternalError',
        'injected failure',
        headers,
      );
    }
    if (req.method !== 'GET') return answer(405, 'MethodNotAllowed', `${req.method} is not supported here`);
    const discovery = info ? undefined : discoveryDocument(url.pathname);
    if (discovery) {
      record.status = 200;
      return sendJson(res, 200, discovery);
    }
    if (!info || (info.resource === 'serviceimports' && !this.serviceImportsInstalled))
      return answer(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    if (this.roleNamespaces && (namespace === undefined || !this.roleNamespaces.includes(namespace))) {
      const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return answer(
        403,
        'Forbidden',
        `${info.resource} is forbidden: cannot list resource "${info.resource}" ${scope}`,
      );
    }

    let selector: Selector;
    try {
      selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    } catch (error) {
      return answer(400, 'BadRequest', (error as Error).message);
    }
    if (namespace !== undefined) {
      const all = selector;
      selector = (labels, object) => object?.metadata.namespace === namespace && all(labels, object);
    }
    if (watching) this.watch(info, url.searchParams, selector, res, record);
    else this.list(info, url.searchParams, selector, res, record);
  }

  private authenticated(req: IncomingMessage): boolean {
    if (this.token === undefined) return true;
    if (req.headers.authorization === `Bearer ${this.token}`) return true;
    const socket = req.socket as TLSSocket;
    return socket.authorized === true && !!socket.getPeerCertificate?.()?.subject;
  }

  private list(
    info: ResourceInfo,
    query: URLSearchParams,
    selector: Selector,
    res: ServerResponse,
    record: RequestRecord,
  ): void {
    const limit = Number(query.get('limit') ?? '0');
    const token = query.get('continue');
    let snapshot: { rv: number; items: Obj[] };
    let offset = 0;
    let id: string;
    if (token) {
      const decoded = decodeContinue(token);
      const found = decoded && this.snapshots.get(decoded.id);
      if (this.continueExpiries > 0 || !decoded || !found) {
        if (this.continueExpiries > 0) this.continueExpiries -= 1;
        record.status = 410;
        return sendStatus(
          res,
          410,
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. ' +
            'You can start a new list without the continue parameter.',
        );
      }
      ({ id, offset } = decoded);
      snapshot = found;
    } else {
      id = String(++this.snapshotSeq);
      const items = [...this.store.get(info.resource)!.values()]
        .filter((o) => selector(labelsOf(o), o))
        .sort((a, b) => compare(keyOf(info, a), keyOf(info, b)));
      snapshot = { rv: this.rv, items };
    }
    const end = limit > 0 ? Math.min(snapshot.items.length, offset + limit) : snapshot.items.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(snapshot.rv) };
    if (end < snapshot.items.length) {
      this.snapshots.set(id, snapshot);
      if (this.snapshots.size > 50) this.snapshots.delete(this.snapshots.keys().next().value!);
      metadata.continue = Buffer.from(JSON.stringify({ id, offset: end })).toString('base64');
      metadata.remainingItemCount = snapshot.items.length - end;
    } else {
      this.snapshots.delete(id);
    }
    // A real API server sends list items without apiVersion and kind.
    const items = snapshot.items.slice(offset, end).map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    record.status = 200;
    sendJson(res, 200, { kind: `${info.kind}List`, apiVersion: info.apiVersion, metadata, items });
  }

  private watch(
    info: ResourceInfo,
    query: URLSearchParams,
    selector: Selector,
    res: ServerResponse,
    record: RequestRecord,
  ): void {
    if (this.stallAll) {
      // Accepted but never answered: the client's inactivity timeout must notice.
      record.status = 0;
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    const from = query.get('resourceVersion');
    // A watch without a resourceVersion starts with the current objects as ADDED events.
    let initial: Obj[] = [];
    let replay: HistoryEvent[] = [];
    if (from === null || from === '' || from === '0') {
      initial = [...this.store.get(info.resource)!.values()].filter((o) => selector(labelsOf(o), o));
    } else {
      const rv = Number(from);
      if (!Number.isInteger(rv)) {
        record.status = 400;
        return sendStatus(res, 400, 'BadRequest', `invalid resource version ${JSON.stringify(from)}`);
      }
      if (rv < this.oldestResumable || this.expireEveryWatch) {
        const message = `too old resource version: ${rv} (${this.oldestResumable})`;
        if (this.goneMode === 'status') {
          record.status = 410;
          return sendStatus(res, 410, 'Expired', message);
        }
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        const status = {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason: 'Expired',
          code: 410,
        };
        res.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
        return;
      }
      replay = this.history.filter((e) => e.rv > rv && e.resource === info.resource);
    }

    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const watcher: Watcher = { resource: info.resource, selector, res, stalled: false, timers: [] };
    this.watchers.add(watcher);
    res.on('close', () => this.forget(watcher));
    for (const object of initial) write(watcher, { type: 'ADDED', object });
    for (const event of replay) this.send(watcher, event);

    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0)
      watcher.timers.push(setTimeout(() => this.endWatch(watcher), timeoutSeconds * 1000));
    if (query.get('allowWatchBookmarks') === 'true' && this.bookmarkIntervalMs > 0) {
      const bookmark = () =>
        write(watcher, {
          type: 'BOOKMARK',
          object: {
            kind: info.kind,
            apiVersion: info.apiVersion,
            metadata: { resourceVersion: String(this.rv) },
          },
        });
      watcher.timers.push(setInterval(bookmark, this.bookmarkIntervalMs));
    }
  }

  private record(event: HistoryEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize) {
      const dropped = this.history.splice(0, this.history.length - this.historySize);
      this.oldestResumable = dropped[dropped.length - 1]!.rv;
    }
    for (const w of this.watchers) if (w.resource === event.resource) this.send(w, event);
  }

  /** Sends an event as a selector-filtered watch sees it: leaving the selection reads as DELETED. */
  private send(watcher: Watcher, event: HistoryEvent): void {
    const now = watcher.selector(labelsOf(event.object), event.object);
    if (event.type === 'DELETED') {
      if (now) write(watcher, { type: 'DELETED', object: event.object });
      return;
    }
    const before = event.previous !== undefined && watcher.selector(labelsOf(event.previous), event.previous);
    if (now) write(watcher, { type: before ? 'MODIFIED' : 'ADDED', object: event.object });
    else if (before) write(watcher, { type: 'DELETED', object: event.object });
  }

  private endWatch(watcher: Watcher): void {
    this.forget(watcher);
    watcher.res.end();
  }

  private forget(watcher: Watcher): void {
    for (const t of watcher.timers) clearTimeout(t);
    watcher.timers = [];
    this.watchers.delete(watcher);
  }
}

async function endlessLine(res: ServerResponse, bytes: number): Promise<number> {
  const head = Buffer.from('{"type":"ADDED","object":{"metadata":{"name":"');
  const filler = Buffer.alloc(64 * 1024, 'a');
  let written = 0;
  while (written < bytes && !res.destroyed) {
    const chunk = written === 0 ? head : filler.subarray(0, Math.min(filler.length, bytes - written));
    written += chunk.length;
    if (res.write(chunk)) continue;
    // Wait until the client has read what is buffered, or has hung up.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return written;
}

function write(watcher: Watcher, event: unknown): void {
  if (!watcher.stalled && !watcher.res.destroyed) watcher.res.write(JSON.stringify(event) + '\n');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendStatus(
  res: ServerResponse,
  code: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    code,
    { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
    headers,
  );
}

/**
 * The collection a path names: cluster-wide (`/api/v1/services`) or one namespace's
 * (`/api/v1/namespaces/shop/services`), as in https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris.
 */
function resourceOf(pathname: string): { info?: ResourceInfo; namespace?: string } {
  const whole = RESOURCES.find((r) => r.path === pathname);
  if (whole) return { info: whole };
  const m = pathname.match(/^(\/api\/v1|\/apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)$/);
  if (!m) return {};
  const [, prefix, namespace, resource] = m as unknown as [string, string, string, string];
  const info = RESOURCES.find((r) => r.namespaced && r.path === `${prefix}/${resource}`);
  return info ? { info, namespace } : {};
}

function infoForKind(kind: unknown): ResourceInfo {
  const info = RESOURCES.find((r) => r.kind === kind);
  if (!info) throw new Error(`fake API server: unsupported kind ${String(kind)}`);
  return info;
}

function keyOf(info: ResourceInfo, object: Obj): string {
  const name = String(object.metadata.name);
  return info.namespaced ? `${String(object.metadata.namespace)}/${name}` : name;
}

function labelsOf(object: Obj): Record<string, unknown> {
  const labels = object.metadata.labels;
  return typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>) : {};
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeContinue(token: string): { id: string; offset: number } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      id?: unknown;
      offset?: unknown;
    };
    return typeof parsed.id === 'string' && typeof parsed.offset === 'number'
      ? { id: parsed.id, offset: parsed.offset }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Equality-based selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-joined (all must hold). */
export function parseSelector(text: string): Selector {
  const terms = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const tests = terms.map((term): Selector => {
    if (/[()]|\s(in|notin)\s/.test(term))
      throw new Error(`set-based selector ${JSON.stringify(term)} is not supported`);
    let m: RegExpMatchArray | null;
    if ((m = term.match(/^([^!=]+)!=(.*)$/))) {
      const [, key, value] = m as [string, string, string];
      return (labels) => labels[key.trim()] !== value.trim();
    }
    if ((m = term.match(/^([^!=]+)==?(.*)$/))) {
      const [, key, value] = m as [string, string, string];
      return (labels) => labels[key.trim()] === value.trim();
    }
    if ((m = term.match(/^!\s*([^!=]+)$/))) {
      const key = m[1]!.trim();
      return (labels) => !(key in labels);
    }
    if (/^[^!=]+$/.test(term)) return (labels) => term in labels;
    throw new Error(`cannot parse label selector term ${JSON.stringify(term)}`);
  });
  return (labels) => tests.every((t) => t(labels));
}
