// Service and EndpointSlice ports share one shape; only a slice may leave the number out.

import type { PortSpec } from '../../table/types.js';
import { child, port, portName, protocol, record } from '../fields.js';

export function servicePort(value: unknown, path: string): PortSpec {
  const fields = record(value, path);
  return {
    name: portName(fields.name, child(path, 'name')),
    protocol: protocol(fields.protocol, child(path, 'protocol')),
    port: port(fields.port, child(path, 'port')),
  };
}

/** A slice port without a number means "every port" and gives no SRV record, so it is dropped. */
export function slicePort(value: unknown, path: string): PortSpec | undefined {
  const fields = record(value, path);
  if (fields.port === undefined || fields.port === null) return undefined;
  return servicePort(fields, path);
}
