// Keeps each job's message in step with its row: throttled progress edits, final states at once.
import type { Logger } from 'pino';
import type { Job, JobStore, Tracker } from '../jobs/index.ts';
import type { JobDelivery } from './delivery.ts';
import type { JobMessenger } from './messenger.ts';
import { type RenderContext, renderJob } from './render.ts';

export interface NotifierOptions {
  store: JobStore;
  messenger: JobMessenger;
  delivery: JobDelivery;
  logger: Logger;
  renderContext: (job: Job) => Omit<RenderContext, 'now' | 'delivery'>;
  now?: () => number;
  /** At most one progress edit per message in this window. */
  minEditIntervalMs?: number;
  /** Progress edits in flight at once, across all jobs. */
  concurrency?: number;
}

interface EditState {
  lastEditAt: number;
  /** What the member saw last (state and percent): an edit is only worth it when this changes. */
  shown: string;
  dirty: boolean;
}

const visible = (job: Job) => `${job.state}:${job.progress}`;

export function createNotifier(options: NotifierOptions) {
  const { store, messenger, delivery, logger } = options;
  const now = options.now ?? Date.now;
  const minEditIntervalMs = options.minEditIntervalMs ?? 5_000;
  const concurrency = options.concurrency ?? 4;
  const edits = new Map<number, EditState>();
  /** Per-job chain so a late progress edit can never land after the final one. */
  const chains = new Map<number, Promise<void>>();
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const metrics = { edits: 0, skipped: 0 };

  function serially(jobId: number, work: () => Promise<void>): Promise<void> {
    const previous = chains.get(jobId) ?? Promise.resolve();
    const next = previous.then(work, work).catch((error: unknown) => {
      logger.warn({ err: error, jobId }, 'updating the job message failed');
    });
    chains.set(jobId, next);
    void next.finally(() => {
      if (chains.get(jobId) === next) chains.delete(jobId);
    });
    return next;
  }

  function progress(job: Job): void {
    const state = edits.get(job.id) ?? { lastEditAt: 0, shown: '', dirty: false };
    if (state.shown === visible(job)) {
      metrics.skipped++;
      return;
    }
    state.dirty = true;
    edits.set(job.id, state);
    arm();
  }

  function arm(): void {
    if (timer || stopped) return;
    timer = setTimeout(flush, 250);
    timer.unref();
  }

  /** Sends the due edits, oldest first, within the concurrency bound; re-arms for the rest. */
  function flush(): void {
    timer = undefined;
    const at = now();
    let waiting = false;
    for (const [jobId, state] of edits) {
      if (!state.dirty) continue;
      if (inFlight >= concurrency || at - state.lastEditAt < minEditIntervalMs) {
        waiting = true;
        continue;
      }
      const job = store.get(jobId);
      state.dirty = false;
      if (
        !job ||
        job.state === 'completed' ||
        job.state === 'delivering' ||
        !['queued', 'in_progress'].includes(job.state)
      ) {
        continue;
      }
      state.lastEditAt = at;
      state.shown = visible(job);
      inFlight++;
      metrics.edits++;
      void serially(jobId, async () => {
        await messenger.edit(job, renderJob(job, job.locale, { ...options.renderContext(job), now: now() }));
      }).finally(() => {
        inFlight--;
        arm();
      });
    }
    if (waiting) {
      timer = setTimeout(flush, 1_000);
      timer.unref();
    }
  }

  return {
    /** Wires the notifier to the tracker's events. */
    attach(tracker: Tracker): void {
      tracker.on('progress', progress);
      tracker.on('completed', (job) => {
        edits.delete(job.id);
        void serially(job.id, () => delivery.deliver(job));
      });
      const end = (job: Job) => {
        edits.delete(job.id);
        void serially(job.id, () => delivery.announceEnd(job));
      };
      tracker.on('failed', end);
      tracker.on('expired', end);
    },
    /** Shows a state change made outside the tracker (cancel) at once. */
    showNow(job: Job): Promise<void> {
      edits.delete(job.id);
      return serially(job.id, () => delivery.announceEnd(job));
    },
    /** Records what the first reply showed, so the first progress edit is not a duplicate. */
    shown(job: Job): void {
      edits.set(job.id, { lastEditAt: now(), shown: visible(job), dirty: false });
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([...chains.values()]);
    },
    metrics,
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
