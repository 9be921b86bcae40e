// Size caps on what a registry sends. Bytes are counted as they arrive and the read is abandoned
// the moment a cap is passed, so memory stays near the cap however much the peer would send; the
// caller drops the connection, counts it, and keeps serving its last good view.

/** A response body, list page or stream line larger than its cap: the read was dropped. */
export class OversizedRead extends Error {
  override name = 'OversizedRead';
  constructor(
    /** What was read, e.g. "watch event line" or "list page". */
    readonly what: string,
    /** Where it came from: a URL, or a path when the query carries a credential. */
    readonly url: string,
    readonly limitBytes: number,
  ) {
    super(`${what} from ${url} is larger than ${limitBytes} bytes; dropped`);
  }
}

/**
 * The whole of `body`, or OversizedRead as soon as it passes `limitBytes` (a Content-Length over
 * the cap is refused before a byte is read). Throwing out of the loop ends the iteration, which
 * destroys a Node stream or cancels a web stream: the peer's connection is dropped.
 */
export async function readCapped(
  body: AsyncIterable<Uint8Array>,
  limitBytes: number,
  oversized: () => OversizedRead,
  contentLength?: string | null,
): Promise<Buffer> {
  if (contentLength && Number(contentLength) > limitBytes) {
    cancel(body);
    throw oversized();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limitBytes) throw oversized();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Releases a body that will not be read: a Node stream is destroyed, a web stream cancelled. */
function cancel(body: AsyncIterable<Uint8Array>): void {
  const stream = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof stream.destroy === 'function') stream.destroy();
  else if (typeof stream.cancel === 'function') void stream.cancel().catch(() => {});
}
