// The job log: one `info` line per transition an operator follows, from the job's own child
// logger (job id, guild, provider id on every line). What members wrote (prompts, file names)
// and the provider's own wording only at `debug`.
import { jobLogger, type Logger } from '../log.ts';
import type { JobTransition } from './store/index.ts';

/** Logs a committed transition; given to the store as its `onTransition`. Never throws. */
export function logTransitions(logger: Logger): (change: JobTransition) => void {
  return (change) => {
    try {
      logTransition(logger, change);
    } catch (error) {
      logger.error({ err: error, jobId: change.job.id }, 'could not log a job transition');
    }
  };
}

function logTransition(logger: Logger, { job, from, note }: JobTransition): void {
  const log = jobLogger(logger, job);
  switch (job.state) {
    case 'queued':
    case 'in_progress':
      if (from !== 'submitting') return log.debug('job started at the provider');
      log.info(
        {
          channelId: job.channelId,
          userId: job.userId,
          model: job.model,
          seconds: job.seconds,
          size: job.size,
          remixOf: job.remixOfJobId ?? undefined,
        },
        'job submitted',
      );
      return log.debug(
        { prompt: job.prompt, referenceNames: job.referenceImages.map((image) => image.name) },
        'job prompt',
      );
    case 'completed':
      return log.info(
        { generationSeconds: Math.round(((job.completedAt ?? job.updatedAt) - job.createdAt) / 1000) },
        'job completed',
      );
    case 'delivering':
      return log.debug({ attempt: job.deliveryAttempts }, 'job delivering');
    case 'delivered':
      log.info({ how: note?.delivery, bytes: job.mediaBytes ?? undefined }, 'job delivered');
      return log.debug({ mediaPath: job.mediaPath }, 'job delivered from');
    case 'failed':
      log.info({ kind: job.errorKind, code: job.errorCode, from }, 'job failed');
      return log.debug({ reason: job.errorMessage }, 'job failure reason');
    case 'canceled':
      return log.info({ by: note?.canceledBy, from }, 'job canceled');
    case 'expired':
      return log.info({ from }, 'job expired');
    case 'submitting':
      return;
  }
}
