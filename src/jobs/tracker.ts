// The tracker: one loop per process that carries every job from queued to completed.
// It knows nothing of Discord: it writes rows and emits events.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import {
  errorFromThrown,
  longestRequestMs,
  type ProviderError,
  type VideoClient,
  type VideoJob,
} from '../provider/index.ts';
import { type Failure, failureFromRemote } from './failures.ts';
import { knowsEnough } from './learnedSchedule.ts';
import {
  defaultPollPolicy,
  defaultRateLimitPolicy,
  nextPollDelay,
  type PollPolicy,
  type PollSubject,
  type RateLimitPolicy,
  rateLimitPause,
  retryPollDelay,
  withWebhooks,
} from './schedule.ts';
import { settleWithin } from './settle.ts';
import { type JobState, pollingStates } from './states.ts';
import { type GenerationQuantiles, type Job, type JobStore, StoreUnavailableError } from './store/index.ts';
import type { Submissions } from './submissions.ts';
import type { WebhookState } from './webhooks.ts';

export interface TrackerEvents {
  progress: [job: Job];
  completed: [job: Job];
  failed: [job: Job];
  expired: [job: Job];
}

/** One poll as it is sent: when it was due and when it went out (benchmarks measure the lag). */
export interface PollSent {
  jobId: number;
  dueAt: number;
  sentAt: number;
}

export interface TrackerOptions {
  store: JobStore;
  /** This process's creates in flight: their `submitting` rows are not orphans. */
  submissions: Submissions;
  client: Pick<VideoClient, 'retrieve'>;
  logger: Logger;
  now?: () => number;
  policy?: PollPolicy;
  /** Provider requests in flight at once. */
  concurrency?: number;
  /**
   * How long a claim holds a job: longer than the longest poll (one retrieve with all its retries
   * and timeouts), so no other process takes a job whose poll is still out.
   */
  leaseMs?: number;
  /** A job still running after this long fails as timed out. */
  maxAgeMs?: number;
  /** How long a job stuck in `submitting` may have been left by a crash before it is failed. */
  submittingGraceMs?: number;
  /** When the provider gives no expiry, assume its content is kept this long after completion. */
  contentTtlMs?: number;
  /** A finished job nothing wrote for this long is handed to delivery again: its delivery went quiet. */
  deliveryIdleMs?: number;
  /**
   * How long a delivery claim holds a job. The sweep hands a job whose delivery claim lapsed (its
   * holder died mid-delivery) to delivery again, and runs at least this often, so such a job waits
   * about one lease more at most.
   */
  deliveryLeaseMs?: number;
  /** The provider-wide pause after a 429. */
  rateLimit?: RateLimitPolicy;
  /** Jitter of the retry backoff. */
  random?: () => number;
  /** Replaces the polling schedule (benchmarks compare fixed intervals against the predictive one). */
  nextDelay?: (job: PollSubject, now: number) => number;
  /** Told of every poll as it is sent. */
  onPoll?: (poll: PollSent) => void;
  /** Provider webhooks (when on): while they arrive, polls are only a sparse safety net. */
  webhooks?: Pick<WebhookState, 'schedule'>;
  /**
   * How long this process keeps a kind's learned generation times before reading them from the
   * store again: they move slowly, and other processes add to them.
   */
  durationsFreshMs?: number;
}

/**
 * A claim outlives the longest poll by this much: the answer's write comes a moment after it. A
 * crash mid-poll delays the job until the lease runs out, or until this instance starts again.
 */
const leaseMarginMs = 30_000;

/** The lease for polls whose requests time out after `timeoutMs` (VIDEO_API_TIMEOUT_MS), retries included. */
export function pollLeaseMs(timeoutMs: number): number {
  return longestRequestMs(timeoutMs) + leaseMarginMs;
}

/** How often the sweep runs, unless the delivery lease is shorter. */
const sweepEveryMs = 30_000;
/** The longest the loop sleeps without reading the table: rows written by other processes are seen within it. */
const lookAgainMs = 5_000;
/**
 * The provider-wide 429 pause, kept in the database so that a restart does not hammer the provider
 * and every process sharing the database pauses too (each reads it on every tick).
 */
const pauseKey = 'provider_rate_limit_pause';
/** While a job's first card is still being drawn, an end found by a poll waits at most this long for it. */
const firstCardRecheckMs = 2_000;
/**
 * While the store cannot be reached, the loop asks it (in memory: it probes the server on its own)
 * this often whether it is back; nothing is claimed, polled or swept meanwhile.
 */
const storeRecheckMs = 1_000;

interface RateLimitPause {
  until: number;
  streak: number;
}

/** The process that took the command is still drawing the job's first card: an edit now could be painted over. */
export const firstCardPending = (job: Job, at: number): boolean =>
  job.firstCardPendingUntil !== null && job.firstCardPendingUntil > at;

export type Tracker = ReturnType<typeof createTracker>;

export function createTracker(options: TrackerOptions) {
  const { store, client, logger } = options;
  const now = options.now ?? Date.now;
  const policy = options.policy ?? defaultPollPolicy;
  const concurrency = options.concurrency ?? 8;
  const leaseMs = options.leaseMs ?? pollLeaseMs(30_000);
  const maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
  const submittingGraceMs = options.submittingGraceMs ?? 60_000;
  const contentTtlMs = options.contentTtlMs ?? 60 * 60_000;
  const deliveryIdleMs = options.deliveryIdleMs ?? 15 * 60_000;
  const sweepIntervalMs = Math.min(sweepEveryMs, options.deliveryLeaseMs ?? sweepEveryMs);
  const rateLimit = options.rateLimit ?? defaultRateLimitPolicy;
  const random = options.random ?? Math.random;
  const nextDelay = options.nextDelay ?? ((job: PollSubject, at: number) => nextPollDelay(job, at, policy));
  const durationsFreshMs = options.durationsFreshMs ?? 60_000;
  const events = new EventEmitter<TrackerEvents>();

  let running = false;
  let inFlight = 0;
  /** Bumped when a stop gives up waiting: polls of an older epoch no longer write anything. */
  let epoch = 0;
  let pausedUntil = 0;
  let rateLimitStreak = 0;
  let timer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  /** The tick under way, if any: one at a time, so the free slots are counted once. */
  let ticking: Promise<void> | undefined;
  let tickAgain = false;
  const pending = new Set<Promise<void>>();
  /** Jobs whose poll is out, abandoned ones included until their request ends: never claimed again meanwhile. */
  const polling = new Set<number>();
  /** Jobs whose poll was out when a webhook said they changed: polled again as soon as it ends. */
  const pollAgain = new Set<number>();
  /** The store could not be reached: said once, when it went, and once when it came back. */
  let storeLost = false;
  /**
   * Polls answered while the store could not be reached, with when their claim runs out: polled
   * again as soon as it is back, rather than after the lease.
   */
  const unrecorded = new Map<number, number>();

  /** Each kind's learned generation times as last read, and when (see durationsOf). */
  const durationsRead = new Map<string, { durations: GenerationQuantiles; at: number }>();

  /**
   * How long jobs of this one's kind took here: from memory while fresh, else one read of the
   * store. A read that fails for another reason than a lost store leaves the job on today's schedule.
   */
  async function durationsOf(job: Job, at: number): Promise<GenerationQuantiles | null> {
    const kind = JSON.stringify([job.model, job.seconds, job.size]);
    const known = durationsRead.get(kind);
    if (known && at - known.at < durationsFreshMs) return known.durations;
    try {
      const durations = await store.generationQuantiles(job.model, job.seconds, job.size);
      durationsRead.set(kind, { durations, at });
      if (knowsEnough(durations) && !knowsEnough(known?.durations)) {
        // When a kind's figures become enough (once, unless a burst hides them again): from here
        // on its jobs that report nothing are polled by them.
        const { model, seconds, size } = job;
        logger.info(
          { model, seconds, size, ...durations },
          'learned how long this kind of video takes: its jobs without progress are polled by it',
        );
      }
      return durations;
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      logger.warn(
        { err: error, jobId: job.id },
        'could not read how long jobs like this took; polling it steadily',
      );
      return null;
    }
  }

  /**
   * Keeps how long the job took to generate: from its creation to halfway between the look before
   * (the last write to its row, as claimed) and the poll that found it done, where it finished on
   * average. Best effort: the completion is already committed and announced.
   */
  async function recordGenerationTime(job: Job, at: number): Promise<void> {
    const lastLook = Math.max(job.createdAt, job.updatedAt);
    // Longer than two of the longest waits between polls: an outage, a pause or a restart came in
    // between, and the sample would measure that gap rather than the provider.
    if (at - lastLook > 2 * policy.ceilingMs) return;
    const finishedAt = at - (at - lastLook) / 2;
    try {
      await store.recordGenerationTime(job.model, job.seconds, job.size, finishedAt - job.createdAt, at);
    } catch (error) {
      logger.warn({ err: error, jobId: job.id }, 'could not keep how long this job took to generate');
    }
  }

  /** Pauses the loop until the store is back; the warning is one per outage, not one per tick. */
  function storeUnavailable(error?: unknown): void {
    if (!storeLost) {
      storeLost = true;
      logger.warn({ err: error }, 'the job store cannot be reached: polls paused until it is back');
    }
  }

  /** The store answered again: polls resume, first those whose answer could not be written. */
  async function storeBack(): Promise<void> {
    const at = now();
    const again = [...unrecorded].filter(([, leaseEndsAt]) => leaseEndsAt > at).map(([id]) => id);
    for (const id of again) {
      // Only a job still waiting on the provider; a write of nextPollAt ends our claim.
      const rescheduled = await store.updateWhile(id, pollingStates, { nextPollAt: at });
      // Or one whose completion did commit though the answer was lost with the connection: delivered now.
      const row = rescheduled ? undefined : await store.get(id);
      if (row?.state === 'completed') emit('completed', row);
      unrecorded.delete(id);
    }
    unrecorded.clear();
    storeLost = false;
    logger.info({ repolled: again.length }, 'the job store is back: polls resume');
  }

  function parsePause(text: string | null): RateLimitPause {
    try {
      const saved: unknown = JSON.parse(text ?? '{}');
      if (saved && typeof saved === 'object' && 'until' in saved && 'streak' in saved) {
        return { until: Number(saved.until) || 0, streak: Number(saved.streak) || 0 };
      }
    } catch (error) {
      logger.warn({ err: error }, 'ignoring an unreadable saved rate-limit pause');
    }
    return { until: 0, streak: 0 };
  }

  /**
   * Reads the pause every process shares: one that ends later than this process's own (another
   * process hit a 429, or an earlier run did) is taken up. A pause only ever grows until it ends.
   */
  async function readSharedPause(): Promise<void> {
    const saved = parsePause(await store.readValue(pauseKey));
    if (saved.until > pausedUntil) {
      pausedUntil = saved.until;
      rateLimitStreak = saved.streak;
    }
  }

  async function savePause(): Promise<void> {
    await store.writeValue(pauseKey, JSON.stringify({ until: pausedUntil, streak: rateLimitStreak }));
  }

  const emit = (event: keyof TrackerEvents, job: Job) => {
    try {
      events.emit(event, job);
    } catch (error) {
      logger.error({ err: error, event }, 'a tracker listener threw');
    }
  };

  /** Fails the job if it is still in one of `from` (the states the caller saw it in). */
  async function fail(job: Job, failure: Failure, from: readonly JobState[] = pollingStates): Promise<void> {
    const failed = await store.tryTransition(
      job.id,
      'failed',
      {
        errorKind: failure.kind,
        errorCode: failure.code,
        errorMessage: failure.message,
        // Failed generations are not billed by the provider, so they spend no quota either.
        charged: false,
      },
      from,
    );
    if (failed) emit('failed', failed);
  }

  /**
   * The job's first card is still being drawn (by whichever process took the command): an end shown
   * now could be painted over by it. The job is polled again shortly instead; true when it waits.
   */
  async function waitForFirstCard(job: Job, at: number): Promise<boolean> {
    if (!firstCardPending(job, at)) return false;
    const current = await store.get(job.id);
    if (!current?.firstCardPendingUntil || !firstCardPending(current, at)) return false;
    const nextPollAt = Math.min(current.firstCardPendingUntil, at + firstCardRecheckMs);
    await store.updateWhile(job.id, pollingStates, { nextPollAt });
    return true;
  }

  /**
   * Writes what the provider said. The job may have been canceled while the request was in
   * flight: every write below is conditional on the row still waiting on the provider.
   */
  async function apply(job: Job, remote: VideoJob, sentAt: number): Promise<void> {
    const at = now();
    if (rateLimitStreak > 0 && sentAt >= pausedUntil) {
      rateLimitStreak = 0;
      await savePause();
    }
    if ((remote.status === 'completed' || remote.status === 'failed') && (await waitForFirstCard(job, at))) {
      return;
    }
    if (remote.status === 'completed') {
      const completed = await store.tryTransition(
        job.id,
        'completed',
        {
          progress: 100,
          reportsProgress: remote.reportsProgress || job.reportsProgress,
          videoUrl: remote.videoUrl,
          videoExpiresAt: remote.expiresAt ? remote.expiresAt * 1000 : at + contentTtlMs,
          completedAt: at,
        },
        pollingStates,
      );
      if (completed) {
        emit('completed', completed);
        await recordGenerationTime(job, at);
      }
      return;
    }
    if (remote.status === 'failed') return fail(job, failureFromRemote(remote));
    if (at - job.createdAt > maxAgeMs) {
      return fail(job, {
        kind: 'timed_out',
        code: null,
        message: `not finished after ${Math.round(maxAgeMs / 60_000)} minutes`,
      });
    }
    const changed = remote.progress !== job.progress;
    const progressChangedAt = changed ? at : job.progressChangedAt;
    const previous =
      changed && job.progressChangedAt !== null
        ? { progress: job.progress, at: job.progressChangedAt }
        : undefined;
    const subject = {
      ...job,
      progress: remote.progress,
      reportsProgress: remote.reportsProgress,
      progressChangedAt,
      previous,
      durations: await durationsOf(job, at),
    };
    const patch = {
      progress: remote.progress,
      reportsProgress: remote.reportsProgress,
      progressChangedAt,
      pollAttempts: 0,
      nextPollAt: at + withWebhooks(nextDelay(subject, at), await options.webhooks?.schedule()),
    };
    const updated =
      remote.status === 'in_progress' && job.state === 'queued'
        ? await store.tryTransition(job.id, 'in_progress', patch, ['queued'])
        : await store.updateWhile(job.id, pollingStates, patch);
    if (updated && (changed || updated.state !== job.state)) emit('progress', updated);
  }

  async function handlePollError(job: Job, error: ProviderError, sentAt: number): Promise<void> {
    const at = now();
    if (error.kind === 'not_found') {
      return fail(job, {
        kind: 'not_found',
        code: error.code,
        message: 'the provider no longer knows this job',
      });
    }
    if (at - job.createdAt > maxAgeMs) {
      return fail(job, { kind: 'timed_out', code: error.code, message: error.message });
    }
    if (error.kind === 'rate_limited') {
      // A 429 is provider-wide: pause every poll. A poll sent before the current pause ended
      // belongs to the burst that started it and does not make the pause longer.
      if (sentAt >= pausedUntil) {
        rateLimitStreak++;
        pausedUntil = Math.max(
          pausedUntil,
          at + rateLimitPause(rateLimitStreak, error.retryAfterMs, rateLimit),
        );
        await savePause();
        logger.warn(
          { retryAfterMs: error.retryAfterMs, pauseMs: pausedUntil - at, streak: rateLimitStreak },
          'video API rate limit: pausing polls',
        );
      }
      // Only a job still waiting on the provider is rescheduled: a canceled one must never look due.
      await store.updateWhile(job.id, pollingStates, { nextPollAt: pausedUntil });
      return;
    }
    const failures = job.pollAttempts + 1;
    const delay = Math.max(error.retryAfterMs ?? 0, retryPollDelay(failures, policy, random));
    await store.updateWhile(job.id, pollingStates, { pollAttempts: failures, nextPollAt: at + delay });
    logger.warn({ jobId: job.id, kind: error.kind, failures, delayMs: delay }, 'poll failed; will retry');
  }

  /** Never rejects: whatever happens is written to the row (or, once abandoned, left to the next start). */
  async function poll(job: Job): Promise<void> {
    if (!job.remoteId || polling.has(job.id)) return;
    polling.add(job.id);
    try {
      await pollOnce(job, job.remoteId);
    } finally {
      polling.delete(job.id);
    }
    // A webhook came while the poll was out: its answer may predate what the webhook announced.
    if (pollAgain.delete(job.id)) {
      await store.updateWhile(job.id, pollingStates, { nextPollAt: now() }).catch((error: unknown) => {
        logger.warn({ err: error, jobId: job.id }, 'could not bring a poll forward after a webhook');
      });
    }
  }

  async function pollOnce(job: Job, remoteId: string): Promise<void> {
    const started = epoch;
    const sentAt = now();
    const leaseEndsAt = sentAt + leaseMs;
    if (job.nextPollAt !== null) options.onPoll?.({ jobId: job.id, dueAt: job.nextPollAt, sentAt });
    let outcome: { remote: VideoJob } | { error: ProviderError };
    try {
      outcome = { remote: await client.retrieve(remoteId) };
    } catch (thrown) {
      outcome = { error: errorFromThrown(thrown) };
    }
    // A stop gave up on this poll: its row keeps its claim, and the next start polls it again.
    if (started !== epoch) return;
    try {
      if ('remote' in outcome) await apply(job, outcome.remote, sentAt);
      else await handlePollError(job, outcome.error, sentAt);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        // Nothing was written (each write is one transaction): the job is polled again once the store is back.
        unrecorded.set(job.id, leaseEndsAt);
        storeUnavailable(error);
        return;
      }
      logger.error({ err: error, jobId: job.id }, 'could not record a poll; the job is polled again later');
    }
  }

  function track(job: Job): void {
    inFlight++;
    const promise = poll(job).finally(() => {
      inFlight--;
      pending.delete(promise);
      wake(0);
    });
    pending.add(promise);
  }

  /** Claims what is due into the free slots, then arms the timer for the next due poll. */
  async function tick(): Promise<void> {
    if (!store.isAvailable()) {
      storeUnavailable();
      return wake(storeRecheckMs);
    }
    if (storeLost) await storeBack();
    await readSharedPause();
    if (!running) return;
    if (now() < pausedUntil) return wake(pausedUntil - now());
    const free = concurrency - inFlight;
    const claimed = free > 0 ? await store.claimDue(free, leaseMs, [...polling]) : [];
    // Stopped while claiming: the claims stay, as an abandoned poll's do, for the next start (or their lease).
    if (!running) return;
    for (const job of claimed) track(job);
    const due = await store.nextDueAt();
    // Nothing due still looks again: another process (TRACKER=false, a shard) may add a job.
    wake(due === null ? lookAgainMs : Math.max(0, Math.max(due, pausedUntil) - now()));
  }

  /** The timer's callback: one tick at a time; a wake during one runs another right after it. */
  function runTick(): void {
    timer = undefined;
    if (!running) return;
    if (ticking) {
      tickAgain = true;
      return;
    }
    ticking = tick()
      .catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) {
          storeUnavailable(error);
          return wake(storeRecheckMs);
        }
        logger.error({ err: error }, 'the tracker could not read its jobs; trying again shortly');
        wake(lookAgainMs);
      })
      .finally(() => {
        ticking = undefined;
        if (tickAgain) {
          tickAgain = false;
          wake(0);
        }
      });
  }

  /** Arms the one timer in `inMs`, capped so a clock jump or an outside write is noticed within seconds. */
  function wake(inMs: number): void {
    if (!running || inFlight >= concurrency) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(runTick, Math.min(inMs, lookAgainMs));
  }

  /** Fails the jobs a crash left in `submitting`: never re-submitted, since that could bill twice. */
  async function failOrphans(at: number): Promise<void> {
    for (const job of await store.byState(['submitting'])) {
      // A create this process is still waiting for may take minutes: only orphans are failed.
      if (options.submissions.has(job.id) || at - job.createdAt <= submittingGraceMs) continue;
      await fail(
        job,
        { kind: 'interrupted', code: null, message: 'reelbot restarted while submitting this job' },
        ['submitting'],
      );
    }
  }

  /**
   * Fails orphaned submissions and hands deliveries that went quiet (or whose claim lapsed) to
   * delivery again. Nothing
   * is expired by the clock: after a long outage the provider may still have the video, so the
   * download is tried, and only its answer (the content is gone) expires a job.
   */
  async function sweep(): Promise<void> {
    const at = now();
    await failOrphans(at);
    for (const job of await store.undeliveredIdle(at, deliveryIdleMs)) emit('completed', job);
  }

  return {
    events,
    on: events.on.bind(events),

    /** Starts the loop: resumes every job from its row and re-announces undelivered completions. */
    async start(): Promise<void> {
      if (running) return;
      running = true;
      // The claims of this instance's previous run died with it: bring them forward rather than
      // wait for their leases. Waits the provider asked for (Retry-After, the 429 pause) still hold.
      await store.releaseOwnStaleClaims();
      await readSharedPause();
      await failOrphans(now());
      // Every undelivered completion, however old: its download decides whether it expired.
      for (const job of await store.byState(['completed', 'delivering'])) emit('completed', job);
      sweepTimer = setInterval(() => {
        // While the store is away the loop says so; the sweep waits for it, as the polls do.
        if (!store.isAvailable()) return;
        sweep().catch((error: unknown) => {
          if (error instanceof StoreUnavailableError) storeUnavailable(error);
          else logger.error({ err: error }, 'the sweep could not read its jobs');
        });
      }, sweepIntervalMs);
      sweepTimer.unref();
      wake(0);
    },

    /** Wakes the loop after a submission added a job. */
    poke(): void {
      wake(0);
    },

    /**
     * A webhook made job `jobId` due now (its row says so): wakes the loop, or, when its poll is
     * out right now, has it polled again as soon as that poll ends.
     */
    pollNow(jobId: number): void {
      if (polling.has(jobId)) pollAgain.add(jobId);
      wake(0);
    },

    /**
     * Stops claiming jobs and waits up to `timeoutMs` for the polls in flight. A poll still running
     * then (a provider outage can hold one for minutes) is abandoned: its answer is ignored and its
     * row keeps its claim, so the next start polls it again. Resolves false when it abandoned any.
     */
    async stop(timeoutMs = 5_000): Promise<boolean> {
      running = false;
      if (timer) clearTimeout(timer);
      if (sweepTimer) clearInterval(sweepTimer);
      timer = undefined;
      const settled = await settleWithin([...pending, ...(ticking ? [ticking] : [])], timeoutMs);
      if (!settled) {
        epoch++;
        logger.warn({ abandoned: pending.size }, 'stopped without waiting for polls in flight');
      }
      return settled;
    },

    /** Polls every due job once and waits (tests and benchmarks drive time with this). */
    async runDue(): Promise<number> {
      await readSharedPause();
      if (now() < pausedUntil) return 0;
      const jobs = await store.claimDue(10_000, leaseMs, [...polling]);
      await Promise.all(jobs.map(poll));
      return jobs.length;
    },

    sweep,
    get pausedUntil() {
      return pausedUntil;
    },
    get inFlight() {
      return inFlight;
    },
  };
}
