// Keeps the process alive while it waits on nothing but unref'd timers: registry clients retry and
// time out on timers that do not hold the event loop, so a process whose only work is waiting for
// a registry would otherwise be ended by Node (status 13, an unsettled top-level await) without a
// line logged.

/** Holds the event loop open until the returned function is called. */
export function holdOpen(): () => void {
  const handle = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(handle);
}
