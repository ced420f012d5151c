// The notifier against a real store and delivery, a recording messenger and a clock and timers the
// test drives: what the member's message would receive, edit by edit.
import { describe, expect, it } from 'vitest';
import { createDelivery } from '../../src/discord/delivery.ts';
import type { JobMessageBody } from '../../src/discord/messenger.ts';
import { createNotifier, type Schedule } from '../../src/discord/notifier.ts';
import { progressBar } from '../../src/discord/render.ts';
import {
  createSubmissions,
  createTracker,
  type Job,
  type MediaStore,
  openSqliteStore,
} from '../../src/jobs/index.ts';
import { generous, newJob, silent } from '../jobs/helpers.ts';
import { recordingMessenger } from './fixtures.ts';

const windowMs = 5_000;

interface Edit {
  at: number;
  jobId: number;
  body: JobMessageBody;
  final: boolean;
}

function description(edit: Edit | undefined): string {
  const embeds = (edit?.body.embeds ?? []) as { description?: string }[];
  return embeds[0]?.description ?? '';
}

async function setUp(options: { firstCardPendingFor?: number } = {}) {
  let clock = Date.UTC(2026, 10, 24, 12);
  const now = () => clock;
  const timers: { run: () => void; at: number }[] = [];
  const schedule: Schedule = (run, ms) => {
    const timer = { run, at: clock + ms };
    timers.push(timer);
    return () => {
      const index = timers.indexOf(timer);
      if (index >= 0) timers.splice(index, 1);
    };
  };

  const edits: Edit[] = [];
  const events: string[] = [];
  /** While set, the next edit hangs until the test releases it (an edit in flight). */
  let hold: Promise<void> | undefined;
  const messenger = recordingMessenger(async (job, body, options = {}) => {
    const waitFor = hold;
    hold = undefined;
    edits.push({ at: clock, jobId: job.id, body, final: options.final ?? false });
    events.push(`edit ${job.state}`);
    if (waitFor) await waitFor;
    return 'webhook';
  });

  const store = await openSqliteStore(':memory:', { now });
  const media: MediaStore = {
    dir: '/nonexistent',
    videoPath: (job) => `/nonexistent/${job.id}.mp4`,
    ensure: () => Promise.reject(new Error('no downloads in this test')), // never called here
    prune: () => Promise.resolve(0),
  };
  const renderContext = () => ({ supportsRemix: false });
  const delivery = createDelivery({
    store,
    media,
    messenger,
    client: { download: () => Promise.reject(new Error('no downloads in this test')) },
    logger: silent,
    now,
    renderContext,
    publicLink: () => null,
  });
  const tracker = createTracker({
    store,
    submissions: createSubmissions(),
    client: { retrieve: () => Promise.reject(new Error('not polled in this test')) },
    logger: silent,
    now,
  });
  const notifier = createNotifier({
    store,
    messenger,
    delivery,
    logger: silent,
    renderContext,
    now,
    minEditIntervalMs: windowMs,
    schedule,
  });
  notifier.attach(tracker);

  const firstCardPendingUntil =
    options.firstCardPendingFor === undefined ? null : clock + options.firstCardPendingFor;
  const inserted = await store.insertWithinQuota(newJob({ firstCardPendingUntil }), generous);
  if (!inserted.ok) throw new Error('quota');
  await store.transition(inserted.job.id, 'queued', { remoteId: 'video_1' });
  const job = await store.transition(inserted.job.id, 'in_progress', { reportsProgress: true });
  notifier.shown(job);

  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    job,
    store,
    notifier,
    edits,
    events,
    /** Moves the clock and fires the timers that fall due, in order. */
    async advance(ms: number) {
      const until = clock + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > until) break;
        timers.shift();
        clock = next.at;
        next.run();
        await settle();
      }
      clock = until;
      await settle();
    },
    /** The tracker saw new progress. */
    async report(progress: number): Promise<Job> {
      const updated = await store.update(job.id, { progress });
      tracker.events.emit('progress', updated);
      return updated;
    },
    holdNextEdit(): () => void {
      let release = () => {};
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      return release;
    },
    settle,
  };
}

describe('notifier', () => {
  it('edits a message at most once per window, showing the latest progress when the window ends', async () => {
    const t = await setUp();
    // The first reply was just shown: the first edit waits for the window.
    await t.report(10);
    await t.advance(1_000);
    expect(t.edits).toHaveLength(0);
    await t.advance(windowMs);
    expect(t.edits).toHaveLength(1);
    expect(description(t.edits[0])).toContain(progressBar(10));

    for (const percent of [20, 30, 40]) {
      await t.report(percent);
      await t.advance(1_000);
    }
    expect(t.edits).toHaveLength(1);
    await t.advance(windowMs);
    expect(t.edits).toHaveLength(2);
    expect(description(t.edits[1])).toContain(progressBar(40));
    expect(description(t.edits[1])).not.toContain(progressBar(20));
    const [first, second] = t.edits;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(windowMs);
  });

  it('does not edit when nothing the member sees has changed', async () => {
    const t = await setUp();
    await t.report(50);
    await t.advance(windowMs + 1_000);
    expect(t.edits).toHaveLength(1);
    const skipped = t.notifier.metrics.skipped;
    // Polls that bring the same percentage, long after the window.
    for (let poll = 0; poll < 5; poll++) {
      await t.report(50);
      await t.advance(windowMs * 2);
    }
    expect(t.edits).toHaveLength(1);
    expect(t.notifier.metrics.skipped).toBeGreaterThan(skipped);
  });

  it('shows a final state at once, even right after a progress edit, and after any edit in flight', async () => {
    const t = await setUp();
    await t.report(60);
    await t.advance(windowMs + 1_000);
    expect(t.edits).toHaveLength(1);
    const release = t.holdNextEdit();
    await t.report(70);
    await t.advance(windowMs + 1_000);
    expect(t.edits).toHaveLength(2); // in flight

    const failed = await t.store.transition(t.job.id, 'failed', {
      errorKind: 'provider_failed',
      errorMessage: 'boom',
    });
    const shown = t.notifier.showNow(failed);
    await t.settle();
    // Waits for the edit in flight rather than racing it.
    expect(t.edits).toHaveLength(2);
    release();
    await shown;
    expect(t.edits).toHaveLength(3);
    expect(t.edits[2]?.final).toBe(true);
    expect(description(t.edits[2])).toContain('❌ Failed');
    // Nothing later overwrites it.
    await t.report(80);
    await t.advance(windowMs * 3);
    expect(t.edits).toHaveLength(3);
  });

  it("drops a queued progress edit once the job is canceled, and runs a button's update after the edit in flight", async () => {
    const t = await setUp();
    await t.report(10);
    const release = t.holdNextEdit();
    await t.advance(windowMs + 1_000);
    expect(t.edits).toHaveLength(1); // in flight, held
    await t.report(20);
    await t.advance(windowMs + 1_000); // queued behind it in the job's chain

    await t.store.transition(t.job.id, 'canceled', { nextPollAt: null });
    const update = t.notifier.serially(t.job.id, async () => {
      t.events.push('button update');
      return 'updated';
    });
    await t.settle();
    expect(t.events).toEqual(['edit in_progress']);
    release();
    expect(await update).toBe('updated');
    expect(t.events).toEqual(['edit in_progress', 'button update']);
    expect(t.edits.some((edit) => description(edit).includes(progressBar(20)))).toBe(false);
  });

  it('leaves the card alone while another process still draws its first card, then shows the latest progress', async () => {
    const t = await setUp({ firstCardPendingFor: 30_000 });
    await t.report(10);
    await t.advance(windowMs * 3);
    expect(t.edits).toHaveLength(0);
    // The first card is up (the process that drew it cleared the mark): the next flush shows the progress.
    await t.store.update(t.job.id, { firstCardPendingUntil: null });
    await t.advance(1_000);
    expect(t.edits).toHaveLength(1);
    expect(description(t.edits[0])).toContain(progressBar(10));
  });

  it('edits again once the first card’s bound has passed, even if its process never said it was done', async () => {
    const t = await setUp({ firstCardPendingFor: 30_000 });
    await t.report(20);
    await t.advance(29_000);
    expect(t.edits).toHaveLength(0);
    await t.advance(2_000);
    expect(t.edits).toHaveLength(1);
    expect(description(t.edits[0])).toContain(progressBar(20));
  });

  it("hands a button's error back to the button, and keeps the chain going", async () => {
    const t = await setUp();
    await expect(
      t.notifier.serially(t.job.id, () => Promise.reject(new Error('interaction expired'))),
    ).rejects.toThrow('interaction expired');
    await t.report(30);
    await t.advance(windowMs + 1_000);
    expect(t.edits).toHaveLength(1);
  });
});
