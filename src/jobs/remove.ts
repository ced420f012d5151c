// Removing a delivered video (issue 12): the row says who removed it and when, the kept file goes
// (so the bot's links to it stop working) and the provider is asked to delete its copy. The
// prompt, the settings and the reference images stay: the job is still the member's, and
// Regenerate may make it again.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { VideoClient } from '../provider/index.ts';
import { keptVideoPath } from './keptFiles.ts';
import type { Job, JobStore, RemoverRole } from './store/index.ts';

export interface Remover {
  userId: string;
  role: RemoverRole;
}

/**
 * Marks the delivered job removed and deletes its kept video. Undefined when the job is not
 * delivered (any more) or was removed already: nothing changes then. The mark is one conditional
 * write, so of two removals at once (two moderators, two processes) only the first does anything.
 */
export async function removeVideo(
  deps: {
    store: JobStore;
    mediaDir: string;
    now: () => number;
    client: Pick<VideoClient, 'remove'>;
    logger: Pick<Logger, 'info'>;
  },
  job: Job,
  by: Remover,
): Promise<Job | undefined> {
  if (job.state !== 'delivered' || job.removedAt !== null) return undefined;
  const removed = await deps.store.markRemoved(job.id, by.userId, by.role, deps.now());
  if (!removed) return undefined;
  // The file under the job's own name, and wherever the row said it was (the same, unless moved).
  const paths = new Set([keptVideoPath(deps.mediaDir, job), ...(job.mediaPath ? [job.mediaPath] : [])]);
  await Promise.all([...paths].map((path) => rm(path, { force: true })));
  // Best effort and not awaited: a gateway without DELETE keeps its copy until it expires there.
  if (removed.remoteId) {
    deps.client.remove(removed.remoteId).catch((error: unknown) => {
      deps.logger.info({ err: error, jobId: job.id }, "the provider did not delete the removed job's video");
    });
  }
  return removed;
}
