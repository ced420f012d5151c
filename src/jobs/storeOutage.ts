// A job store that cannot be reached for a while (PostgreSQL restarting, a network cut): what must
// not be lost meanwhile is written once it is back. SQLite never raises StoreUnavailableError.
import { type JobStore, StoreUnavailableError } from './store/index.ts';

export interface WhenBackOptions {
  /** How often the write is tried again while the store cannot be reached. */
  everyMs?: number;
  /** After this long the write gives up, rejecting with the last StoreUnavailableError. */
  withinMs?: number;
}

const defaultEveryMs = 1_000;
/** Longer than a PostgreSQL restart or fail-over; a process stopping gives up before it anyway. */
const defaultWithinMs = 10 * 60_000;

const pause = (ms: number) =>
  new Promise<void>((resolve) => {
    // Never what keeps a stopping process alive.
    setTimeout(resolve, ms).unref();
  });

/**
 * Runs `write`, and while it rejects with StoreUnavailableError runs it again once the store says
 * it is available (checked every `everyMs`), for `withinMs` at most. For writes that record what
 * the outside world already did (the provider accepted a job): dropping them would lose the job.
 * Any other error is the caller's at once. The write must be safe to repeat (a conditional one).
 */
export async function writtenWhenBack<T>(
  store: Pick<JobStore, 'isAvailable'>,
  write: () => Promise<T>,
  options: WhenBackOptions = {},
): Promise<T> {
  const everyMs = options.everyMs ?? defaultEveryMs;
  // Counted in waits rather than read from a clock: a clock moved by hand (tests) cannot end it early.
  let waitsLeft = Math.ceil((options.withinMs ?? defaultWithinMs) / everyMs);
  for (;;) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || waitsLeft <= 0) throw error;
    }
    do {
      await pause(everyMs);
      waitsLeft--;
    } while (!store.isAvailable() && waitsLeft > 0);
  }
}
