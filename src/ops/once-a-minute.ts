// Warnings about something a client can repeat at will (a socket error, a connection cut at a
// bound): an attack must log a line a minute, not a line a packet. The counters say how many.

const EVERY_MS = 60_000;

/** Says, per key, whether a warning is due: the first time, then at most once a minute. */
export class OnceAMinute<Key = string> {
  private readonly last = new Map<Key, number>();

  due(key: Key, now = Date.now()): boolean {
    if (now - (this.last.get(key) ?? -Infinity) < EVERY_MS) return false;
    this.last.set(key, now);
    return true;
  }
}
