// Splits a watch response (newline-delimited JSON, arriving in arbitrary chunks) into lines.

export class LineSplitter {
  private partial = '';

  /** `maxLineChars` bounds memory when a server sends an endless line. */
  constructor(private readonly maxLineChars: number) {}

  /** Complete, non-blank lines in `chunk` (with what was left over from earlier chunks). */
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > this.maxLineChars) {
      throw new Error(`watch event longer than ${this.maxLineChars} characters`);
    }
    return parts.map((line) => line.trim()).filter((line) => line !== '');
  }

  /** What is left when the stream ends: a last line without its newline. */
  flush(): string[] {
    const rest = this.partial.trim();
    this.partial = '';
    return rest === '' ? [] : [rest];
  }
}
