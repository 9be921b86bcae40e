// Start the real server in-process on a free loopback port, from a temporary zones directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ClusterDns } from '../../src/app/lifecycle.js';
import { parseCommandLine } from '../../src/config/command.js';
import { createLogger } from '../../src/ops/logger.js';
import { loopbackEndpoints } from './cli.js';

export interface TestServer {
  app: ClusterDns;
  port: number;
  dir: string;
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function makeZonesDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'clusterdns-zones-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

export async function startServer(files: Record<string, string>, flags: string[] = []): Promise<TestServer> {
  const dir = await makeZonesDir(files);
  // Without an --upstream of the test's own, forward nowhere: the host's resolver is off loopback.
  const upstream = flags.includes('--upstream') ? [] : ['--resolv-conf', '/dev/null'];
  const command = parseCommandLine(
    ['--zones', dir, '--listen', '127.0.0.1:0', ...upstream, ...loopbackEndpoints(flags), ...flags],
    {},
  );
  if (command.kind !== 'serve') throw new Error('expected a serve command');
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const app = new ClusterDns(command.config, createLogger('debug', sink));
  const bound = await app.start();
  return {
    app,
    port: bound[0]!.address.port,
    dir,
    logs,
    async close() {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
