// The protocol and addressing rules a service table must satisfy to be served over DNS (the naming
// rules are dns/label-rules.ts's, the port's config/address.ts's). Shared by every input format so a
// value accepted in one format is accepted in all of them.

import { isIP } from 'node:net';
import type { Protocol } from '../table/types.js';

export const PROTOCOL_RULE = 'TCP, UDP or SCTP';

/** Case-insensitive: hand-written files say "udp", Kubernetes says "UDP". */
export function toProtocol(value: string): Protocol | undefined {
  const upper = value.toUpperCase();
  return upper === 'TCP' || upper === 'UDP' || upper === 'SCTP' ? upper : undefined;
}

/** 4 or 6 for a valid address, 0 otherwise. */
export function ipFamily(address: string): 0 | 4 | 6 {
  return isIP(address) as 0 | 4 | 6;
}
