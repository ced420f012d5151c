// The tracker: one loop per process that carries every job from queued to completed.
// It knows nothing of Discord: it writes rows and emits events.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ProviderError, type VideoClient, type VideoJob } from '../provider/index.ts';
import { type Failure, failureFromRemote } from './failures.ts';
import {
  defaultPollPolicy,
  nextPollDelay,
  type PollPolicy,
  type PollSubject,
  retryPollDelay,
} from './schedule.ts';
import { pollingStates } from './states.ts';
import type { Job, JobStore } from './store.ts';

export interface TrackerEvents {
  progress: [job: Job];
  completed: [job: Job];
  failed: [job: Job];
  expired: [job: Job];
}

export interface TrackerOptions {
  store: JobStore;
  client: Pick<VideoClient, 'retrieve'>;
  logger: Logger;
  now?: () => number;
  policy?: PollPolicy;
  /** Provider requests in flight at once. */
  concurrency?: number;
  /** A job still running after this long fails as timed out. */
  maxAgeMs?: number;
  /** How long a job stuck in `submitting` may have been left by a crash before it is failed. */
  submittingGraceMs?: number;
  /** When the provider gives no expiry, assume its content is kept this long after completion. */
  contentTtlMs?: number;
  /** Replaces the polling schedule (benchmarks compare fixed intervals against the predictive one). */
  nextDelay?: (job: PollSubject, now: number) => number;
}

/** A claimed job is leased for this long; a crash mid-poll only delays it by that much. */
const leaseMs = 60_000;
const sweepEveryMs = 30_000;

export type Tracker = ReturnType<typeof createTracker>;

export function createTracker(options: TrackerOptions) {
  const { store, client, logger } = options;
  const now = options.now ?? Date.now;
  const policy = options.policy ?? defaultPollPolicy;
  const concurrency = options.concurrency ?? 8;
  const maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
  const submittingGraceMs = options.submittingGraceMs ?? 60_000;
  const contentTtlMs = options.contentTtlMs ?? 60 * 60_000;
  const nextDelay = options.nextDelay ?? ((job: PollSubject, at: number) => nextPollDelay(job, at, policy));
  const events = new EventEmitter<TrackerEvents>();

  let running = false;
  let inFlight = 0;
  let pausedUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  const pending = new Set<Promise<void>>();

  const emit = (event: keyof TrackerEvents, job: Job) => {
    try {
      events.emit(event, job);
    } catch (error) {
      logger.error({ err: error, event }, 'a tracker listener threw');
    }
  };

  function fail(job: Job, failure: Failure): void {
    const failed = store.tryTransition(job.id, 'failed', {
      errorKind: failure.kind,
      errorCode: failure.code,
      errorMessage: failure.message,
      // Failed generations are not billed by the provider, so they spend no quota either.
      charged: false,
      nextPollAt: null,
    });
    if (failed) emit('failed', failed);
  }

  function apply(polled: Job, remote: VideoJob): void {
    // The job may have been canceled while the request was in flight: its row has the last word.
    const job = store.get(polled.id);
    if (!job || !pollingStates.includes(job.state)) return;
    const at = now();
    if (remote.status === 'completed') {
      const completed = store.tryTransition(job.id, 'completed', {
        progress: 100,
        reportsProgress: remote.reportsProgress || job.reportsProgress,
        videoUrl: remote.videoUrl,
        videoExpiresAt: remote.expiresAt ? remote.expiresAt * 1000 : at + contentTtlMs,
        completedAt: at,
        nextPollAt: null,
      });
      if (completed) emit('completed', completed);
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
    };
    const patch = {
      progress: remote.progress,
      reportsProgress: remote.reportsProgress,
      progressChangedAt,
      pollAttempts: 0,
      nextPollAt: at + nextDelay(subject, at),
    };
    const updated =
      remote.status === 'in_progress' && job.state === 'queued'
        ? store.tryTransition(job.id, 'in_progress', patch)
        : store.update(job.id, patch);
    if (updated && (changed || updated.state !== job.state)) emit('progress', updated);
  }

  function handlePollError(job: Job, error: ProviderError): void {
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
      // A 429 is provider-wide: pause every poll, not just this one.
      pausedUntil = Math.max(pausedUntil, at + (error.retryAfterMs ?? 30_000));
      store.update(job.id, { nextPollAt: pausedUntil });
      logger.warn({ retryAfterMs: error.retryAfterMs }, 'video API rate limit: pausing polls');
      return;
    }
    const failures = job.pollAttempts + 1;
    store.update(job.id, { pollAttempts: failures, nextPollAt: at + retryPollDelay(failures, policy) });
    logger.warn({ jobId: job.id, kind: error.kind, failures }, 'poll failed; will retry');
  }

  async function poll(job: Job): Promise<void> {
    if (!job.remoteId) return;
    try {
      apply(job, await client.retrieve(job.remoteId));
    } catch (thrown) {
      const error = thrown instanceof ProviderError ? thrown : new ProviderError('network', String(thrown));
      handlePollError(job, error);
    }
  }

  function track(job: Job): void {
    inFlight++;
    const promise = poll(job).finally(() => {
      inFlight--;
      pending.delete(promise);
      schedule(0);
    });
    pending.add(promise);
  }

  function tick(): void {
    timer = undefined;
    if (!running) return;
    if (now() < pausedUntil) return schedule(pausedUntil - now());
    const free = concurrency - inFlight;
    if (free > 0) for (const job of store.claimDue(free, leaseMs)) track(job);
    schedule();
  }

  /** Arms the one timer for the next due poll (or `inMs` when given). */
  function schedule(inMs?: number): void {
    if (!running || inFlight >= concurrency) return;
    let delay = inMs;
    if (delay === undefined) {
      const due = store.nextDueAt();
      if (due === null) return;
      delay = Math.max(0, Math.max(due, pausedUntil) - now());
    }
    if (timer) clearTimeout(timer);
    // Capped so a clock jump or an outside write to the table is noticed within a few seconds.
    timer = setTimeout(tick, Math.min(delay, 5_000));
  }

  /** Fails, expires and re-announces what a crash or a long outage left behind. */
  function sweep(): void {
    const at = now();
    for (const job of store.byState(['submitting'])) {
      if (at - job.createdAt > submittingGraceMs) {
        // Never re-submitted: if the provider did get it, sending it again would bill twice.
        fail(job, {
          kind: 'interrupted',
          code: null,
          message: 'reelbot restarted while submitting this job',
        });
      }
    }
    for (const job of store.byState(['completed', 'delivering'])) {
      if (!job.mediaPath && job.videoExpiresAt !== null && job.videoExpiresAt < at) {
        const expired = store.tryTransition(job.id, 'expired', { nextPollAt: null });
        if (expired) emit('expired', expired);
      }
    }
  }

  return {
    events,
    on: events.on.bind(events),

    /** Starts the loop: resumes every job from its row and re-announces undelivered completions. */
    start(): void {
      if (running) return;
      running = true;
      const at = now();
      // Leases of a crashed process would delay the first poll by a minute: bring them forward.
      store.db
        .prepare(
          `UPDATE jobs SET next_poll_at = ? WHERE state IN (${pollingStates.map(() => '?').join(', ')})
           AND remote_id IS NOT NULL AND (next_poll_at IS NULL OR next_poll_at > ?)`,
        )
        .run(at, ...pollingStates, at + policy.ceilingMs);
      sweep();
      for (const job of store.byState(['completed', 'delivering'])) emit('completed', job);
      sweepTimer = setInterval(sweep, sweepEveryMs);
      sweepTimer.unref();
      schedule(0);
    },

    /** Wakes the loop after a submission added a job. */
    poke(): void {
      schedule(0);
    },

    /** Stops claiming jobs and waits for the polls in flight, leaving every row consistent. */
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      if (sweepTimer) clearInterval(sweepTimer);
      timer = undefined;
      await Promise.allSettled([...pending]);
    },

    /** Polls every due job once and waits (tests and benchmarks drive time with this). */
    async runDue(): Promise<number> {
      if (now() < pausedUntil) return 0;
      const jobs = store.claimDue(10_000, leaseMs);
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
