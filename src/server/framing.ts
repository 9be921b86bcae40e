// RFC 7766 §8 framing of a TCP stream: each message behind a two-byte length. Chunks are kept as
// they arrive and joined once a whole message is there, so a client that dribbles a 64 KiB message
// a byte at a time costs one copy of it, not one per byte.
import { HEADER_SIZE } from '../dns/index.js';

export class FrameReader {
  private head: Buffer = Buffer.alloc(0);
  private readonly parts: Buffer[] = [];
  private partsLength = 0;

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.partsLength += chunk.length;
  }

  /**
   * The next whole message; undefined until it has all arrived; null when the length is too short
   * for a DNS header, so the stream is not DNS (or is out of step) and the rest cannot be trusted.
   */
  next(): Buffer | undefined | null {
    if (!this.gather(2)) return undefined;
    const length = this.head.readUInt16BE(0);
    if (length < HEADER_SIZE) return null;
    if (!this.gather(2 + length)) return undefined;
    const message = this.head.subarray(2, 2 + length);
    this.head = this.head.subarray(2 + length);
    return message;
  }

  /** Whether `bytes` bytes are buffered; makes them contiguous in `head` when they are. */
  private gather(bytes: number): boolean {
    if (this.head.length >= bytes) return true;
    if (this.head.length + this.partsLength < bytes) return false;
    this.head = Buffer.concat([this.head, ...this.parts]);
    this.parts.length = 0;
    this.partsLength = 0;
    return true;
  }
}
