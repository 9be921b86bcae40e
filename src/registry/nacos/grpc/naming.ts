// The naming requests clusterdns sends over a Nacos gRPC session, with the fields of Nacos's
// api/src/main/java/com/alibaba/nacos/api/naming/remote/request/ServiceListRequest.java and
// SubscribeServiceRequest.java, and their responses' (naming/remote/response/
// ServiceListResponse.java, SubscribeServiceResponse.java, NotifySubscriberRequest.java).

import { bareServiceName } from '../names.js';
import type { NacosGrpcSession } from './session.js';

const NAMING = 'naming';

/** Every service name of a namespace and group, page by page (`{count, serviceNames}`). */
export async function listServices(
  session: NacosGrpcSession,
  namespace: string,
  group: string,
  pageSize: number,
  signal: AbortSignal,
): Promise<string[]> {
  const names: string[] = [];
  for (let pageNo = 1; pageNo <= 10_000; pageNo++) {
    const answer = await session.call(
      'ServiceListRequest',
      { module: NAMING, namespace, groupName: group, serviceName: '', pageNo, pageSize, selector: '' },
      signal,
    );
    const page = answer.serviceNames;
    if (!Array.isArray(page)) throw new Error('ServiceListResponse has no list of serviceNames');
    const count = Number(answer.count);
    for (const name of page) if (typeof name === 'string') names.push(bareServiceName(name));
    if (page.length < pageSize || names.length >= (Number.isFinite(count) ? count : Infinity)) break;
  }
  return names;
}

/** Subscribes (or unsubscribes) a service; the answer holds its current ServiceInfo. */
export async function subscribe(
  session: NacosGrpcSession,
  namespace: string,
  group: string,
  serviceName: string,
  on: boolean,
  signal: AbortSignal,
): Promise<unknown> {
  const answer = await session.call(
    'SubscribeServiceRequest',
    { module: NAMING, namespace, groupName: group, serviceName, clusters: '', subscribe: on },
    signal,
  );
  return answer.serviceInfo;
}

export interface PushedService {
  /** The bare service name. */
  name: string;
  groupName: string;
  lastRefTime: number;
}

/** Which service a ServiceInfo is of: its `name` may be `GROUP@@name`, its group may be apart. */
export function whichService(serviceInfo: unknown): PushedService | undefined {
  if (typeof serviceInfo !== 'object' || serviceInfo === null) return undefined;
  const { name, groupName, lastRefTime } = serviceInfo as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return undefined;
  const at = name.indexOf('@@');
  const group =
    typeof groupName === 'string' && groupName !== '' ? groupName : at === -1 ? '' : name.slice(0, at);
  return {
    name: bareServiceName(name),
    groupName: group,
    lastRefTime: typeof lastRefTime === 'number' ? lastRefTime : 0,
  };
}
