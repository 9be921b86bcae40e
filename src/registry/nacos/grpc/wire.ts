// Nacos's gRPC wire form: one `Payload` per message, its metadata naming the Java class of the
// request or response (`SubscribeServiceRequest`), its `headers` carrying the accessToken, and its
// body a google.protobuf.Any whose value is the object's JSON (the type URL is left empty). As in
// Nacos's common/src/main/java/com/alibaba/nacos/common/remote/client/grpc/GrpcUtils.java
// (convert/parse) and nacos-sdk-go's common/remote/rpc/grpc_util.go. The .proto is loaded at run
// time from beside this module (`npm run build` copies it into dist/).

import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface PayloadMessage {
  metadata?: { type?: string; clientIp?: string; headers?: Record<string, string> };
  body?: { type_url?: string; value?: Buffer };
}

/** A decoded Payload: its type and its JSON body. */
export interface NacosMessage {
  type: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export const PROTO_PATH = fileURLToPath(new URL('./nacos_grpc_service.proto', import.meta.url));

type ServiceClient = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => grpc.Client;

export interface NacosGrpcServices {
  Request: ServiceClient & { service: grpc.ServiceDefinition };
  BiRequestStream: ServiceClient & { service: grpc.ServiceDefinition };
}

let loaded: NacosGrpcServices | undefined;

/** The two services of the .proto, loaded once. */
export function nacosServices(): NacosGrpcServices {
  loaded ??= grpc.loadPackageDefinition(
    loadSync(PROTO_PATH, { keepCase: true, longs: String, defaults: true }),
  ) as unknown as NacosGrpcServices;
  return loaded;
}

export function encodePayload(
  type: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): PayloadMessage {
  return {
    metadata: { type, clientIp: '', headers },
    body: { type_url: '', value: Buffer.from(JSON.stringify(body)) },
  };
}

/** Throws when the body is not a JSON object: the caller names the type and drops the message. */
export function decodePayload(payload: PayloadMessage): NacosMessage {
  const type = payload.metadata?.type ?? '';
  const text = payload.body?.value?.toString('utf8') ?? '';
  const body = (text === '' ? {} : JSON.parse(text)) as unknown;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Error(`${type || 'payload'}: body is not a JSON object`);
  }
  return { type, body: body as Record<string, unknown>, headers: payload.metadata?.headers ?? {} };
}
