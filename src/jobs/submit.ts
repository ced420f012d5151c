// Submitting a job: quota check and row first, then the provider, so a crash leaves a row that explains itself.
import type { Logger } from 'pino';
import {
  errorFromThrown,
  mayHaveBeenAccepted,
  type ProviderError,
  type ReferenceImage,
  type VideoClient,
  type VideoJob,
} from '../provider/index.ts';
import { failureFromError, failureFromRemote, providerErrorFromFailure } from './failures.ts';
import { effectiveLimits } from './quotas.ts';
import { styledPrompt } from './requestSettings.ts';
import { defaultPollPolicy, type PollPolicy, withWebhooks } from './schedule.ts';
import type { Job, JobStore, NewJob, QuotaLimits, QuotaRefusal } from './store/index.ts';
import { writtenWhenBack } from './storeOutage.ts';
import type { Submissions } from './submissions.ts';
import { applyPendingEvent, type WebhookState } from './webhooks.ts';

export interface SubmitDeps {
  store: JobStore;
  /** This process's creates in flight: the sweep leaves their rows alone, a graceful stop waits for them. */
  submissions: Submissions;
  client: Pick<VideoClient, 'create' | 'remix' | 'remove'>;
  defaults: QuotaLimits;
  now?: () => number;
  policy?: PollPolicy;
  logger?: Logger;
  /** Called once the job is queued, to wake the tracker. */
  onQueued?: (job: Job) => void;
  /**
   * Provider webhooks (when on): while they arrive, the first poll is the safety net's, and an
   * event that came before the create's answer was stored is applied once it is.
   */
  webhooks?: Pick<WebhookState, 'schedule'>;
}

/** What became of one job sent to the provider. */
export type SentJob =
  /** Accepted: queued, or already canceled by a moderator while the provider was being asked (see `job.state`). */
  { ok: true; job: Job } | { ok: false; reason: 'provider'; error: ProviderError; job: Job };

export type QuotaRefused = { ok: false; reason: 'quota'; refusal: QuotaRefusal };

export type SubmitResult = SentJob | QuotaRefused;

export interface SubmitRequest extends Omit<NewJob, 'firstCardPendingUntil'> {
  /** What is sent of each reference image (the job keeps `referenceImages`). */
  references?: readonly ReferenceImage[];
  /** Remix of this provider video instead of a fresh generation. */
  remixOfRemoteId?: string;
  /**
   * The caller draws the job's first card once this returns: until then, and for at most this long
   * after the job is queued, no process edits the card (a later poll shows what it would have).
   */
  firstCardWithinMs?: number;
}

export async function submitJob(deps: SubmitDeps, request: SubmitRequest): Promise<SubmitResult> {
  const submitted = await submitTakes(deps, request, 1);
  if (!submitted.ok) return submitted;
  const [sent] = submitted.takes;
  if (!sent) throw new Error('a request of one take sent no job');
  return sent;
}

/**
 * `takes` jobs of the same settings, one request: their rows are inserted together within the
 * quotas (or none, when they do not all fit), then each is sent to the provider, all at once.
 */
export async function submitTakes(
  deps: SubmitDeps,
  request: SubmitRequest,
  takes: number,
): Promise<{ ok: true; takes: SentJob[] } | QuotaRefused> {
  const now = deps.now ?? Date.now;
  const limits = effectiveLimits(deps.defaults, await deps.store.guildSettings(request.guildId));
  const firstCardPendingUntil =
    request.firstCardWithinMs === undefined ? null : now() + request.firstCardWithinMs;
  const inserted = await deps.store.insertTakesWithinQuota(
    { ...request, firstCardPendingUntil },
    takes,
    limits,
  );
  if (!inserted.ok) return { ok: false, reason: 'quota', refusal: inserted.refusal };
  // This process owns the rows until the provider's answers are written: the sweep leaves them alone.
  const sent = inserted.jobs.map((job) => deps.submissions.track(job.id, send(deps, request, job)));
  return { ok: true, takes: await Promise.all(sent) };
}

/**
 * Once the provider has answered, its answer is the job's: a store that cannot be reached then is
 * waited for (the create is not undone, nor sent again), and the member waits with it.
 */
async function send(deps: SubmitDeps, request: SubmitRequest, job: Job): Promise<SentJob> {
  const { store } = deps;
  const recorded = <T>(write: () => Promise<T>) => writtenWhenBack(store, write);
  const now = deps.now ?? Date.now;
  const policy = deps.policy ?? defaultPollPolicy;
  // The same key for the same row: a retried create can never become a second billed job.
  const idempotencyKey = `reelbot-${job.id}-${job.createdAt}`;
  // The row keeps the member's prompt and the style apart; the provider is sent them together.
  const prompt = styledPrompt(request.prompt, request.style);
  let remote: VideoJob;
  try {
    remote = request.remixOfRemoteId
      ? await deps.client.remix(request.remixOfRemoteId, prompt, idempotencyKey)
      : await deps.client.create({
          model: request.model,
          prompt,
          seconds: request.seconds,
          size: request.size,
          references: request.references,
          idempotencyKey,
        });
  } catch (thrown) {
    const error = errorFromThrown(thrown);
    const failure = failureFromError(error);
    // A create the provider may have accepted (a 5xx, a timeout, a connection lost after sending)
    // counts toward the quotas: the provider may bill it, quotas bound what the account spends,
    // and the member is told so (failure.provider_unclear), never "nothing was charged".
    const charged = mayHaveBeenAccepted(error);
    const failed = await recorded(() =>
      store.tryTransition(
        job.id,
        'failed',
        { errorKind: failure.kind, errorCode: failure.code, errorMessage: failure.message, charged },
        ['submitting'],
      ),
    );
    // Canceled meanwhile: nothing reached the provider, and the row keeps the moderator's word.
    return {
      ok: false,
      reason: 'provider',
      error,
      job: failed ?? (await recorded(() => store.get(job.id))) ?? job,
    };
  }

  if (remote.status === 'failed') {
    const failure = failureFromRemote(remote);
    const failed = await recorded(() =>
      store.tryTransition(
        job.id,
        'failed',
        {
          remoteId: remote.id,
          errorKind: failure.kind,
          errorCode: failure.code,
          errorMessage: failure.message,
          charged: false,
        },
        ['submitting'],
      ),
    );
    const error = providerErrorFromFailure(failure);
    return {
      ok: false,
      reason: 'provider',
      error,
      job: failed ?? (await recorded(() => store.update(job.id, { remoteId: remote.id }))),
    };
  }

  const firstPollMs = withWebhooks(policy.firstPollMs, await webhookSchedule(deps));
  const at = now();
  const queue = () =>
    store.tryTransition(
      job.id,
      remote.status === 'in_progress' ? 'in_progress' : 'queued',
      {
        remoteId: remote.id,
        progress: remote.progress,
        reportsProgress: remote.reportsProgress,
        // Even a job the provider says is done goes through one poll, which reads its links.
        nextPollAt: at + (remote.status === 'completed' ? 0 : firstPollMs),
        // From now on other processes may poll it: the first card's bound counts from here.
        ...(request.firstCardWithinMs === undefined
          ? {}
          : { firstCardPendingUntil: at + request.firstCardWithinMs }),
      },
      ['submitting'],
    );
  const queued = await recorded(
    async () => (await queue()) ?? (await queuedBefore(store, job.id, remote.id)),
  );
  if (!queued) return { ok: true, job: await recorded(() => withdraw(deps, job.id, remote.id)) };
  if (deps.webhooks) await applyEarlyEvent(deps, remote.id);
  deps.onQueued?.(queued);
  return { ok: true, job: queued };
}

/** Whether webhooks arrive now; a store that cannot say is taken as no (the job's polls decide). */
async function webhookSchedule(deps: SubmitDeps) {
  return deps.webhooks?.schedule().catch((error: unknown) => {
    deps.logger?.warn({ err: error }, 'could not read whether provider webhooks arrive');
    return undefined;
  });
}

/** Best effort: an early event that cannot be applied now is still found by the job's own polls. */
async function applyEarlyEvent(deps: SubmitDeps, remoteId: string): Promise<void> {
  const now = deps.now ?? Date.now;
  try {
    if (await applyPendingEvent(deps.store, remoteId, now())) {
      deps.logger?.info(
        { videoId: remoteId },
        'provider webhook that came before the job was stored: polling now',
      );
    }
  } catch (error) {
    deps.logger?.warn(
      { err: error, videoId: remoteId },
      'could not apply a provider webhook kept for this job',
    );
  }
}

/**
 * The row already moved on with the provider's id, and not to canceled: an earlier try of the same
 * write committed though its answer was lost with the connection (a COMMIT cut short).
 */
async function queuedBefore(store: JobStore, jobId: number, remoteId: string): Promise<Job | undefined> {
  const current = await store.get(jobId);
  return current?.remoteId === remoteId && current.state !== 'canceled' ? current : undefined;
}

/**
 * The job was canceled while the provider was creating it: keep the provider's id on the row (the
 * job was sent, and may be billed) and ask the provider to drop it, best effort.
 */
async function withdraw(deps: SubmitDeps, jobId: number, remoteId: string): Promise<Job> {
  const job = await deps.store.update(jobId, { remoteId });
  await deps.client.remove(remoteId).catch((error: unknown) => {
    deps.logger?.info({ err: error, jobId }, 'the provider did not delete a job canceled while it was sent');
  });
  return job;
}
