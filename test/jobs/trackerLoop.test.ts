import { afterEach, describe, expect, it } from 'vitest';
import { createTracker, openJobStore, submitJob } from '../../src/jobs/index.ts';
import { catalogue, generous, newJob, silent, world } from './helpers.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function submit(current: World, prompt = 'a lion') {
  const result = await submitJob(
    { store: current.store, client: current.client, defaults: generous, now: current.time.now },
    newJob({ prompt }),
  );
  if (!result.ok) throw new Error('refused');
  return result.job;
}

/** Advances the clock to the next due poll and runs it. */
async function step(current: World): Promise<number> {
  const due = current.store.nextDueAt();
  if (due !== null && due > current.time.now()) current.time.advance(due - current.time.now());
  return current.tracker.runDue();
}

describe('tracker', () => {
  it('carries a job from queued through in_progress to completed, with events and the video link', async () => {
    w = await world({ video: { variant: 'hingnet', pollsToComplete: 3 } });
    const job = await submit(w);
    await step(w);
    expect(w.store.get(job.id)).toMatchObject({ state: 'in_progress', progress: 33, reportsProgress: true });
    await step(w);
    await step(w);
    const done = w.store.get(job.id);
    expect(done).toMatchObject({
      state: 'completed',
      progress: 100,
      nextPollAt: null,
      videoUrl: expect.stringContaining('/files/'),
    });
    expect(done?.videoExpiresAt).toBe(Math.floor(job.createdAt / 1000) * 1000 + 3_600_000);
    expect(w.events.map((event) => `${event.type}:${event.state}`)).toEqual([
      'progress:in_progress',
      'progress:in_progress',
      'completed:completed',
    ]);
  });

  it('ends a job the provider fails as failed, in plain categories, spending no quota', async () => {
    w = await world({ video: { pollsToComplete: 10 } });
    const job = await submit(w);
    w.video.failJob(job.remoteId ?? '', 'moderation_blocked', 'flagged');
    await step(w);
    expect(w.store.get(job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'moderation',
      errorCode: 'moderation_blocked',
      charged: false,
    });
    expect(w.events.at(-1)).toMatchObject({ type: 'failed', id: job.id });
  });

  it('loses no job while the provider is down, and finishes it after recovery', async () => {
    w = await world({ video: { pollsToComplete: 2 } });
    const jobs = [await submit(w, 'one'), await submit(w, 'two')];
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 503 }, 10);
    for (let round = 0; round < 5; round++) await step(w);
    for (const job of jobs) {
      expect(w.store.get(job.id)).toMatchObject({ state: 'queued', pollAttempts: expect.any(Number) });
      expect(w.store.get(job.id)?.pollAttempts).toBeGreaterThan(0);
    }
    for (let round = 0; round < 20 && w.store.byState(['completed']).length < 2; round++) await step(w);
    expect(w.store.byState(['completed']).map((job) => job.id)).toEqual(jobs.map((job) => job.id));
  });

  it('pauses all polling on a 429 for its Retry-After', async () => {
    w = await world({ video: { pollsToComplete: 5 } });
    await submit(w, 'one');
    await submit(w, 'two');
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    await step(w);
    expect(w.tracker.pausedUntil).toBeGreaterThanOrEqual(w.time.now() + 29_000);
    const before = w.video.requests.length;
    w.time.advance(20_000);
    expect(await w.tracker.runDue()).toBe(0);
    expect(w.video.requests.length).toBe(before);
    w.time.advance(11_000);
    expect(await step(w)).toBeGreaterThan(0);
  });

  it('treats a timed-out poll like an outage: the job waits and is polled again', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const slowClient = (await import('../../src/provider/index.ts')).createVideoClient({
      baseUrl: w.video.url,
      apiKey: 'test-key',
      catalogue,
      timeoutMs: 100,
      http: { sleep: async () => undefined, retries: 0 },
    });
    const tracker = createTracker({ store: w.store, client: slowClient, logger: silent, now: w.time.now });
    const job = await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'hang' });
    w.time.advance(3_000);
    await tracker.runDue();
    expect(w.store.get(job.id)).toMatchObject({ state: 'queued', pollAttempts: 1 });
    w.time.advance(60_000);
    await tracker.runDue();
    expect(w.store.get(job.id)?.state).toBe('completed');
    await slowClient.close();
  });

  it('fails a job still running after the maximum age as timed out', async () => {
    w = await world({ video: { pollsToComplete: 1_000 }, tracker: { maxAgeMs: 10 * 60_000 } });
    const job = await submit(w);
    await step(w);
    w.time.advance(11 * 60_000);
    await w.tracker.runDue();
    expect(w.store.get(job.id)).toMatchObject({ state: 'failed', errorKind: 'timed_out', charged: false });
  });

  it('expires a completed job whose content expired before it was delivered', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const job = await submit(w);
    await step(w);
    expect(w.store.get(job.id)?.state).toBe('completed');
    w.time.advance(2 * 3_600_000);
    w.tracker.sweep();
    expect(w.store.get(job.id)?.state).toBe('expired');
    expect(w.events.at(-1)).toMatchObject({ type: 'expired', id: job.id });
  });

  it('fails a job the provider no longer knows', async () => {
    w = await world();
    const job = await submit(w);
    w.video.jobs.delete(job.remoteId ?? '');
    await step(w);
    expect(w.store.get(job.id)).toMatchObject({ state: 'failed', errorKind: 'not_found' });
  });

  it('leaves a job canceled while its poll was in flight alone', async () => {
    w = await world({ video: { pollsToComplete: 10 } });
    const job = await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'delay', ms: 100 });
    w.time.advance(3_000);
    const polling = w.tracker.runDue();
    w.store.transition(job.id, 'canceled', { nextPollAt: null });
    await polling;
    expect(w.store.get(job.id)).toMatchObject({ state: 'canceled', nextPollAt: null });
    expect(w.store.nextDueAt()).toBeNull();
  });

  it('resumes from the rows after a crash: leases brought forward, undelivered completions announced again', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const done = await submit(w, 'done');
    await step(w);
    const running = await submit(w, 'running');
    // A crash mid-poll leaves the job leased a minute ahead.
    w.store.claimDue(10, 60_000);
    w.store.update(running.id, { nextPollAt: w.time.now() + 60_000 });
    w.store.close();

    const store = openJobStore({ path: w.path, now: w.time.now });
    const tracker = createTracker({ store, client: w.client, logger: silent, now: w.time.now });
    const announced: number[] = [];
    tracker.on('completed', (job) => announced.push(job.id));
    tracker.start();
    await tracker.stop();
    expect(announced).toEqual([done.id]);
    expect(store.get(running.id)?.nextPollAt).toBeLessThanOrEqual(w.time.now());
    store.close();
  });
});
