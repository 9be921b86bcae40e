// The operations options as parsed at the door: addresses, off switches, lameduck, log format.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/config/command.js';
import { ConfigError } from '../../src/config/values.js';

function config(args: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseCommandLine(args, env);
  if (command.kind !== 'serve') throw new Error('expected a serve command');
  return command.config;
}

describe('operations options', () => {
  it("defaults to CoreDNS's ports on every interface, 5 s lameduck and JSON logs", () => {
    const { health, ready, metrics, lameduckMs, logFormat } = config([]);
    expect({ health, ready, metrics, lameduckMs, logFormat }).toEqual({
      health: { port: 8080 },
      ready: { port: 8181 },
      metrics: { port: 9153 },
      lameduckMs: 5000,
      logFormat: 'json',
    });
  });

  it.each([
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    [':9253', { port: 9253 }],
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['[::1]:8181', { host: '::1', port: 8181 }],
  ])('reads %s', (value, expected) => {
    expect(config(['--health', value]).health).toEqual(expected);
  });

  it('turns an endpoint off with an empty value', () => {
    expect(config(['--metrics', '']).metrics).toBeUndefined();
    expect(config(['--ready=']).ready).toBeUndefined();
    expect(config(['--ready=']).health).toEqual({ port: 8080 });
  });

  it.each([
    [['--health', 'localhost:8080'], /--health: "localhost:8080": expected :PORT/],
    [['--metrics', '9153'], /--metrics: "9153": expected :PORT/],
    [['--ready', ':99999'], /--ready: ":99999": port must be 0-65535/],
    [['--lameduck', 'soon'], /--lameduck: "soon": expected a duration/],
    [['--log-format', 'xml'], /--log-format: "xml": expected json or pretty/],
  ])('rejects %j naming the option and what was expected', (args, message) => {
    expect(() => config(args)).toThrow(ConfigError);
    expect(() => config(args)).toThrow(message);
  });

  it('reads lameduck and log format from flags and the environment', () => {
    expect(config(['--lameduck', '500ms']).lameduckMs).toBe(500);
    expect(config([], { CLUSTERDNS_LAMEDUCK: '0s' }).lameduckMs).toBe(0);
    expect(config([], { CLUSTERDNS_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });
});
