// Waiting for work in flight, with a bound: a graceful stop must never hang on one stuck request.

/** Resolves true once every promise has settled, or false when `timeoutMs` passed first. */
export async function settleWithin(work: Iterable<Promise<unknown>>, timeoutMs: number): Promise<boolean> {
  const all = Promise.allSettled(work).then(() => true);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs));
  });
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
