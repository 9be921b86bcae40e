// Who may have external names resolved when no flag, variable or file says: outside Kubernetes the
// ranges a cluster's clients use; in a Kubernetes pod everyone, as CoreDNS.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { AddressPolicy } from '../../src/resolve/recursion.js';

const allowRecursion = (argv: string[], env: NodeJS.ProcessEnv) => {
  const command = parseCommandLine(argv, env);
  if (command.kind !== 'serve') throw new Error(command.kind);
  return command.config.allowRecursion;
};

describe('the recursion default', () => {
  const outside = new AddressPolicy(allowRecursion([], {}));
  it.each([
    ['127.0.0.1', true],
    ['10.244.1.5', true],
    // Pod ranges in the shared address space (RFC 6598) and NodeLocal DNSCache's link-local address.
    ['100.64.3.7', true],
    ['169.254.20.10', true],
    ['fd00:10:244::5', true],
    ['fe80::1', true],
    ['::ffff:100.100.0.1', true],
    ['203.0.113.9', false],
    ['2001:db8::5', false],
  ])('outside Kubernetes, %s may: %s', (client, allowed) => {
    expect(outside.allows(client)).toBe(allowed);
  });

  it('lets every client recurse in a Kubernetes pod (global IPv6 pod addresses included)', () => {
    const inPod = allowRecursion([], { KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    expect(inPod).toEqual(['0.0.0.0/0', '::/0']);
    expect(new AddressPolicy(inPod).allows('2001:db8::5')).toBe(true);
  });

  it('keeps what a flag or variable says, in a pod too', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1' };
    expect(allowRecursion(['--allow-recursion', '10.0.0.0/8'], env)).toEqual(['10.0.0.0/8']);
    expect(allowRecursion([], { ...env, CLUSTERDNS_ALLOW_RECURSION: '192.168.0.0/16' })).toEqual([
      '192.168.0.0/16',
    ]);
  });
});
