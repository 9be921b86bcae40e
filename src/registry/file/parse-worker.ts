// The parse worker's thread: zone file bytes in, ClusterObjects out. The YAML parser and the
// conversion run here so that the thread answering queries never waits for them, and so that one
// file's parse is bounded in time and memory (parser.ts terminates this thread when it overruns).
import { type MessagePort, parentPort } from 'node:worker_threads';
import type { ClusterObject } from '../model.js';
import { parseZoneBytes } from './parse.js';

/** parser.ts → this thread. */
export interface ParseJob {
  id: number;
  bytes: Uint8Array;
  /** Where the result goes, in chunks the answering thread takes one per turn of its event loop. */
  port: MessagePort;
}

/** This thread → a job's port: objects a chunk at a time, then the rest of the conversion. */
export type ParseChunk =
  | { objects: ClusterObject[] }
  | {
      done: true;
      skipped: { object: string; reason: string }[];
      problems: { object: string; problem: string }[];
    };

/** This thread → parser.ts: every chunk of job `id` is on its port. */
export interface ParseReady {
  id: number;
}

/** Objects per chunk: one chunk is copied into the answering thread in a couple of milliseconds. */
export const CHUNK_OBJECTS = 200;

parentPort?.on('message', ({ id, bytes, port }: ParseJob) => {
  const { objects, skipped, problems } = parseZoneBytes(bytes);
  for (let i = 0; i < objects.length; i += CHUNK_OBJECTS)
    port.postMessage({ objects: objects.slice(i, i + CHUNK_OBJECTS) } satisfies ParseChunk);
  port.postMessage({ done: true, skipped, problems } satisfies ParseChunk);
  parentPort!.postMessage({ id } satisfies ParseReady);
});
