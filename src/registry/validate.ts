// The naming and addressing rules a service table must satisfy to be served over DNS. Shared by
// every input format so a name accepted in one format is accepted in all of them.

import { isIP } from 'node:net';
import type { Protocol } from '../table/types.js';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const LABEL_RULE =
  'a DNS label (1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit)';
export const DOMAIN_RULE = 'a domain name (dot-separated DNS labels, at most 253 characters)';
export const PORT_RULE = 'an integer 1-65535';
export const PROTOCOL_RULE = 'TCP, UDP or SCTP';

/** DNS-1123 label: what a namespace, service, port name or endpoint hostname may be. */
export function isDnsLabel(name: string): boolean {
  return LABEL.test(name);
}

/** DNS-1123 subdomain: pod and slice names, ExternalName targets. */
export function isDnsSubdomain(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every(isDnsLabel);
}

export function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** Case-insensitive: hand-written files say "udp", Kubernetes says "UDP". */
export function toProtocol(value: string): Protocol | undefined {
  const upper = value.toUpperCase();
  return upper === 'TCP' || upper === 'UDP' || upper === 'SCTP' ? upper : undefined;
}

/** 4 or 6 for a valid address, 0 otherwise. */
export function ipFamily(address: string): 0 | 4 | 6 {
  return isIP(address) as 0 | 4 | 6;
}
