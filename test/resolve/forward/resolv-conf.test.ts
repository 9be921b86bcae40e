// resolv.conf parsing and the upstreams taken from it, without this server.
import { describe, expect, it } from 'vitest';
import type { HostPort } from '../../../src/config/address.js';
import { readResolvConf, upstreamsFromResolvConf } from '../../../src/resolve/forward/resolv-conf.js';

const text = `
# written by the kubelet
; another comment style
domain corp.example
nameserver 10.0.0.10   # cluster DNS
nameserver  2001:db8::53
nameserver fe80::1%eth0
nameserver not-an-address
nameserver 127.0.0.53
search default.svc.cluster.local svc.cluster.local. cluster.local
options ndots:5 timeout:2 attempts:3
sortlist 130.155.160.0/255.255.240.0
`;

const listen = (host: string, port = 53): HostPort => ({ host, port, family: host.includes(':') ? 6 : 4 });

describe('readResolvConf', () => {
  it('reads nameservers in order, the search list and ndots', () => {
    expect(readResolvConf(text)).toEqual({
      nameservers: ['10.0.0.10', '2001:db8::53', '127.0.0.53'],
      search: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
    });
  });

  it('takes the last of domain and search, and caps ndots at 15', () => {
    expect(readResolvConf('search a.example b.example\ndomain c.example\r\noptions ndots:40\n')).toEqual({
      nameservers: [],
      search: ['c.example'],
      ndots: 15,
    });
    expect(readResolvConf('')).toEqual({ nameservers: [], search: [] });
  });
});

describe('upstreamsFromResolvConf', () => {
  const conf = readResolvConf(text);
  const local = ['10.0.0.10', '192.168.1.5', 'fe80::abcd'];

  it('gives every nameserver on port 53 when we listen elsewhere', () => {
    expect(upstreamsFromResolvConf(conf, [listen('127.0.0.1', 1053)], { localAddresses: local })).toEqual([
      { host: '10.0.0.10', port: 53, family: 4 },
      { host: '2001:db8::53', port: 53, family: 6 },
      { host: '127.0.0.53', port: 53, family: 4 },
    ]);
  });

  it('leaves out our own listen address on port 53', () => {
    const upstreams = upstreamsFromResolvConf(conf, [listen('10.0.0.10')], { localAddresses: local });
    expect(upstreams.map((u) => u.host)).toEqual(['2001:db8::53', '127.0.0.53']);
  });

  it('reads a wildcard listen on port 53 as every local address of its family, loopback included', () => {
    const mixed = readResolvConf(
      'nameserver 10.0.0.10\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n',
    );
    const v4 = upstreamsFromResolvConf(mixed, [listen('0.0.0.0')], { localAddresses: local });
    expect(v4.map((u) => u.host)).toEqual(['192.0.2.53', '2001:db8::53']);
    const v6 = upstreamsFromResolvConf(
      readResolvConf('nameserver ::1\nnameserver 0:0::1\nnameserver 10.0.0.10'),
      [listen('::')],
      {
        localAddresses: local,
      },
    );
    expect(v6.map((u) => u.host)).toEqual(['10.0.0.10']);
  });

  it('lists a nameserver given twice once', () => {
    const twice = readResolvConf('nameserver 10.0.0.1\nnameserver 10.0.0.1\n');
    expect(upstreamsFromResolvConf(twice, [], { localAddresses: [] })).toHaveLength(1);
  });

  it('says what to do when only this server is listed, or nothing is', () => {
    const self = readResolvConf('nameserver 127.0.0.1\n');
    expect(() => upstreamsFromResolvConf(self, [listen('0.0.0.0')], { localAddresses: [] })).toThrow(
      'no upstream: /etc/resolv.conf lists only this server; pass --upstream',
    );
    expect(() => upstreamsFromResolvConf(readResolvConf('# empty'), [], { source: '/tmp/r.conf' })).toThrow(
      'no upstream: /tmp/r.conf lists no nameserver; pass --upstream',
    );
  });
});
