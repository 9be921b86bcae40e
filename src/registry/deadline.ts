// How long a backend waits on something outside it: a read of a file on a mount that may hang, a
// call to a registry that may never answer. Only the wait is bounded; the promise itself runs on
// (nothing here can cancel a hung read), so the caller must not start the same work again until it
// has really ended.

/**
 * `promise`, or a rejection naming `what` once `ms` have passed. The timer never keeps the process
 * alive: a bound on a wait is no reason to stay up.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
