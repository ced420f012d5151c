// Submitting a job: quota check and row first, then the provider, so a crash leaves a row that explains itself.
import { ProviderError, type ReferenceImage, type VideoClient } from '../provider/index.ts';
import { failureFromError, failureFromRemote } from './failures.ts';
import { effectiveLimits } from './quotas.ts';
import { defaultPollPolicy, type PollPolicy } from './schedule.ts';
import type { Job, JobStore, NewJob, QuotaLimits, QuotaRefusal } from './store.ts';

export interface SubmitDeps {
  store: JobStore;
  client: Pick<VideoClient, 'create' | 'remix'>;
  defaults: QuotaLimits;
  now?: () => number;
  policy?: PollPolicy;
  /** Called once the job is queued, to wake the tracker. */
  onQueued?: (job: Job) => void;
}

export type SubmitResult =
  | { ok: true; job: Job }
  | { ok: false; reason: 'quota'; refusal: QuotaRefusal }
  | { ok: false; reason: 'provider'; error: ProviderError; job: Job };

export interface SubmitRequest extends NewJob {
  reference?: ReferenceImage;
  /** Remix of this provider video instead of a fresh generation. */
  remixOfRemoteId?: string;
}

export async function submitJob(deps: SubmitDeps, request: SubmitRequest): Promise<SubmitResult> {
  const now = deps.now ?? Date.now;
  const policy = deps.policy ?? defaultPollPolicy;
  const limits = effectiveLimits(deps.defaults, deps.store.guildSettings(request.guildId));
  const inserted = deps.store.insertWithinQuota(request, limits);
  if (!inserted.ok) return { ok: false, reason: 'quota', refusal: inserted.refusal };
  const job = inserted.job;

  // The same key for the same row: a retried create can never become a second billed job.
  const idempotencyKey = `reelbot-${job.id}-${job.createdAt}`;
  let remote: Awaited<ReturnType<VideoClient['create']>>;
  try {
    remote = request.remixOfRemoteId
      ? await deps.client.remix(request.remixOfRemoteId, request.prompt, idempotencyKey)
      : await deps.client.create({
          model: request.model,
          prompt: request.prompt,
          seconds: request.seconds,
          size: request.size,
          reference: request.reference,
          idempotencyKey,
        });
  } catch (thrown) {
    const error = thrown instanceof ProviderError ? thrown : new ProviderError('network', String(thrown));
    const failure = failureFromError(error);
    const failed = deps.store.transition(job.id, 'failed', {
      errorKind: failure.kind,
      errorCode: failure.code,
      errorMessage: failure.message,
      charged: false,
    });
    return { ok: false, reason: 'provider', error, job: failed };
  }

  if (remote.status === 'failed') {
    const failure = failureFromRemote(remote);
    const failed = deps.store.transition(job.id, 'failed', {
      remoteId: remote.id,
      errorKind: failure.kind,
      errorCode: failure.code,
      errorMessage: failure.message,
      charged: false,
    });
    return {
      ok: false,
      reason: 'provider',
      error: new ProviderError('invalid_request', failure.message),
      job: failed,
    };
  }

  const at = now();
  const queued = deps.store.transition(job.id, remote.status === 'in_progress' ? 'in_progress' : 'queued', {
    remoteId: remote.id,
    progress: remote.progress,
    reportsProgress: remote.reportsProgress,
    // Even a job the provider says is done goes through one poll, which reads its links.
    nextPollAt: at + (remote.status === 'completed' ? 0 : policy.firstPollMs),
  });
  deps.onQueued?.(queued);
  return { ok: true, job: queued };
}
