// Keeps each job's message in step with its row: throttled progress edits, final states at once.
import type { Logger } from 'pino';
import {
  firstCardPending,
  type Job,
  type JobStore,
  StoreUnavailableError,
  type Tracker,
} from '../jobs/index.ts';
import { timerMs } from '../timers.ts';
import type { JobDelivery } from './delivery.ts';
import type { JobMessenger } from './messenger.ts';
import { type RenderContext, renderJob } from './render.ts';

/** Arms a callback after `ms`; returns what cancels it. Injected so tests drive time. */
export type Schedule = (run: () => void, ms: number) => () => void;

const realTimers: Schedule = (run, ms) => {
  const timer = setTimeout(run, timerMs(ms));
  timer.unref();
  return () => clearTimeout(timer);
};

export interface NotifierOptions {
  store: JobStore;
  messenger: JobMessenger;
  delivery: JobDelivery;
  logger: Logger;
  renderContext: (job: Job) => Omit<RenderContext, 'now' | 'delivery'>;
  /** The server's video seconds per 24 hours, for the cost line of a running card. */
  secondsPerDay?: (guildId: string) => Promise<number>;
  now?: () => number;
  /** At most one progress edit per message in this window. */
  minEditIntervalMs?: number;
  /** Progress edits in flight at once, across all jobs. */
  concurrency?: number;
  schedule?: Schedule;
}

interface EditState {
  lastEditAt: number;
  /** What the member saw last (state and percent): an edit is only worth it when this changes. */
  shown: string;
  dirty: boolean;
}

// Elapsed time is a Discord timestamp that clients keep current, so it needs no edits.
const visible = (job: Job) => `${job.state}:${job.progress}`;
const showsProgress = (job: Job) => job.state === 'queued' || job.state === 'in_progress';

export function createNotifier(options: NotifierOptions) {
  const { store, messenger, delivery, logger } = options;
  const now = options.now ?? Date.now;
  const schedule = options.schedule ?? realTimers;
  const minEditIntervalMs = options.minEditIntervalMs ?? 5_000;
  const concurrency = options.concurrency ?? 4;
  const edits = new Map<number, EditState>();
  /** Per-job chain so a late progress edit can never land after the final one (or a button's update). */
  const chains = new Map<number, Promise<void>>();
  let inFlight = 0;
  let cancelTimer: (() => void) | undefined;
  /** A flush reading rows: the next one waits for it, so the concurrency bound is counted once. */
  let flushing = false;
  let stopped = false;
  const metrics = { edits: 0, skipped: 0 };

  /** Runs `work` after everything queued for the job's message; its result or error is the caller's. */
  function serially<T>(jobId: number, work: () => Promise<T>): Promise<T> {
    const previous = chains.get(jobId) ?? Promise.resolve();
    const result = previous.then(work);
    const link = result.then(
      () => undefined,
      () => undefined,
    );
    chains.set(jobId, link);
    void link.finally(() => {
      if (chains.get(jobId) === link) chains.delete(jobId);
    });
    return result;
  }

  /** Like `serially`, for the notifier's own work: failures are logged, never thrown. */
  function enqueue(jobId: number, work: () => Promise<void>): Promise<void> {
    return serially(jobId, work).catch((error: unknown) => {
      // The tracker says once that the store is away; the next progress shows once it is back.
      if (error instanceof StoreUnavailableError)
        logger.debug({ jobId }, 'no job message edit: the store is away');
      else logger.warn({ err: error, jobId }, 'updating the job message failed');
    });
  }

  function progress(job: Job): void {
    const state = edits.get(job.id) ?? { lastEditAt: Number.NEGATIVE_INFINITY, shown: '', dirty: false };
    if (state.shown === visible(job)) {
      metrics.skipped++;
      return;
    }
    state.dirty = true;
    edits.set(job.id, state);
    arm(250);
  }

  function arm(ms: number): void {
    if (cancelTimer || stopped) return;
    cancelTimer = schedule(flush, ms);
  }

  function flush(): void {
    cancelTimer = undefined;
    if (flushing) return arm(250);
    flushing = true;
    sendDueEdits()
      .catch((error: unknown) => {
        if (error instanceof StoreUnavailableError) logger.debug('progress edits wait for the store');
        else logger.warn({ err: error }, 'could not read the jobs whose messages are due an edit');
        arm(1_000);
      })
      .finally(() => {
        flushing = false;
      });
  }

  /** Sends the due edits, oldest first, within the concurrency bound; re-arms for the rest. */
  async function sendDueEdits(): Promise<void> {
    const at = now();
    let waiting = false;
    for (const [jobId, state] of [...edits]) {
      if (!state.dirty) continue;
      if (inFlight >= concurrency || at - state.lastEditAt < minEditIntervalMs) {
        waiting = true;
        continue;
      }
      state.dirty = false;
      const job = await store.get(jobId);
      // The job ended (or its card was redrawn) while the row was read: its progress state went.
      if (edits.get(jobId) !== state) continue;
      if (!job || !showsProgress(job)) continue;
      if (firstCardPending(job, now())) {
        // Shown once the first card is, by a flush after it.
        state.dirty = true;
        waiting = true;
        continue;
      }
      if (visible(job) === state.shown) {
        metrics.skipped++;
        continue;
      }
      state.lastEditAt = at;
      state.shown = visible(job);
      inFlight++;
      metrics.edits++;
      void enqueue(jobId, async () => {
        // Re-read inside the chain: a cancel or the end may have landed while this edit waited.
        const fresh = await store.get(jobId);
        if (!fresh || !showsProgress(fresh)) return;
        const guildSecondsPerDay = await options.secondsPerDay?.(fresh.guildId);
        await messenger.edit(
          fresh,
          renderJob(fresh, fresh.locale, { ...options.renderContext(fresh), guildSecondsPerDay, now: now() }),
        );
      }).finally(() => {
        inFlight--;
        arm(250);
      });
    }
    if (waiting) arm(1_000);
  }

  return {
    /** Wires the notifier to the tracker's events. */
    attach(tracker: Tracker): void {
      tracker.on('progress', progress);
      tracker.on('completed', (job) => {
        edits.delete(job.id);
        void enqueue(job.id, () => delivery.deliver(job));
      });
      const end = (job: Job) => {
        edits.delete(job.id);
        void enqueue(job.id, () => delivery.announceEnd(job));
      };
      tracker.on('failed', end);
      tracker.on('expired', end);
    },
    /**
     * Shows a state change made outside the tracker (a cancel) at once, in the job's chain: `show`
     * (a button's own update of the card), or the final card. The job's progress state goes.
     */
    showNow(job: Job, show?: () => Promise<unknown>): Promise<void> {
      edits.delete(job.id);
      return enqueue(job.id, show ? async () => void (await show()) : () => delivery.announceEnd(job));
    },
    /**
     * Runs `work` (a button's `interaction.update`, say) in the job's message chain: after any
     * progress edit already under way, before any queued later. Its result or error is returned.
     */
    serially,
    /** Records what the first reply showed, so the first progress edit is not a duplicate. */
    shown(job: Job): void {
      edits.set(job.id, { lastEditAt: now(), shown: visible(job), dirty: false });
    },
    async stop(): Promise<void> {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await Promise.allSettled([...chains.values()]);
    },
    metrics,
    /** Jobs the notifier keeps progress state for: running ones only. */
    get watching(): number {
      return edits.size;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
