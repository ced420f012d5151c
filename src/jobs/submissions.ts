// The creates this process has in flight, by job id. A create may take minutes (retries, image
// preparation), so a `submitting` row is only abandoned when no live submission owns it.
import { settleWithin } from './settle.ts';

export function createSubmissions() {
  const running = new Map<number, Promise<unknown>>();
  return {
    /** Marks `jobId` as being submitted until `work` settles; returns `work`. */
    track<T>(jobId: number, work: Promise<T>): Promise<T> {
      const tracked = work.finally(() => running.delete(jobId));
      // The caller awaits `work` itself; this copy only needs to never reject unobserved.
      running.set(
        jobId,
        tracked.catch(() => undefined),
      );
      return work;
    },
    has(jobId: number): boolean {
      return running.has(jobId);
    },
    get size(): number {
      return running.size;
    },
    /** Resolves true once every submission in flight has settled, false after `timeoutMs`. */
    settled(timeoutMs: number): Promise<boolean> {
      return settleWithin(running.values(), timeoutMs);
    },
  };
}

export type Submissions = ReturnType<typeof createSubmissions>;
