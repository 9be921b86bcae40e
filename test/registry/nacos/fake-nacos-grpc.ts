// A Nacos server's gRPC side on loopback, a real @grpc/grpc-js server with Nacos's own .proto,
// over the registry of a FakeNacos (whose HTTP port keeps the login, as Nacos's does). It speaks
// what a naming client meets: ServerCheckRequest, ConnectionSetupRequest on the stream (then
// SetupAckRequest when it negotiates abilities, as 2.3+ do), HealthCheckRequest,
// SubscribeServiceRequest, ServiceListRequest, NotifySubscriberRequest pushed on every change of a
// subscribed service and its NotifySubscriberResponse ack, ConnectResetRequest, and the auth
// filter's refusal (errorCode 403). A unary request from a peer with no set-up stream is refused
// as Nacos refuses it (errorCode 301, "Connection is unregistered."). Every message received is
// counted, so a test can tell that nothing polls.

import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import {
  decodePayload,
  encodePayload,
  nacosServices,
  type PayloadMessage,
} from '../../../src/registry/nacos/grpc/wire.js';
import type { FakeNacos } from './fake-nacos.js';

export interface FakeNacosGrpcOptions {
  /** Send SetupAckRequest after set-up (2.3+). Default true. */
  negotiate?: boolean;
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string;
}

export interface ReceivedMessage {
  type: string;
  peer: string;
  body: Record<string, unknown>;
}

interface Client {
  id: string;
  stream: grpc.ServerDuplexStream<PayloadMessage, PayloadMessage>;
  namespace: string;
  /** `namespace/group/name` → the JSON of the hosts last sent. */
  subscribed: Map<string, string>;
}

export class FakeNacosGrpc {
  readonly received: ReceivedMessage[] = [];
  /** Acks of pushes: NotifySubscriberResponse bodies. */
  readonly acks: Record<string, unknown>[] = [];
  /** Pushes sent, with the time they were written. */
  readonly pushes: { service: string; at: number; requestId: string }[] = [];
  private readonly clients = new Map<string, Client>();
  private server?: grpc.Server;
  private unlisten?: () => void;
  private pushCounter = 0;
  port = 0;

  constructor(
    readonly store: FakeNacos,
    private readonly opts: FakeNacosGrpcOptions = {},
  ) {}

  get host(): string {
    return this.opts.host ?? '127.0.0.1';
  }

  /** Listens (again on the same port after stop(), when `port` is set). */
  async start(port = this.port): Promise<void> {
    const server = new grpc.Server();
    const services = nacosServices();
    server.addService(services.Request.service, {
      request: (
        call: grpc.ServerUnaryCall<PayloadMessage, PayloadMessage>,
        done: grpc.sendUnaryData<PayloadMessage>,
      ) => done(null, this.unary(call.getPeer(), call.request)),
    });
    server.addService(services.BiRequestStream.service, {
      requestBiStream: (stream: grpc.ServerDuplexStream<PayloadMessage, PayloadMessage>) => this.bind(stream),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${this.host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.server = server;
    this.unlisten = this.store.onChange((service) => this.pushChanges(service));
  }

  /** Stops at once, every connection dropped, as a crashed server does. */
  stop(): void {
    this.unlisten?.();
    this.server?.forceShutdown();
    this.server = undefined;
    this.clients.clear();
  }

  /** Ends every stream; the server itself stays up. */
  dropStreams(): void {
    for (const client of this.clients.values()) client.stream.end();
    this.clients.clear();
  }

  /** Asks every client to connect elsewhere (ConnectResetRequest), as a server leaving a cluster does. */
  reset(): void {
    for (const client of this.clients.values()) {
      client.stream.write(
        encodePayload('ConnectResetRequest', { requestId: this.nextId(), module: 'internal' }),
      );
    }
  }

  /** Pushes `serviceInfo` as it is to every client. */
  pushRaw(serviceInfo: unknown): void {
    for (const client of this.clients.values()) {
      const requestId = this.nextId();
      this.pushes.push({ service: 'raw', at: Date.now(), requestId });
      client.stream.write(
        encodePayload('NotifySubscriberRequest', { requestId, module: 'naming', serviceInfo }),
      );
    }
  }

  count(type: string): number {
    return this.received.filter((m) => m.type === type).length;
  }

  get connections(): number {
    return this.clients.size;
  }

  private nextId(): string {
    return String(++this.pushCounter);
  }

  private bind(stream: grpc.ServerDuplexStream<PayloadMessage, PayloadMessage>): void {
    const peer = stream.getPeer();
    stream.on('data', (payload: PayloadMessage) => {
      const message = decodePayload(payload);
      this.received.push({ type: message.type, peer, body: message.body });
      if (message.type === 'ConnectionSetupRequest') {
        this.clients.set(peer, {
          id: randomUUID(),
          stream,
          namespace: String(message.body.tenant || 'public'),
          subscribed: new Map(),
        });
        if (this.opts.negotiate ?? true) {
          stream.write(encodePayload('SetupAckRequest', { requestId: this.nextId(), abilityTable: {} }));
        }
      } else if (message.type === 'NotifySubscriberResponse') {
        this.acks.push(message.body);
      }
    });
    const gone = () => {
      if (this.clients.get(peer)?.stream === stream) this.clients.delete(peer);
    };
    stream.on('end', () => {
      gone();
      stream.end();
    });
    stream.on('error', gone);
    stream.on('cancelled', gone);
  }

  private unary(peer: string, payload: PayloadMessage): PayloadMessage {
    const { type, body, headers } = decodePayload(payload);
    this.received.push({ type, peer, body });
    const requestId = body.requestId;
    const answer = (responseType: string, fields: Record<string, unknown> = {}) =>
      encodePayload(responseType, { resultCode: 200, errorCode: 0, requestId, ...fields });
    const refuse = (responseType: string, errorCode: number, message: string) =>
      answer(responseType, { resultCode: 500, errorCode, message, success: false });
    if (type === 'ServerCheckRequest') {
      return answer('ServerCheckResponse', {
        connectionId: `${Date.now()}_${peer}`,
        supportAbilityNegotiation: this.opts.negotiate ?? true,
      });
    }
    const client = this.clients.get(peer);
    if (!client) return refuse('ErrorResponse', 301, 'Connection is unregistered.');
    if (type === 'HealthCheckRequest') return answer('HealthCheckResponse');
    const responseType = type.replace(/Request$/, 'Response');
    const denied = this.store.checkToken(headers.accessToken);
    if (denied) return refuse(responseType, 403, denied);
    const namespace = String(body.namespace || 'public');
    const group = String(body.groupName || 'DEFAULT_GROUP');
    switch (type) {
      case 'ServiceListRequest': {
        const { count, names } = this.store.serviceNames(
          namespace,
          group,
          Number(body.pageNo ?? 1),
          Number(body.pageSize ?? 10),
        );
        return answer('ServiceListResponse', { count, serviceNames: names });
      }
      case 'SubscribeServiceRequest': {
        const name = String(body.serviceName);
        const serviceInfo = this.store.serviceInfo(namespace, group, name);
        const key = `${namespace}/${group}/${name}`;
        if (body.subscribe === false) client.subscribed.delete(key);
        else client.subscribed.set(key, JSON.stringify(serviceInfo.hosts));
        return answer('SubscribeServiceResponse', { serviceInfo });
      }
    }
    return refuse('ErrorResponse', 500, `unknown request ${type}`);
  }

  /** Pushes each subscribed service (`only`, when given) whose instances changed, to its subscribers. */
  private pushChanges(only?: string): void {
    for (const client of this.clients.values()) {
      for (const [key, sent] of client.subscribed) {
        if (only !== undefined && key !== only) continue;
        const [namespace, group, name] = key.split('/') as [string, string, string];
        const serviceInfo = this.store.serviceInfo(namespace, group, name);
        const hosts = JSON.stringify(serviceInfo.hosts);
        if (hosts === sent) continue;
        client.subscribed.set(key, hosts);
        const requestId = this.nextId();
        this.pushes.push({ service: key, at: Date.now(), requestId });
        client.stream.write(
          encodePayload('NotifySubscriberRequest', { requestId, module: 'naming', serviceInfo }),
        );
      }
    }
  }
}
