// The Nacos backend's options and defaults, shared by the backend, its HTTP pollers and its gRPC
// subscriptions.

import type { Logger } from 'pino';
import type { NacosApi, NacosCredentials } from './client.js';

/** A DNS namespace served from a Nacos namespace ID ("" or "public" for the public namespace). */
export interface NamespaceMapping {
  dns: string;
  nacos: string;
}

export interface NacosBackendOptions {
  url: string;
  /** Which API to speak: an HTTP generation, or gRPC push (Nacos 2.x, 3.x). Default v1. */
  api?: NacosApi | 'grpc';
  /** grpc: every server of the cluster, tried in turn when a connection is lost. Default [url]. */
  servers?: { url: string; grpcPort?: number }[];
  /** grpc: the gRPC port of every server. Default the HTTP port + 1000, as the SDKs assume. */
  grpcPort?: number;
  /** grpc: health checks of the connection this often. Default 5 s. */
  healthCheckMs?: number;
  namespaces: NamespaceMapping[];
  /** Default DEFAULT_GROUP. */
  group?: string;
  credentials?: NacosCredentials;
  logger: Logger;
  /** Bounds on the poll interval the server advises. Default 1 s .. 30 s. */
  minPollMs?: number;
  maxPollMs?: number;
  /** Poll interval when the server advises none (3.x). Default 3 s, Nacos's defaultCacheMillis. */
  defaultPollMs?: number;
  /** Service lists are read again this often. Default 10 s. */
  relistMs?: number;
  /** Services per list page. Default 100. */
  pageSize?: number;
  requestTimeoutMs?: number;
  /** Largest answer read, in bytes. Default 16 MiB (client.ts). */
  maxBodyBytes?: number;
  /** Changes arriving within this window are delivered together. Default 5 ms. */
  coalesceMs?: number;
  /** An answer over its size cap was dropped with its connection. */
  onOversizedRead?: () => void;
}

export const DEFAULT_GROUP = 'DEFAULT_GROUP';
export const DEFAULT_MIN_POLL_MS = 1000;
export const DEFAULT_MAX_POLL_MS = 30_000;
export const DEFAULT_POLL_MS = 3000;
export const DEFAULT_RELIST_MS = 10_000;
export const DEFAULT_PAGE_SIZE = 100;

/** The SDKs' gRPC port: the HTTP port + 1000 (Nacos's RpcClient SDK_GRPC_PORT_DEFAULT_OFFSET). */
export const GRPC_PORT_OFFSET = 1000;

/** The bounds of every poll interval and retry backoff: `--nacos-min-poll` .. 30 s. */
export function pollBounds(opts: NacosBackendOptions): { initialMs: number; maxMs: number } {
  const initialMs = opts.minPollMs ?? DEFAULT_MIN_POLL_MS;
  return { initialMs, maxMs: Math.max(initialMs, opts.maxPollMs ?? DEFAULT_MAX_POLL_MS) };
}
