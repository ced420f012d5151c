// Waiting for work in flight, with a bound: a graceful stop must never hang on one stuck request.
import { timerMs } from '../timers.ts';

/** Resolves true once every promise has settled, or false when `timeoutMs` passed first. */
export async function settleWithin(work: Iterable<Promise<unknown>>, timeoutMs: number): Promise<boolean> {
  return (await resultWithin(Promise.allSettled(work), timeoutMs)) !== undefined;
}

/**
 * `work`'s value when it resolves within `timeoutMs`, else undefined (it goes on: await it again
 * for its value later). A rejection within the time is thrown.
 */
export async function resultWithin<T>(
  work: Promise<T>,
  timeoutMs: number,
): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timerMs(timeoutMs));
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
