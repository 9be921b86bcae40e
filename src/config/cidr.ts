// Address ranges (CIDRs) as options write them, for the options that admit clients.
import { Address4, Address6 } from 'ip-address';
import { isIPv4 } from 'node:net';

export type Subnet = { family: 4; net: Address4 } | { family: 6; net: Address6 };

/** Parse CIDRs; throws naming the bad one. */
export function parseCidrs(cidrs: readonly string[]): Subnet[] {
  return cidrs.map((cidr) => {
    const text = cidr.includes('/') ? cidr : `${cidr}/${isIPv4(cidr) ? 32 : 128}`;
    if (Address4.isValid(text)) return { family: 4, net: new Address4(text) };
    if (Address6.isValid(text)) return { family: 6, net: new Address6(text) };
    throw new Error(`"${cidr}": expected an address range such as 10.0.0.0/8 or fd00::/8`);
  });
}
