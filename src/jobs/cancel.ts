// Canceling a running job: one transition, then a best-effort delete at the provider.
import type { Logger } from 'pino';
import type { VideoClient } from '../provider/index.ts';
import type { JobState } from './states.ts';
import type { Job, JobStore } from './store/index.ts';

const cancelableStates: readonly JobState[] = ['submitting', 'queued', 'in_progress'];

export function isCancelable(job: Job): boolean {
  return cancelableStates.includes(job.state);
}

/** A poll may move the job on (queued to in_progress) between the read and the write: read again this often. */
const attempts = 3;

export async function cancelJob(
  deps: { store: JobStore; client: Pick<VideoClient, 'remove'>; logger: Logger },
  job: Job,
  actorId: string,
): Promise<Job | undefined> {
  let canceled: Job | undefined;
  for (let attempt = 1; attempt <= attempts && !canceled; attempt++) {
    // The row as it is now, not as the button's handler read it: the job may have finished meanwhile.
    const current = await deps.store.get(job.id);
    if (!current || !isCancelable(current)) return undefined;
    canceled = await deps.store.tryTransition(
      job.id,
      'canceled',
      {
        // A job the provider never started is not billed, so it spends no quota either.
        charged: current.state === 'in_progress',
        errorMessage: `canceled by ${actorId}`,
      },
      [current.state],
      { canceledBy: actorId },
    );
  }
  // Not awaited: the member sees "Canceled" at once; a slow provider must not hold the card.
  if (canceled?.remoteId) {
    deps.client.remove(canceled.remoteId).catch((error: unknown) => {
      deps.logger.info({ err: error, jobId: job.id }, 'the provider did not delete the canceled job');
    });
  }
  return canceled;
}

/**
 * A moderator's cancel of a request: the job and every other take of its request still running.
 * Returns the jobs canceled (the one named first, when it was running).
 */
export async function cancelRequest(
  deps: { store: JobStore; client: Pick<VideoClient, 'remove'>; logger: Logger },
  job: Job,
  actorId: string,
): Promise<Job[]> {
  const takes = job.requestId === null ? [job] : await takesOf(deps.store, job);
  const canceled: Job[] = [];
  for (const take of takes) {
    const done = await cancelJob(deps, take, actorId);
    if (done) canceled.push(done);
  }
  return canceled;
}

/** Every take of the job's request: `job` first, then the others in order. */
async function takesOf(store: JobStore, job: Job): Promise<Job[]> {
  const requestId = job.requestId ?? job.id;
  const first = requestId === job.id ? job : await store.get(requestId);
  const later = await store.madeFrom(job.guildId, [requestId], job.takeCount);
  const takes = [first, ...later].filter(
    (take): take is Job => take !== undefined && take.requestId === requestId,
  );
  return [job, ...takes.filter((take) => take.id !== job.id)];
}
