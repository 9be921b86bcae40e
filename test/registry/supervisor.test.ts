// A backend that fails is built again and started, with a growing, jittered wait; the table keeps
// what it delivered last meanwhile. In process for the failures that reach the supervisor through
// the sink or start(); in a child process for code of the backend's own that throws from a timer,
// which only the process-wide crash policy sees.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BackendSink, RegistryBackend } from '../../src/registry/backend.js';
import { SupervisedBackend } from '../../src/registry/supervisor.js';
import { ServiceTable } from '../../src/table/table.js';
import type { TableContent } from '../../src/table/types.js';
import { eventually } from './kubernetes/helpers.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/crashing-backend.mjs', import.meta.url));
const quiet = pino({ level: 'silent' });

function content(namespace: string): TableContent {
  return { namespaces: [namespace], services: [], pods: [] };
}

/** A backend kept by the test: it delivers what it is told and starts as told. */
class ScriptedBackend implements RegistryBackend {
  readonly name = 'scripted';
  sink: BackendSink | undefined;
  closed = false;
  constructor(private readonly startFails = false) {}
  async start(sink: BackendSink): Promise<void> {
    if (this.startFails) throw new Error('cannot start');
    this.sink = sink;
  }
  whenSynced = async () => true;
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('SupervisedBackend', () => {
  it('restarts a backend whose delivery the table refuses, and the last good view keeps serving', async () => {
    const table = new ServiceTable();
    table.reserve('scripted');
    const made: ScriptedBackend[] = [new ScriptedBackend()];
    const restarts: string[] = [];
    const supervised = new SupervisedBackend(
      made[0]!,
      async () => {
        made.push(new ScriptedBackend());
        return made.at(-1)!;
      },
      quiet,
      (name) => restarts.push(name),
      { initialMs: 10, maxMs: 50 },
    );
    await supervised.start({
      content: (delivered) => {
        if (delivered.namespaces.includes('poison')) throw new Error('the table refuses this view');
        table.setContent('scripted', delivered);
      },
      changes: () => {},
      fresh: () => {},
    });
    made[0]!.sink!.content(content('good'));
    made[0]!.sink!.content(content('poison'));
    expect(made[0]!.closed).toBe(true);
    expect(table.current.namespaces.has('good')).toBe(true);
    // A failed backend winding down delivers nothing more.
    made[0]!.sink!.content(content('late'));
    expect(table.current.namespaces.has('late')).toBe(false);
    await eventually(() => made.length === 2 && made[1]!.sink !== undefined, 2000, 'a new backend');
    made[1]!.sink!.content(content('fresh'));
    expect(table.current.namespaces.has('fresh')).toBe(true);
    expect(restarts).toEqual(['scripted']);
    await supervised.close();
    expect(made[1]!.closed).toBe(true);
  });

  it('backs off, jittered and growing, while the new backend cannot start', async () => {
    let attempts = 0;
    const startedAt: number[] = [];
    const supervised = new SupervisedBackend(
      new ScriptedBackend(),
      async () => {
        startedAt.push(performance.now());
        return new ScriptedBackend(++attempts < 4);
      },
      quiet,
      undefined,
      { initialMs: 40, maxMs: 1000 },
    );
    const sink: BackendSink = { content: () => {}, changes: () => {}, fresh: () => {} };
    await supervised.start(sink);
    const failAt = performance.now();
    supervised.fail(new Error('first failure'));
    await eventually(() => supervised.restarts === 4, 5000, 'four restarts');
    // Waits of at least half of 40, 80, 160 and 320 ms: 300 ms in all, whatever the jitter.
    expect(startedAt[3]! - failAt).toBeGreaterThanOrEqual(300);
    await supervised.close();
  });

  it('once closed, never restarts', async () => {
    let made = 0;
    const supervised = new SupervisedBackend(
      new ScriptedBackend(),
      async () => {
        made++;
        return new ScriptedBackend();
      },
      quiet,
      undefined,
      { initialMs: 10, maxMs: 10 },
    );
    await supervised.start({ content: () => {}, changes: () => {}, fresh: () => {} });
    supervised.fail(new Error('failure'));
    await supervised.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(made).toBe(0);
  });
});

describe('the crash policy', () => {
  const run = async (unowned: number) => {
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE, String(unowned)]);
      return {
        code: 0,
        lines: stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return {
        code: failed.code,
        lines: failed.stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      };
    }
  };

  it('restarts the backend whose own timer threw or lost a promise, and the process serves on', async () => {
    const { code, lines } = await run(0);
    expect(code).toBe(0);
    expect(lines.filter((line) => line.delivered).map((line) => line.delivered)).toEqual([
      'from-instance-1',
      'from-instance-2',
      'from-instance-3',
    ]);
    expect(lines.find((line) => line.instances !== undefined)).toEqual({ restarts: 2, instances: 3 });
    expect(lines.filter((line) => line.msg?.startsWith('registry backend failed'))).toHaveLength(2);
    expect(lines.some((line) => line.alive)).toBe(true);
  });

  it('logs uncaught exceptions owned by nobody and serves on, but exits 70 past ten in a minute', async () => {
    const few = await run(3);
    expect(few.code).toBe(0);
    expect(few.lines.filter((line) => line.msg === 'uncaught exception; serving on')).toHaveLength(3);
    const many = await run(11);
    expect(many.code).toBe(70);
    expect(many.lines.some((line) => line.level === 60 && /exiting for a clean restart/.test(line.msg))).toBe(
      true,
    );
    expect(many.lines.some((line) => line.alive)).toBe(false);
  });
});
