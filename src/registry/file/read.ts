// Reads one zone file safely: only a regular file (or a link to one) is opened, and never one
// that is still being written (its modification time must be at least the settle time old), nor
// one larger than the cap; the read has a deadline. What it finds is a state, never an exception,
// so the backend can keep a file's last good content through everything but its deletion.
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, stat } from 'node:fs/promises';

export interface ReadLimits {
  maxBytes: number;
  /** A file is read only once it has not changed for this long. */
  settleMs: number;
}

export type FileRead =
  /** No directory entry: the file was deleted. */
  | { kind: 'gone' }
  /** Changed less than the settle time ago, or while it was read: look again in `waitMs`. */
  | { kind: 'settling'; waitMs: number; signature: string }
  /** 0 bytes: the first step of rewriting a file in place, not a file meant to serve nothing. */
  | { kind: 'empty'; signature: string }
  /** The file cannot be served as it is; `problem` says why (a dangling link, a FIFO, a cap). */
  | { kind: 'unreadable'; problem: string; tooLarge?: boolean; signature?: string }
  | { kind: 'read'; bytes: Uint8Array; signature: string };

/** What identifies one version of a file without reading it. */
function signatureOf(info: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }) {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

/**
 * Reads `path` if it is a settled regular file within the cap; `unchanged` when it is still the
 * version `known.signature` (nothing is read). `known.firstSeen` is when the caller first saw a
 * version that was still settling. The caller bounds the time this takes.
 */
export async function readZoneFile(
  path: string,
  limits: ReadLimits,
  known: { signature?: string; firstSeen?: { signature: string; at: number } },
  now: () => number = Date.now,
): Promise<FileRead | { kind: 'unchanged' }> {
  try {
    await lstat(path);
  } catch (error) {
    if (code(error) === 'ENOENT') return { kind: 'gone' };
    return { kind: 'unreadable', problem: message(error) };
  }
  let info;
  try {
    info = await stat(path); // follows a link: a ConfigMap's files are links
  } catch (error) {
    if (code(error) === 'ENOENT') return { kind: 'unreadable', problem: 'a symbolic link to nothing' };
    return { kind: 'unreadable', problem: message(error) };
  }
  // A FIFO's open blocks until a writer comes, a device never ends: neither is opened.
  if (!info.isFile()) return { kind: 'unreadable', problem: `not a regular file (${typeOf(info)})` };
  const signature = signatureOf(info);
  if (signature === known.signature) return { kind: 'unchanged' };
  if (info.size > limits.maxBytes) {
    return {
      kind: 'unreadable',
      problem: `${info.size} bytes, over the ${limits.maxBytes}-byte cap (--zones-max-bytes)`,
      tooLarge: true,
      signature,
    };
  }
  const wait = settleWait(info.mtimeMs, signature, limits.settleMs, known.firstSeen, now());
  if (wait > 0) return { kind: 'settling', waitMs: wait, signature };
  if (info.size === 0) return { kind: 'empty', signature };

  let handle: FileHandle;
  try {
    // O_NONBLOCK: should the file have become a FIFO since the stat, open does not wait for a writer.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (code(error) === 'ENOENT') return { kind: 'gone' };
    return { kind: 'unreadable', problem: message(error) };
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { kind: 'unreadable', problem: `not a regular file (${typeOf(opened)})` };
    // One byte more than the cap tells a file that grew past it; a buffer of its own, so it can be
    // handed to the parse worker whole.
    // Not zero-filled first: 50 MB of zeroes would cost the answering thread some 20 ms.
    const bytes = new Uint8Array(Buffer.allocUnsafeSlow(Math.min(opened.size, limits.maxBytes) + 1).buffer);
    let length = 0;
    while (length < bytes.length) {
      const { bytesRead } = await handle.read(bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    const after = await handle.stat();
    // Written to while it was read: a writer is still at work.
    if (signatureOf(after) !== signatureOf(opened) || length !== opened.size) {
      return { kind: 'settling', waitMs: limits.settleMs, signature: signatureOf(after) };
    }
    return { kind: 'read', bytes: bytes.subarray(0, length), signature: signatureOf(after) };
  } catch (error) {
    return { kind: 'unreadable', problem: message(error) };
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * How long until the file counts as settled: its modification time is the settle time old, or
 * (a clock ahead of ours, on a network mount) we have seen this same version for that long.
 */
function settleWait(
  mtimeMs: number,
  signature: string,
  settleMs: number,
  firstSeen: { signature: string; at: number } | undefined,
  now: number,
): number {
  const byMtime = mtimeMs + settleMs - now;
  if (byMtime <= 0) return 0;
  if (firstSeen?.signature === signature)
    return Math.max(0, Math.min(byMtime, firstSeen.at + settleMs - now));
  return Math.min(byMtime, settleMs);
}

function typeOf(info: {
  isFIFO(): boolean;
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isDirectory()) return 'a directory';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a file';
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
