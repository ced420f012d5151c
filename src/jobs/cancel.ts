// Canceling a running job: one transition, then a best-effort delete at the provider.
import type { Logger } from 'pino';
import type { VideoClient } from '../provider/index.ts';
import type { Job, JobStore } from './store.ts';

export function isCancelable(job: Job): boolean {
  return job.state === 'submitting' || job.state === 'queued' || job.state === 'in_progress';
}

export async function cancelJob(
  deps: { store: JobStore; client: Pick<VideoClient, 'remove'>; logger: Logger },
  job: Job,
  actorId: string,
): Promise<Job | undefined> {
  if (!isCancelable(job)) return undefined;
  const canceled = deps.store.tryTransition(job.id, 'canceled', {
    nextPollAt: null,
    // A job the provider never started is not billed, so it spends no quota either.
    charged: job.state === 'in_progress',
    errorMessage: `canceled by ${actorId}`,
  });
  if (canceled?.remoteId) {
    await deps.client.remove(canceled.remoteId).catch((error: unknown) => {
      deps.logger.info({ err: error, jobId: job.id }, 'the provider did not delete the canceled job');
    });
  }
  return canceled;
}
