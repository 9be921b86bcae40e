// One connection to one Nacos server's gRPC port, set up as the Java and Go SDKs do it (Nacos's
// common/src/main/java/com/alibaba/nacos/common/remote/client/RpcClient.java and
// .../remote/client/grpc/GrpcClient.java, nacos-sdk-go's common/remote/rpc/grpc_client.go):
//   1. `ServerCheckRequest` on the unary `Request` service: the server is up, and says whether it
//      negotiates abilities (2.3+);
//   2. the `BiRequestStream` stream opened, `ConnectionSetupRequest` sent on it;
//   3. a negotiating server then sends `SetupAckRequest` on the stream, answered with
//      `SetupAckResponse`; an older one is given a moment to register the connection, as the SDK
//      waits, since a request before that is refused;
//   4. a `HealthCheckRequest` every few seconds while the connection lives.
// The server pushes on the stream (`NotifySubscriberRequest`, `ConnectResetRequest`,
// `ClientDetectionRequest`), each answered on the stream with its response and the request's
// `requestId` (api/.../remote/response/*.java). Every unary request has a deadline and every
// message read is capped in bytes (`grpc.max_receive_message_length`).

import * as grpc from '@grpc/grpc-js';
import { OversizedRead } from '../../bounded-read.js';
import {
  decodePayload,
  encodePayload,
  type NacosMessage,
  nacosServices,
  type PayloadMessage,
} from './wire.js';

export interface ServerAddress {
  host: string;
  port: number;
  tls: boolean;
}

export interface ConnectionOptions extends ServerAddress {
  /** The Nacos namespace the connection serves, its set-up's `tenant`. */
  namespace: string;
  requestTimeoutMs: number;
  maxMessageBytes: number;
  /** Health checks this often. Default 5 s, the SDKs' keepAliveTime. */
  healthCheckMs?: number;
  /** A server push of a service's instances; throws to refuse it (the ack says so). */
  onPush: (serviceInfo: unknown) => void;
  /** The connection is over: the stream ended or broke, a health check failed, or the server reset it. */
  onLost: (reason: string) => void;
}

/** A Nacos answer that is not success, with Nacos's errorCode (403: no right, e.g. a bad token). */
export class NacosGrpcError extends Error {
  constructor(
    message: string,
    readonly errorCode?: number,
  ) {
    super(message);
  }
}

const CLIENT_VERSION = 'clusterdns';
/** Java's RpcClient waits this long for a pre-negotiation server to register the new stream. */
const REGISTER_WAIT_MS = 100;
/** GrpcClient waits this long for SetupAckRequest before going on without it. */
const SETUP_ACK_WAIT_MS = 3000;

export class NacosGrpcConnection {
  connectionId = '';
  private readonly request: grpc.Client;
  private stream?: grpc.ClientDuplexStream<PayloadMessage, PayloadMessage>;
  private healthTimer?: NodeJS.Timeout;
  private setupAck?: () => void;
  private lost = false;
  private requestCounter = 0;

  constructor(private readonly opts: ConnectionOptions) {
    const services = nacosServices();
    const credentials = opts.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.request = new services.Request(this.where, credentials, {
      'grpc.max_receive_message_length': opts.maxMessageBytes,
      // A channel of its own: a reconnect to the same server must not reuse a dead subchannel.
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** host:port, an IPv6 address in brackets (RFC 3986 section 3.2.2), as gRPC targets take it. */
  get where(): string {
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `${host}:${this.opts.port}`;
  }

  /** Runs the handshake; rejects (and closes) if any step fails. */
  async open(): Promise<void> {
    try {
      const check = await this.call('ServerCheckRequest', {});
      this.connectionId = String(check.connectionId ?? '');
      const negotiates = check.supportAbilityNegotiation === true;
      const services = nacosServices();
      const bi = new services.BiRequestStream(this.where, grpc.credentials.createInsecure(), {
        channelOverride: this.request.getChannel(),
      });
      const open = bi as unknown as {
        requestBiStream: () => grpc.ClientDuplexStream<PayloadMessage, PayloadMessage>;
      };
      const stream = open.requestBiStream();
      this.stream = stream;
      const acked = new Promise<void>((resolve) => (this.setupAck = resolve));
      stream.on('data', (payload: PayloadMessage) => this.onServerRequest(payload));
      stream.on('error', (error: grpc.ServiceError) => this.fail(`stream broke: ${describe(error)}`, error));
      stream.on('end', () => this.fail('the server ended the stream'));
      stream.write(
        encodePayload('ConnectionSetupRequest', {
          clientVersion: CLIENT_VERSION,
          tenant: this.opts.namespace,
          labels: { source: 'sdk', module: 'naming' },
          abilityTable: {},
          headers: {},
        }),
      );
      if (negotiates) await Promise.race([acked, sleep(SETUP_ACK_WAIT_MS)]);
      else await sleep(REGISTER_WAIT_MS);
      if (this.lost) throw new Error('the connection broke during set-up');
      this.scheduleHealthCheck();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** One unary request; resolves with the response body, rejects with what went wrong. */
  async call(
    type: string,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<Record<string, unknown>> {
    const requestId = String(++this.requestCounter);
    const payload = encodePayload(type, { ...body, requestId, headers: {} }, headers);
    const reply = await new Promise<PayloadMessage>((resolve, reject) => {
      const call = this.request as unknown as {
        request: (
          p: PayloadMessage,
          options: grpc.CallOptions,
          done: (error: grpc.ServiceError | null, reply?: PayloadMessage) => void,
        ) => void;
      };
      call.request(payload, { deadline: Date.now() + this.opts.requestTimeoutMs }, (error, answer) => {
        if (!error) return resolve(answer ?? {});
        if (error.code === grpc.status.RESOURCE_EXHAUSTED) {
          return reject(
            new OversizedRead(`${type} answer`, `grpc://${this.where}`, this.opts.maxMessageBytes),
          );
        }
        reject(new NacosGrpcError(`${type}: ${describe(error)}`));
      });
    });
    const message = decodePayload(reply);
    return checked(type, message);
  }

  close(): void {
    this.lost = true;
    clearTimeout(this.healthTimer);
    this.stream?.cancel();
    this.request.close();
  }

  private onServerRequest(payload: PayloadMessage): void {
    let message: NacosMessage;
    try {
      message = decodePayload(payload);
    } catch (error) {
      return this.fail(`the server sent a message that is not JSON: ${(error as Error).message}`);
    }
    const requestId = message.body.requestId;
    const respond = (type: string, extra: Record<string, unknown> = {}, then?: () => void) =>
      this.stream?.write(encodePayload(type, { resultCode: 200, errorCode: 0, requestId, ...extra }), then);
    switch (message.type) {
      case 'NotifySubscriberRequest':
        try {
          this.opts.onPush(message.body.serviceInfo);
          return void respond('NotifySubscriberResponse');
        } catch (error) {
          return void respond('NotifySubscriberResponse', {
            resultCode: 500,
            errorCode: 500,
            message: (error as Error).message,
          });
        }
      case 'SetupAckRequest':
        respond('SetupAckResponse');
        return this.setupAck?.();
      case 'ClientDetectionRequest':
        return void respond('ClientDetectionResponse');
      case 'ConnectResetRequest':
        // Answered before the stream is dropped, so the server sees the reset taken.
        return void respond('ConnectResetResponse', {}, () =>
          this.fail('the server asked the client to reconnect (ConnectResetRequest)'),
        );
      default:
        // RpcClient answers a request it has no handler for with an error, so the server stops waiting.
        return void respond('ErrorResponse', {
          resultCode: 500,
          errorCode: 500,
          message: `unknown request ${message.type}`,
        });
    }
  }

  private scheduleHealthCheck(): void {
    this.healthTimer = setTimeout(() => {
      this.call('HealthCheckRequest', {}).then(
        () => !this.lost && this.scheduleHealthCheck(),
        (error: Error) => this.fail(`health check failed: ${error.message}`),
      );
    }, this.opts.healthCheckMs ?? 5000);
    this.healthTimer.unref();
  }

  private fail(reason: string, error?: grpc.ServiceError): void {
    if (this.lost) return;
    if (error?.code === grpc.status.CANCELLED) return;
    this.close();
    this.opts.onLost(reason);
  }
}

/** A response that is not success: Nacos's `resultCode` is 200 on success (ResponseCode.java). */
function checked(type: string, message: NacosMessage): Record<string, unknown> {
  const { body } = message;
  if (message.type === 'ErrorResponse' || (body.resultCode !== undefined && body.resultCode !== 200)) {
    const code = typeof body.errorCode === 'number' ? body.errorCode : undefined;
    throw new NacosGrpcError(
      `${type}: Nacos error ${String(code ?? body.resultCode)}: ${String(body.message)}`,
      code,
    );
  }
  return body;
}

function describe(error: grpc.ServiceError): string {
  return error.details || error.message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
