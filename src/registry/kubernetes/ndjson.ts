// Splits a watch response (newline-delimited JSON, arriving in arbitrary chunks) into lines. Lines
// are assembled from bytes and decoded only when complete, so a UTF-8 character split between
// chunks survives, and a line is bounded in bytes while it is still arriving: the partial line is
// never concatenated (nor decoded) past the cap, whatever the server keeps sending.

import { OversizedRead } from '../bounded-read.js';

const NEWLINE = 0x0a;

export class LineSplitter {
  /** The start of a line not yet ended, as the chunks it arrived in. */
  private partial: Buffer[] = [];
  private partialBytes = 0;

  /** `url` names the stream in the OversizedRead thrown when a line passes `maxLineBytes`. */
  constructor(
    private readonly maxLineBytes: number,
    private readonly url: string,
  ) {}

  /** Complete, non-blank lines in `chunk` (with what was left over from earlier chunks). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.subarray(start, end));
      const line = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial);
      this.partial = [];
      this.partialBytes = 0;
      const text = line.toString('utf8').trim();
      if (text !== '') lines.push(text);
      start = end + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  /** What is left when the stream ends: a last line without its newline. */
  flush(): string[] {
    const rest = Buffer.concat(this.partial).toString('utf8').trim();
    this.partial = [];
    this.partialBytes = 0;
    return rest === '' ? [] : [rest];
  }

  private take(piece: Buffer): void {
    if (this.partialBytes + piece.length > this.maxLineBytes) {
      this.partial = [];
      this.partialBytes = 0;
      throw new OversizedRead('watch event line', this.url, this.maxLineBytes);
    }
    this.partial.push(piece);
    this.partialBytes += piece.length;
  }
}
