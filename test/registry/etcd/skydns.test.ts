// The SkyDNS layout read as CoreDNS's etcd plugin writes it: where a key lands, what a value means,
// and the TableContent a set of keys becomes.
import { describe, expect, it } from 'vitest';
import { FieldError } from '../../../src/registry/fields.js';
import { formatValue, instanceKey, parseValue, placeKey } from '../../../src/registry/etcd/skydns.js';
import { normalizePrefix } from '../../../src/config/options/etcd.js';
import { ETCD_MAX_VALUE_BYTES, SkyDnsView } from '../../../src/registry/etcd/view.js';
import { WARN, capturingLogger } from '../helpers.js';

const ZONES = [['local', 'cluster']];

describe('placeKey', () => {
  it.each([
    ['/skydns/local/cluster/svc/shop/web/x1', { namespace: 'shop', service: 'web', instance: 'x1' }],
    ['/skydns/local/cluster/svc/shop/web', { namespace: 'shop', service: 'web' }],
    ['/skydns/local/cluster/svc/Shop/WEB/X1', { namespace: 'shop', service: 'web', instance: 'x1' }],
    [
      '/skydns/local/cluster/svc/shop/web/_tcp/_http/x1',
      { namespace: 'shop', service: 'web', instance: 'x1', port: { name: 'http', protocol: 'TCP' } },
    ],
  ])('%s is an instance', (key, expected) => {
    expect(placeKey(key, '/skydns', ZONES)).toEqual({ kind: 'instance', key: expected });
  });

  it.each([
    ['/other/local/cluster/svc/shop/web/x1', 'outside the prefix'],
    ['/skydns2/local/cluster/svc/shop/web/x1', 'outside the prefix'],
    ['/skydns/com/example/www', 'not in a served cluster zone'],
    ['/skydns/arpa/in-addr/10/0/0/1', 'not in a served cluster zone'],
    ['/skydns/local/cluster/pod/shop/x', 'not a service name (no svc label)'],
    ['/skydns/local/cluster/svc/shop', 'no namespace and service labels'],
    ['/skydns/local/cluster/svc/shop/web_1/x', 'service "web_1" is not a DNS label'],
    ['/skydns/local/cluster/svc/shop/web/a/b', 'deeper than <service>/<instance>'],
  ])('%s is skipped: %s', (key, reason) => {
    expect(placeKey(key, '/skydns', ZONES)).toEqual({ kind: 'other', reason });
  });

  it('builds the key it reads', () => {
    const key = instanceKey('/skydns', 'cluster.local', {
      namespace: 'shop',
      service: 'web',
      instance: 'x1',
    });
    expect(key).toBe('/skydns/local/cluster/svc/shop/web/x1');
    expect(placeKey(key, '/skydns', ZONES).kind).toBe('instance');
  });

  it('normalizes prefixes and rejects what is not one', () => {
    expect(normalizePrefix('/skydns/')).toBe('/skydns');
    expect(() => normalizePrefix('skydns')).toThrow('expected a key prefix such as /skydns');
  });
});

describe('parseValue', () => {
  it('reads the SkyDNS fields and our port name', () => {
    expect(
      parseValue(
        '{"host":"10.0.0.1","port":8080,"priority":5,"weight":20,"ttl":30,"text":"x","portname":"http"}',
      ),
    ).toEqual({ host: { ip: '10.0.0.1' }, port: 8080, priority: 5, weight: 20, ttl: 30, portName: 'http' });
    expect(parseValue('{"host":"Db.Example.com.","port":0}')).toEqual({ host: { name: 'db.example.com' } });
    expect(parseValue('{"host":"fd00::1","protocol":"UDP","port":53}')).toEqual({
      host: { ip: 'fd00::1' },
      port: 53,
      protocol: 'UDP',
    });
  });

  it.each([
    ['{"host":', 'value is not JSON'],
    ['[1]', 'value: expected a JSON object, got a list'],
    ['{"port":80}', 'host: expected a domain name'],
    ['{"host":"10.0.0.1","port":70000}', 'port: expected an integer 0-65535, got 70000'],
    ['{"host":"10.0.0.1","port":"80"}', 'port: expected an integer 0-65535, got "80"'],
    ['{"host":"10.0.0.1","portname":"HTTP_1"}', 'portname: expected a DNS label'],
    ['{"host":"10.0.0.1","protocol":"quic"}', 'protocol: expected TCP, UDP or SCTP'],
  ])('%s is rejected: %s', (text, message) => {
    expect(() => parseValue(text)).toThrow(FieldError);
    expect(() => parseValue(text)).toThrow(message);
  });

  it('reads back what a registration writes', () => {
    const text = formatValue({
      ip: '10.0.0.9',
      port: 8080,
      portName: 'http',
      protocol: 'TCP',
      priority: 0,
      weight: 0,
      ttl: 10,
    });
    expect(JSON.parse(text)).toEqual({
      host: '10.0.0.9',
      port: 8080,
      priority: 0,
      weight: 0,
      ttl: 10,
      portname: 'http',
      protocol: 'tcp',
    });
    expect(parseValue(text)).toEqual({
      host: { ip: '10.0.0.9' },
      port: 8080,
      priority: 0,
      ttl: 10,
      portName: 'http',
      protocol: 'TCP',
    });
  });
});

describe('SkyDnsView', () => {
  function viewOf(entries: Record<string, string>) {
    const { logger, lines } = capturingLogger();
    const view = new SkyDnsView('/skydns', ['cluster.local'], logger);
    view.replace(
      Object.entries(entries).map(([key, value]) => ({ key, value: Buffer.from(value), modRevision: '1' })),
    );
    return { view, lines };
  }

  it('serves address instances as a headless service, name instances as a CNAME', () => {
    const { view } = viewOf({
      '/skydns/local/cluster/svc/shop/web/x1': '{"host":"10.0.0.1","port":8080,"portname":"http"}',
      '/skydns/local/cluster/svc/shop/web/x2':
        '{"host":"10.0.0.2","port":8080,"portname":"http","weight":30}',
      '/skydns/local/cluster/svc/shop/web/Not_A_Label': '{"host":"10.0.0.3"}',
      '/skydns/local/cluster/svc/shop/db/_tcp/_postgres/db-0': '{"host":"10.0.1.1","port":5432}',
      '/skydns/local/cluster/svc/ops/search': '{"host":"www.example.com"}',
      '/skydns/com/example/www': '{"host":"1.2.3.4"}',
    });
    expect(view.content()).toEqual({
      namespaces: ['ops', 'shop'],
      pods: [],
      services: [
        {
          namespace: 'ops',
          name: 'search',
          type: 'ExternalName',
          externalName: 'www.example.com',
          clusterIPs: [],
          ports: [],
          endpoints: [],
        },
        {
          namespace: 'shop',
          name: 'db',
          type: 'Headless',
          clusterIPs: [],
          ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
          endpoints: [
            {
              ip: '10.0.1.1',
              hostname: 'db-0',
              ready: true,
              ports: [{ name: 'postgres', protocol: 'TCP', port: 5432 }],
            },
          ],
        },
        {
          namespace: 'shop',
          name: 'web',
          type: 'Headless',
          clusterIPs: [],
          ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
          endpoints: [
            // Keys sort by byte: upper case first. Not a DNS label: no hostname (the dashed IP serves).
            { ip: '10.0.0.3', ready: true, ports: [] },
            {
              ip: '10.0.0.1',
              hostname: 'x1',
              ready: true,
              ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
            },
            {
              ip: '10.0.0.2',
              hostname: 'x2',
              ready: true,
              ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
              weight: 30,
            },
          ],
        },
      ],
    });
  });

  // Valid JSON, one byte over the limit: skipped for its size alone, before it is decoded.
  const oversized = `{"host":"10.0.0.2"${' '.repeat(ETCD_MAX_VALUE_BYTES - 18)}}`;

  it.each([
    ['malformed', '{"host": 10', /skipped: value is not JSON/],
    ['oversized', oversized, /skipped: value is 16385 bytes, over the limit of 16384$/],
  ])('skips a %s value with one warning naming the key, and keeps the rest', (_, bad, problem) => {
    const { view, lines } = viewOf({
      '/skydns/local/cluster/svc/shop/web/x1': '{"host":"10.0.0.1"}',
      '/skydns/local/cluster/svc/shop/web/bad': bad,
    });
    const warnings = lines.filter((line) => line.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/^etcd key \/skydns\/local\/cluster\/svc\/shop\/web\/bad skipped: /);
    expect(warnings[0]!.msg).toMatch(problem);
    expect(view.content().services[0]!.endpoints.map((e) => e.ip)).toEqual(['10.0.0.1']);
    // The same value read again (after a compaction, say) is not complained about twice.
    view.replace([
      {
        key: '/skydns/local/cluster/svc/shop/web/x1',
        value: Buffer.from('{"host":"10.0.0.1"}'),
        modRevision: '1',
      },
      { key: '/skydns/local/cluster/svc/shop/web/bad', value: Buffer.from(bad), modRevision: '1' },
    ]);
    view.content();
    expect(lines.filter((line) => line.level === WARN)).toHaveLength(1);
  });

  it('serves the addresses of a service that mixes them with names, and says so once', () => {
    const { view, lines } = viewOf({
      '/skydns/local/cluster/svc/shop/web/x1': '{"host":"10.0.0.1"}',
      '/skydns/local/cluster/svc/shop/web/x2': '{"host":"web.example.com"}',
      '/skydns/local/cluster/svc/shop/two/a': '{"host":"a.example.com"}',
      '/skydns/local/cluster/svc/shop/two/b': '{"host":"b.example.com"}',
    });
    const content = view.content();
    view.content();
    expect(content.services.map((s) => `${s.name} ${s.type}`)).toEqual(['web Headless']);
    expect(
      lines
        .filter((line) => line.level === WARN)
        .map((line) => line.msg)
        .sort(),
    ).toEqual([
      'etcd service shop/two: its instances name 2 different hosts; skipped',
      'etcd service shop/web: instances naming a host are ignored beside instances with an address',
    ]);
  });
});
