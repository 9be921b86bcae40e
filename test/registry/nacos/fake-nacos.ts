// A Nacos naming server double that speaks the real HTTP open API over loopback: register, beat,
// deregister, service list (paged) and instance list in the v1 (1.x and 2.x shapes), v2 and v3
// forms, and login with accessToken/tokenTtl. Ephemeral instances live by heartbeat on an injected
// clock, as Nacos's beat check has it: unhealthy 15 s after the last beat, removed after 30 s
// (per instance overridable by the `preserved.heart.beat.timeout` / `preserved.ip.delete.timeout`
// metadata). The protection threshold is computed as the server does: when healthy/total ≤ the
// service's threshold (default 0), every instance is listed as healthy and the answer says
// `reachProtectionThreshold: true`.
//
// Simplification: health is evaluated when a request arrives rather than by a 5 s check task, so
// a test sees an instance go unhealthy exactly at its timeout instead of up to 5 s later.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Real time plus an offset the test advances: eviction without waiting. */
export class FakeClock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export interface FakeNacosOptions {
  /** The shape of the v1 instance list: documented 1.x (`valid`) or 2.x (`healthy`, `enabled`, …). */
  shape?: '1.x' | '2.x';
  /** `cacheMillis` in instance lists. Default 3000 (Nacos defaultCacheMillis). */
  cacheMillis?: number;
  /** Require login. */
  auth?: { username: string; password: string; tokenTtlSeconds?: number };
  clock?: FakeClock;
}

export interface FakeInstance {
  instanceId: string;
  ip: string;
  port: number;
  weight: number;
  enabled: boolean;
  ephemeral: boolean;
  clusterName: string;
  metadata: Record<string, string>;
  /** Persistent instances and explicit updates set this; ephemeral ones live by beats. */
  healthy: boolean;
  lastBeat: number;
}

interface FakeService {
  namespaceId: string;
  group: string;
  name: string;
  protectThreshold: number;
  instances: Map<string, FakeInstance>;
  /** Hosts served verbatim after the real ones (a malformed registration). */
  raw: unknown[];
  /** Answer instance lists of this service with this HTTP status. */
  failWith?: number;
  /** Answer instance lists of this service with 200 and this body, verbatim. */
  answer?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
}

const HEARTBEAT_INTERVAL = 5000;
const HEARTBEAT_TIMEOUT = 15_000;
const DELETE_TIMEOUT = 30_000;

export class FakeNacos {
  readonly clock: FakeClock;
  readonly requests: RecordedRequest[] = [];
  /** token → expiry on the clock. */
  private readonly tokens = new Map<string, number>();
  private readonly services = new Map<string, FakeService>();
  private server?: Server;
  private readonly listeners = new Set<(service?: string) => void>();
  port = 0;
  logins = 0;

  constructor(private readonly opts: FakeNacosOptions = {}) {
    this.clock = opts.clock ?? new FakeClock();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on 127.0.0.1 (again on the same port after stop(), when `port` is set). */
  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops answering and drops every open connection, as a crashed server does. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  setProtectThreshold(namespaceId: string, group: string, name: string, threshold: number): void {
    this.service(namespaceId, group, name).protectThreshold = threshold;
    this.changed();
  }

  /**
   * Called after every change of the registry (the gRPC double pushes on it), with the
   * `namespace/group/name` of the one service changed when only one was.
   */
  onChange(listener: (service?: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nacos's beat check task, run now: evicts by the clock and tells the listeners. */
  checkBeats(): void {
    this.evict();
    this.changed();
  }

  /** Removes a service with its instances, as the console's "delete service" does. */
  deleteService(namespaceId: string, group: string, name: string): void {
    this.services.delete(key(namespaceId, group, name));
    this.changed();
  }

  /**
   * The 2.x ServiceInfo of a service, as the gRPC API carries it (unhealthy instances included).
   * Health as of the last request or checkBeats(): Nacos too pushes what its beat check decided.
   */
  serviceInfo(namespaceId: string, group: string, name: string) {
    return this.list(this.services.get(key(namespaceId, group, name)), group, bare(name), false);
  }

  /** One page of a namespace and group's service names. */
  serviceNames(namespaceId: string, group: string, pageNo: number, pageSize: number) {
    const { count, page } = this.page(ns(namespaceId), group, pageNo, pageSize);
    return { count, names: page.map((s) => s.name) };
  }

  /** Whether a request carrying `token` is allowed: undefined, or the auth filter's message. */
  checkToken(token: string | undefined): string | undefined {
    const params = new URLSearchParams(token === undefined ? {} : { accessToken: token });
    return this.authorize(params);
  }

  private changed(service?: string): void {
    for (const listener of this.listeners) listener(service);
  }

  /** Lists `host` as-is among the service's instances. */
  injectRawHost(namespaceId: string, group: string, name: string, host: unknown): void {
    this.service(namespaceId, group, name).raw.push(host);
    this.changed();
  }

  failInstanceList(namespaceId: string, group: string, name: string, status: number | undefined): void {
    this.service(namespaceId, group, name).failWith = status;
  }

  /** Answers the service's instance lists with 200 and `body` as it is (undefined: the real list again). */
  answerInstanceList(namespaceId: string, group: string, name: string, body: string | undefined): void {
    this.service(namespaceId, group, name).answer = body;
  }

  /** Creates an empty service, as the console's "create service" does. */
  createService(namespaceId: string, group: string, name: string): void {
    this.service(namespaceId, group, name);
    this.changed();
  }

  instances(namespaceId: string, group: string, name: string): FakeInstance[] {
    this.evict();
    return [...(this.services.get(key(namespaceId, group, name))?.instances.values() ?? [])];
  }

  countRequests(path: string, status?: number): number {
    return this.requests.filter((r) => r.path === path && (status === undefined || r.status === status))
      .length;
  }

  private service(namespaceId: string, group: string, name: string): FakeService {
    const k = key(namespaceId, group, name);
    let service = this.services.get(k);
    if (!service) {
      service = {
        namespaceId: ns(namespaceId),
        group,
        name,
        protectThreshold: 0,
        instances: new Map(),
        raw: [],
      };
      this.services.set(k, service);
    }
    return service;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const params = new URLSearchParams(url.searchParams);
    // Nacos reads parameters from the query string and from a form body alike.
    let body = '';
    for await (const chunk of req) body += String(chunk);
    if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    }
    const reply = (status: number, payload: unknown) => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, query: params, status });
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      res.writeHead(status, {
        'content-type':
          typeof payload === 'string' ? 'text/plain;charset=UTF-8' : 'application/json;charset=UTF-8',
      });
      res.end(text);
    };
    try {
      const evicted = this.evict();
      this.route(req.method ?? 'GET', url.pathname, params, reply);
      if (evicted) this.changed();
      else if (req.method !== 'GET') {
        this.changed(
          key(
            params.get('namespaceId') ?? '',
            params.get('groupName') || 'DEFAULT_GROUP',
            bare(params.get('serviceName') ?? ''),
          ),
        );
      }
    } catch (error) {
      reply(400, `caused: ${(error as Error).message};`);
    }
  }

  private route(
    method: string,
    path: string,
    p: URLSearchParams,
    reply: (status: number, payload: unknown) => void,
  ): void {
    if (method === 'POST' && (path === '/nacos/v1/auth/login' || path === '/nacos/v3/auth/user/login')) {
      return this.login(p, reply);
    }
    const denied = this.authorize(p);
    if (denied) return reply(403, denied);
    const namespaceId = ns(p.get('namespaceId'));
    const group = p.get('groupName') || 'DEFAULT_GROUP';
    const serviceName = bare(p.get('serviceName') ?? '');
    const pageNo = Number(p.get('pageNo') ?? 1);
    const pageSize = Number(p.get('pageSize') ?? 10);
    switch (`${method} ${path}`) {
      case 'POST /nacos/v1/ns/instance':
        this.register(namespaceId, group, serviceName, p);
        return reply(200, 'ok');
      case 'DELETE /nacos/v1/ns/instance': {
        const service = this.services.get(key(namespaceId, group, serviceName));
        service?.instances.delete(instanceKey(p.get('ip')!, Number(p.get('port')), p.get('clusterName')));
        return reply(200, 'ok');
      }
      case 'PUT /nacos/v1/ns/instance/beat':
        return reply(200, this.beat(namespaceId, group, serviceName, p));
      case 'GET /nacos/v1/ns/service/list': {
        const { count, page } = this.page(namespaceId, group, pageNo, pageSize);
        return reply(200, { count, doms: page.map((s) => s.name) });
      }
      case 'GET /nacos/v2/ns/service/list': {
        const { count, page } = this.page(namespaceId, group, pageNo, pageSize);
        return reply(200, ok({ count, services: page.map((s) => s.name) }));
      }
      case 'GET /nacos/v3/admin/ns/service/list': {
        const wanted = p.get('groupNameParam') || undefined;
        const { count, page } = this.page(namespaceId, wanted, pageNo, pageSize);
        return reply(
          200,
          ok({
            totalCount: count,
            pageNumber: pageNo,
            pagesAvailable: Math.ceil(count / pageSize),
            pageItems: page.map((s) => ({
              namespaceId: s.namespaceId,
              groupName: s.group,
              name: s.name,
              protectThreshold: s.protectThreshold,
              metadata: {},
              selector: { type: 'none', contextType: 'NONE' },
              ephemeral: false,
              clusterMap: {},
            })),
          }),
        );
      }
      case 'GET /nacos/v1/ns/instance/list':
      case 'GET /nacos/v2/ns/instance/list':
      case 'GET /nacos/v3/client/ns/instance/list': {
        const service = this.services.get(key(namespaceId, group, serviceName));
        if (service?.failWith) return reply(service.failWith, 'server is busy');
        if (service?.answer !== undefined) return reply(200, service.answer);
        const healthyOnly = p.get('healthyOnly') === 'true';
        const list = this.list(service, group, serviceName, healthyOnly);
        if (path.startsWith('/nacos/v1/'))
          return reply(200, this.opts.shape === '1.x' ? shape1x(list) : list);
        if (path.startsWith('/nacos/v2/')) return reply(200, ok(list));
        return reply(200, ok(list.hosts));
      }
    }
    reply(404, `no such API: ${method} ${path}`);
  }

  private login(p: URLSearchParams, reply: (status: number, payload: unknown) => void): void {
    const auth = this.opts.auth;
    if (!auth || p.get('username') !== auth.username || p.get('password') !== auth.password) {
      return reply(403, 'unknown user!');
    }
    const ttl = auth.tokenTtlSeconds ?? 18_000;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.clock.now() + ttl * 1000);
    this.logins += 1;
    reply(200, { accessToken: token, tokenTtl: ttl, globalAdmin: true, username: auth.username });
  }

  /** undefined when allowed; else the message Nacos's auth filter answers 403 with. */
  private authorize(p: URLSearchParams): string | undefined {
    if (!this.opts.auth) return undefined;
    const token = p.get('accessToken');
    if (!token) return 'user not found!';
    const expires = this.tokens.get(token);
    if (expires === undefined) return 'token invalid!';
    if (this.clock.now() >= expires) return 'token expired!';
    return undefined;
  }

  private register(namespaceId: string, group: string, name: string, p: URLSearchParams): void {
    const ip = p.get('ip');
    const port = Number(p.get('port'));
    if (!ip || !name) throw new Error('ip and serviceName are required');
    const clusterName = p.get('clusterName') || 'DEFAULT';
    const service = this.service(namespaceId, group, name);
    const metadata = p.get('metadata') ? (JSON.parse(p.get('metadata')!) as Record<string, string>) : {};
    service.instances.set(instanceKey(ip, port, clusterName), {
      instanceId: `${ip}#${port}#${clusterName}#${group}@@${name}`,
      ip,
      port,
      weight: p.get('weight') === null ? 1 : Number(p.get('weight')),
      enabled: p.get('enabled') !== 'false',
      ephemeral: p.get('ephemeral') !== 'false',
      clusterName,
      metadata,
      healthy: p.get('healthy') !== 'false',
      lastBeat: this.clock.now(),
    });
  }

  /** A beat renews the instance; a full beat (`beat` JSON) re-registers an evicted one, as 1.x/2.x do. */
  private beat(namespaceId: string, group: string, name: string, p: URLSearchParams) {
    const beat = p.get('beat') ? (JSON.parse(p.get('beat')!) as Record<string, unknown>) : undefined;
    const ip = String(beat?.ip ?? p.get('ip'));
    const port = Number(beat?.port ?? p.get('port'));
    const clusterName = String(beat?.cluster ?? p.get('clusterName') ?? 'DEFAULT');
    const service = this.services.get(key(namespaceId, group, name));
    const instance = service?.instances.get(instanceKey(ip, port, clusterName));
    if (instance) {
      instance.lastBeat = this.clock.now();
      instance.healthy = true;
      return { clientBeatInterval: HEARTBEAT_INTERVAL, code: 10200, lightBeatEnabled: true };
    }
    if (!beat) return { clientBeatInterval: HEARTBEAT_INTERVAL, code: 20404, lightBeatEnabled: true };
    const again = new URLSearchParams({
      ip,
      port: String(port),
      clusterName,
      weight: String(beat.weight ?? 1),
      metadata: JSON.stringify(beat.metadata ?? {}),
    });
    this.register(namespaceId, group, name, again);
    return { clientBeatInterval: HEARTBEAT_INTERVAL, code: 10200, lightBeatEnabled: true };
  }

  /** Nacos's beat check: unhealthy after the heartbeat timeout, gone after the delete timeout. */
  private evict(): boolean {
    let changed = false;
    const now = this.clock.now();
    for (const service of this.services.values()) {
      for (const [k, instance] of service.instances) {
        if (!instance.ephemeral) continue;
        const silent = now - instance.lastBeat;
        if (silent > millis(instance.metadata['preserved.ip.delete.timeout'], DELETE_TIMEOUT)) {
          service.instances.delete(k);
          changed = true;
        } else if (
          instance.healthy &&
          silent > millis(instance.metadata['preserved.heart.beat.timeout'], HEARTBEAT_TIMEOUT)
        ) {
          instance.healthy = false;
          changed = true;
        }
      }
    }
    return changed;
  }

  private page(namespaceId: string, group: string | undefined, pageNo: number, pageSize: number) {
    const all = [...this.services.values()]
      .filter((s) => s.namespaceId === namespaceId && (group === undefined || s.group === group))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { count: all.length, page: all.slice((pageNo - 1) * pageSize, pageNo * pageSize) };
  }

  /** The 2.x ServiceInfo for a list request, protection threshold applied as the server does. */
  private list(service: FakeService | undefined, group: string, name: string, healthyOnly: boolean) {
    const grouped = `${group}@@${name}`;
    const enabled = [...(service?.instances.values() ?? [])].filter((i) => i.enabled);
    const healthy = enabled.filter((i) => i.healthy);
    const threshold = Math.max(0, service?.protectThreshold ?? 0);
    const reach = healthy.length / enabled.length <= threshold;
    const chosen = reach
      ? enabled
      : healthyOnly
        ? healthy
        : [...healthy, ...enabled.filter((i) => !i.healthy)];
    const hosts: unknown[] = chosen.map((i) => ({
      instanceId: i.instanceId,
      ip: i.ip,
      port: i.port,
      weight: i.weight,
      healthy: reach ? true : i.healthy,
      enabled: i.enabled,
      ephemeral: i.ephemeral,
      clusterName: i.clusterName,
      serviceName: grouped,
      metadata: i.metadata,
      instanceHeartBeatInterval: millis(i.metadata['preserved.heart.beat.interval'], HEARTBEAT_INTERVAL),
      instanceHeartBeatTimeOut: millis(i.metadata['preserved.heart.beat.timeout'], HEARTBEAT_TIMEOUT),
      ipDeleteTimeout: millis(i.metadata['preserved.ip.delete.timeout'], DELETE_TIMEOUT),
      instanceIdGenerator: 'simple',
    }));
    hosts.push(...(service?.raw ?? []));
    return {
      name: grouped,
      groupName: group,
      clusters: '',
      cacheMillis: this.opts.cacheMillis ?? 3000,
      hosts,
      lastRefTime: this.clock.now(),
      checksum: '',
      allIPs: false,
      reachProtectionThreshold: reach,
      valid: true,
    };
  }
}

/** The documented 1.x v1 answer: `dom`, hosts with `valid` and `marked`, no protection flag. */
function shape1x(list: ReturnType<FakeNacos['list']>) {
  return {
    dom: list.name,
    cacheMillis: list.cacheMillis,
    useSpecifiedURL: false,
    hosts: list.hosts.map((host) => {
      const h = host as Record<string, unknown>;
      if (!('healthy' in h)) return host;
      return {
        valid: h.healthy,
        marked: false,
        instanceId: h.instanceId,
        port: h.port,
        ip: h.ip,
        weight: h.weight,
        metadata: h.metadata,
      };
    }),
    checksum: randomBytes(16).toString('hex'),
    lastRefTime: list.lastRefTime,
    env: '',
    clusters: '',
  };
}

function ok(data: unknown) {
  return { code: 0, message: 'success', data };
}

/** "" and absent mean the public namespace, whatever the server version calls it. */
function ns(id: string | null | undefined): string {
  return !id ? 'public' : id;
}

function bare(name: string): string {
  const at = name.indexOf('@@');
  return at === -1 ? name : name.slice(at + 2);
}

function key(namespaceId: string, group: string, name: string): string {
  return `${ns(namespaceId)}/${group}/${name}`;
}

function instanceKey(ip: string, port: number, clusterName: string | null): string {
  return `${ip}#${port}#${clusterName || 'DEFAULT'}`;
}

function millis(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : fallback;
}
