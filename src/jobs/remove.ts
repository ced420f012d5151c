// Removing a delivered video (issue 12): the row says who removed it and when, and the kept file
// goes, so the bot's links to it stop working. The prompt, the settings and the reference images
// stay: the job is still the member's, and Regenerate may make it again.
import { rm } from 'node:fs/promises';
import { keptVideoPath } from './keptFiles.ts';
import type { Job, JobStore, RemoverRole } from './store/index.ts';

export interface Remover {
  userId: string;
  role: RemoverRole;
}

/**
 * Marks the delivered job removed and deletes its kept video. Undefined when the job is not
 * delivered (any more) or was removed already: nothing changes then.
 */
export async function removeVideo(
  deps: { store: JobStore; mediaDir: string; now: () => number },
  job: Job,
  by: Remover,
): Promise<Job | undefined> {
  if (job.state !== 'delivered' || job.removedAt !== null) return undefined;
  const removed = await deps.store.updateWhile(job.id, ['delivered'], {
    removedAt: deps.now(),
    removedBy: by.userId,
    removedByRole: by.role,
    mediaPath: null,
  });
  if (!removed) return undefined;
  // The file under the job's own name, and wherever the row said it was (the same, unless moved).
  const paths = new Set([keptVideoPath(deps.mediaDir, job), ...(job.mediaPath ? [job.mediaPath] : [])]);
  await Promise.all([...paths].map((path) => rm(path, { force: true })));
  return removed;
}
