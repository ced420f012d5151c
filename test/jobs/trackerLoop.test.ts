import { afterEach, describe, expect, it } from 'vitest';
import {
  cancelJob,
  createSubmissions,
  createTracker,
  defaultPollPolicy,
  openSqliteStore,
  type PollPolicy,
  submitJob,
  type TrackerOptions,
} from '../../src/jobs/index.ts';
import { createVideoClient, longestRequestMs } from '../../src/provider/index.ts';
import { catalogue, generous, newJob, silent, world } from './helpers.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

async function submit(current: World, prompt = 'a lion', policy: PollPolicy = defaultPollPolicy) {
  const result = await submitJob(
    {
      store: current.store,
      submissions: current.submissions,
      client: current.client,
      defaults: generous,
      now: current.time.now,
      policy,
    },
    newJob({ prompt }),
  );
  if (!result.ok) throw new Error('refused');
  return result.job;
}

/**
 * A process on the world's database (another one, or this one started again): a store and a
 * tracker of its own, with the same client and clock.
 */
async function processOn(current: World, options: Partial<TrackerOptions> & { instance?: string } = {}) {
  const { instance, ...trackerOptions } = options;
  const store = await openSqliteStore(current.path, { now: current.time.now, instance });
  const tracker = createTracker({
    store,
    submissions: createSubmissions(),
    client: current.client,
    logger: silent,
    now: current.time.now,
    ...trackerOptions,
  });
  return { store, tracker };
}

/** Advances the clock to the next due poll and runs it. */
async function step(current: World): Promise<number> {
  const due = await current.store.nextDueAt();
  if (due !== null && due > current.time.now()) current.time.advance(due - current.time.now());
  return current.tracker.runDue();
}

describe('tracker', () => {
  it('carries a job from queued through in_progress to completed, with events and the video link', async () => {
    w = await world({ video: { variant: 'hingnet', pollsToComplete: 3 } });
    const job = await submit(w);
    await step(w);
    expect(await w.store.get(job.id)).toMatchObject({
      state: 'in_progress',
      progress: 33,
      reportsProgress: true,
    });
    await step(w);
    await step(w);
    const done = await w.store.get(job.id);
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
    expect(await w.store.get(job.id)).toMatchObject({
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
      expect(await w.store.get(job.id)).toMatchObject({ state: 'queued', pollAttempts: expect.any(Number) });
      expect((await w.store.get(job.id))?.pollAttempts).toBeGreaterThan(0);
    }
    for (let round = 0; round < 20 && (await w.store.byState(['completed'])).length < 2; round++)
      await step(w);
    expect((await w.store.byState(['completed'])).map((job) => job.id)).toEqual(jobs.map((job) => job.id));
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

  it('honours a 429 pause another process on the same database wrote', async () => {
    w = await world({ video: { pollsToComplete: 5 } });
    const job = await submit(w);
    const neighbour = await openSqliteStore(w.path, { now: w.time.now, instance: 'neighbour' });
    await neighbour.writeValue(
      'provider_rate_limit_pause',
      JSON.stringify({ until: w.time.now() + 60_000, streak: 1 }),
    );
    await neighbour.close();
    w.time.advance(3_000);
    expect(await w.tracker.runDue()).toBe(0);
    expect(w.tracker.pausedUntil).toBe(w.time.now() + 57_000);
    expect(w.video.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
    w.time.advance(57_000);
    expect(await w.tracker.runDue()).toBe(1);
    expect((await w.store.get(job.id))?.pollAttempts).toBe(0);
  });

  it('holds back the end of a job whose first card is still being drawn, and shows it once the card is up', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const result = await submitJob(
      {
        store: w.store,
        submissions: w.submissions,
        client: w.client,
        defaults: generous,
        now: w.time.now,
      },
      { ...newJob(), firstCardWithinMs: 30_000 },
    );
    if (!result.ok) throw new Error('refused');
    // The bound counts from the moment other processes could see the job queued.
    expect(result.job.firstCardPendingUntil).toBe(w.time.now() + 30_000);
    w.time.advance(3_000);
    expect(await w.tracker.runDue()).toBe(1);
    // The provider said completed; the card's owner has not drawn it yet: polled again shortly.
    expect(await w.store.get(result.job.id)).toMatchObject({
      state: 'queued',
      nextPollAt: w.time.now() + 2_000,
    });
    expect(w.events).toEqual([]);
    await w.store.update(result.job.id, { firstCardPendingUntil: null });
    w.time.advance(2_000);
    expect(await w.tracker.runDue()).toBe(1);
    expect((await w.store.get(result.job.id))?.state).toBe('completed');
    expect(w.events.map((event) => event.type)).toEqual(['completed']);
  });

  it('shows the end anyway once the first card’s bound has passed', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const result = await submitJob(
      { store: w.store, submissions: w.submissions, client: w.client, defaults: generous, now: w.time.now },
      { ...newJob(), firstCardWithinMs: 5_000 },
    );
    if (!result.ok) throw new Error('refused');
    w.time.advance(3_000);
    await w.tracker.runDue();
    // Rechecked no later than the bound.
    expect((await w.store.get(result.job.id))?.nextPollAt).toBe(w.time.now() + 2_000);
    w.time.advance(2_000);
    await w.tracker.runDue();
    expect((await w.store.get(result.job.id))?.state).toBe('completed');
  });

  it('treats a timed-out poll like an outage: the job waits and is polled again', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const slowClient = (await import('../../src/provider/index.ts')).createVideoClient({
      baseUrl: w.video.url,
      apiKey: 'test-key',
      catalogue,
      // Long enough for the second, answered poll on a loaded machine; the hanging one still times out.
      timeoutMs: 1_000,
      http: { sleep: async () => undefined, retries: 0 },
    });
    const tracker = createTracker({
      store: w.store,
      submissions: createSubmissions(),
      client: slowClient,
      logger: silent,
      now: w.time.now,
    });
    const job = await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'hang' });
    w.time.advance(3_000);
    await tracker.runDue();
    expect(await w.store.get(job.id)).toMatchObject({ state: 'queued', pollAttempts: 1 });
    w.time.advance(60_000);
    await tracker.runDue();
    expect((await w.store.get(job.id))?.state).toBe('completed');
    await slowClient.close();
  });

  it('fails a job still running after the maximum age as timed out', async () => {
    w = await world({ video: { pollsToComplete: 1_000 }, tracker: { maxAgeMs: 10 * 60_000 } });
    const job = await submit(w);
    await step(w);
    w.time.advance(11 * 60_000);
    await w.tracker.runDue();
    expect(await w.store.get(job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'timed_out',
      charged: false,
    });
  });

  it('never expires a completed job by the clock: after a long outage it is handed to delivery, whose download decides', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const job = await submit(w);
    await step(w);
    expect((await w.store.get(job.id))?.state).toBe('completed');
    // Two hours pass (a provider outage, or the bot down) before anything tries the download.
    w.time.advance(2 * 3_600_000);
    await w.tracker.sweep();
    expect((await w.store.get(job.id))?.state).toBe('completed');
    expect(w.events.some((event) => event.type === 'expired')).toBe(false);
    expect(w.events.at(-1)).toMatchObject({ type: 'completed', id: job.id });
    // A restart too announces it for delivery rather than expiring it.
    await w.tracker.stop();
    const restarted = createTracker({
      store: w.store,
      submissions: createSubmissions(),
      client: w.client,
      logger: silent,
      now: w.time.now,
    });
    const announced: number[] = [];
    restarted.on('completed', (done) => announced.push(done.id));
    restarted.on('expired', () => announced.push(-1));
    await restarted.start();
    await restarted.stop();
    expect(announced).toEqual([job.id]);
    expect((await w.store.get(job.id))?.state).toBe('completed');
  });

  it('fails a job the provider no longer knows', async () => {
    w = await world();
    const job = await submit(w);
    w.video.jobs.delete(job.remoteId ?? '');
    await step(w);
    expect(await w.store.get(job.id)).toMatchObject({ state: 'failed', errorKind: 'not_found' });
  });

  it('leaves a job canceled while its poll was in flight alone', async () => {
    w = await world({ video: { pollsToComplete: 10 } });
    const job = await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'delay', ms: 100 });
    w.time.advance(3_000);
    const polling = w.tracker.runDue();
    await w.store.transition(job.id, 'canceled', { nextPollAt: null });
    await polling;
    expect(await w.store.get(job.id)).toMatchObject({ state: 'canceled', nextPollAt: null });
    expect(await w.store.nextDueAt()).toBeNull();
  });

  it('does not cancel a job that completed after the Cancel button read it', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const seenByButton = await submit(w);
    await step(w);
    expect((await w.store.get(seenByButton.id))?.state).toBe('completed');
    const canceled = await cancelJob(
      { store: w.store, client: w.client, logger: silent },
      seenByButton,
      'mod',
    );
    expect(canceled).toBeUndefined();
    expect((await w.store.get(seenByButton.id))?.state).toBe('completed');
    expect(w.video.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
  });

  it("cancels a job that a poll moved from queued to in_progress between the Cancel's read and its write", async () => {
    w = await world({ video: { pollsToComplete: 1_000 } });
    const current = w;
    const job = await submit(current);
    expect(job.state).toBe('queued');
    let raced = false;
    // The poll's write lands right after the Cancel read the row (a network database leaves room for it).
    const store = {
      ...current.store,
      async get(id: number) {
        const row = await current.store.get(id);
        if (!raced) {
          raced = true;
          await current.store.transition(id, 'in_progress');
        }
        return row;
      },
    };
    const canceled = await cancelJob({ store, client: current.client, logger: silent }, job, 'mod');
    expect(canceled).toMatchObject({ state: 'canceled', charged: true });
    expect((await current.store.get(job.id))?.state).toBe('canceled');
  });

  it('resumes from the rows after a crash: leases brought forward, undelivered completions announced again', async () => {
    w = await world({ video: { pollsToComplete: 1 } });
    const done = await submit(w, 'done');
    await step(w);
    const running = await submit(w, 'running');
    const waiting = await submit(w, 'waiting');
    const neighbours = await submit(w, 'polled by another process');
    w.time.advance(3_000);
    // A crash mid-poll leaves one job claimed a minute ahead; the other waits as the provider asked.
    expect((await w.store.claimDue(1, 60_000)).map((job) => job.id)).toEqual([running.id]);
    await w.store.update(waiting.id, { nextPollAt: w.time.now() + 90_000, pollAttempts: 1 });
    // A live process of another instance holds the third.
    const neighbour = await openSqliteStore(w.path, { now: w.time.now, instance: 'neighbour' });
    expect((await neighbour.claimDue(1, 60_000)).map((job) => job.id)).toEqual([neighbours.id]);
    await neighbour.close();
    await w.store.close();

    const { store, tracker } = await processOn(w);
    const announced: number[] = [];
    tracker.on('completed', (job) => announced.push(job.id));
    await tracker.start();
    await tracker.stop();
    expect(announced).toEqual([done.id]);
    expect((await store.get(running.id))?.nextPollAt).toBeLessThanOrEqual(w.time.now());
    expect((await store.get(waiting.id))?.nextPollAt).toBe(w.time.now() + 90_000);
    expect((await store.get(neighbours.id))?.nextPollAt).toBe(w.time.now() + 60_000);
    await store.close();
  });

  for (const status of [503, 429]) {
    it(`leaves a job canceled while its poll was in flight unscheduled when that poll then fails (${status})`, async () => {
      w = await world({ video: { pollsToComplete: 10 } });
      const job = await submit(w);
      const answer = w.video.hold(
        { method: 'GET' },
        { kind: 'status', status, headers: { 'retry-after': '5' } },
      );
      w.time.advance(3_000);
      const polling = w.tracker.runDue();
      // The request is on its way; a moderator cancels before the answer arrives.
      await answer.arrived;
      await w.store.transition(job.id, 'canceled', { nextPollAt: null });
      answer.release();
      await polling;
      expect(w.video.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
      expect(await w.store.get(job.id)).toMatchObject({
        state: 'canceled',
        nextPollAt: null,
        pollAttempts: 0,
      });
      expect(await w.store.nextDueAt()).toBeNull();
    });
  }

  it('backs off a failed poll with the injected jitter, or as long as a 503 Retry-After asks, kept across a restart', async () => {
    w = await world({ video: { pollsToComplete: 5 }, tracker: { random: () => 0 } });
    const job = await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 503 });
    await step(w);
    expect(await w.store.get(job.id)).toMatchObject({ pollAttempts: 1, nextPollAt: w.time.now() + 2_250 });
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 503, headers: { 'retry-after': '90' } });
    await step(w);
    const waitUntil = w.time.now() + 90_000;
    expect(await w.store.get(job.id)).toMatchObject({
      state: 'queued',
      pollAttempts: 2,
      nextPollAt: waitUntil,
    });

    await w.store.close();
    const { store, tracker } = await processOn(w);
    await tracker.start();
    await tracker.stop();
    expect((await store.get(job.id))?.nextPollAt).toBe(waitUntil);
    expect(await tracker.runDue()).toBe(0);
    await store.close();
  });

  it('makes each 429 in a row pause all polling twice as long, and starts over after a poll succeeds', async () => {
    w = await world({ video: { pollsToComplete: 50 } });
    await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 429 }, 3);
    const pauses: number[] = [];
    for (let round = 0; round < 3; round++) {
      await step(w);
      pauses.push(w.tracker.pausedUntil - w.time.now());
    }
    expect(pauses).toEqual([30_000, 60_000, 120_000]);
    await step(w);
    expect(w.video.requests.filter((r) => r.method === 'GET')).toHaveLength(4);
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    await step(w);
    expect(w.tracker.pausedUntil - w.time.now()).toBe(7_000);
  });

  it('keeps the 429 pause across a restart instead of polling at once', async () => {
    w = await world({ video: { pollsToComplete: 5 } });
    const job = await submit(w);
    w.video.fail({ method: 'GET' }, { kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    await step(w);
    const pausedUntil = w.tracker.pausedUntil;
    expect(pausedUntil).toBe(w.time.now() + 120_000);
    await w.tracker.stop();
    await w.store.close();

    const { store, tracker } = await processOn(w);
    await tracker.start();
    expect(tracker.pausedUntil).toBe(pausedUntil);
    await tracker.stop();
    const before = w.video.requests.length;
    w.time.advance(60_000);
    expect(await tracker.runDue()).toBe(0);
    expect(w.video.requests.length).toBe(before);
    w.time.advance(60_000);
    expect(await tracker.runDue()).toBe(1);
    expect((await store.get(job.id))?.state).toBe('in_progress');
    await store.close();
  });

  it('never polls a job again while its poll is still out, however long past a minute the provider answers', async () => {
    w = await world({ video: { pollsToComplete: 10 } });
    const job = await submit(w);
    // The answer is held until the steps below are done, however slow the machine.
    const answer = w.video.hold({ method: 'GET' });
    w.time.advance(3_000);
    const first = w.tracker.runDue();
    await answer.arrived;
    // The claim outlasts one retrieve with every retry timing out (30 s each, waits between).
    expect((await w.store.get(job.id))?.nextPollAt).toBeGreaterThan(w.time.now() + longestRequestMs(30_000));
    // The provider is still answering a minute and a half later (a retrying poll can take minutes).
    w.time.advance(90_000);
    expect(await w.tracker.runDue()).toBe(0);
    // Nor does another process on the same database take it while the claim lasts.
    const other = await processOn(w, { instance: 'neighbour' });
    expect(await other.tracker.runDue()).toBe(0);
    await other.store.close();
    answer.release();
    expect(await first).toBe(1);
    expect(w.video.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(await w.store.get(job.id)).toMatchObject({ state: 'in_progress', progress: 10, pollAttempts: 0 });
  });

  it('counts each failed poll of a slow outage once, so its backoff keeps growing', async () => {
    w = await world({ video: { pollsToComplete: 10 }, tracker: { random: () => 0 } });
    const job = await submit(w);
    for (const attempt of [1, 2, 3]) {
      // A 503, sent only once the test has looked for a second poll.
      const answer = w.video.hold({ method: 'GET' }, { kind: 'status', status: 503 });
      const due = (await w.store.nextDueAt()) ?? 0;
      w.time.advance(Math.max(0, due - w.time.now()));
      const polling = w.tracker.runDue();
      await answer.arrived;
      // Past the old one-minute lease while the answer is on its way: no second poll of the same job.
      w.time.advance(70_000);
      expect(await w.tracker.runDue()).toBe(0);
      answer.release();
      await polling;
      expect((await w.store.get(job.id))?.pollAttempts).toBe(attempt);
    }
    expect(w.video.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('hands a delivery that went quiet to delivery again, never one that is still downloading', async () => {
    w = await world({ video: { pollsToComplete: 1 }, tracker: { deliveryIdleMs: 15 * 60_000 } });
    const job = await submit(w);
    await step(w);
    const completed = await w.store.get(job.id);
    expect(completed?.state).toBe('completed');
    w.time.advance((completed?.videoExpiresAt ?? 0) - w.time.now() - 60_000);
    // Delivery marks the row, then downloads; the media path is written only when the file is complete.
    await w.store.transition(job.id, 'delivering', { deliveryAttempts: 1 });
    const announced = () => w?.events.filter((event) => event.type === 'completed').length ?? 0;
    const before = announced();
    w.time.advance(2 * 60_000);
    await w.tracker.sweep();
    expect(announced()).toBe(before);
    w.time.advance(15 * 60_000);
    await w.tracker.sweep();
    expect((await w.store.get(job.id))?.state).toBe('delivering');
    expect(w.events.at(-1)).toMatchObject({ type: 'completed', id: job.id, state: 'delivering' });
    expect(w.events.some((event) => event.type === 'expired')).toBe(false);
  });
});

describe('the real timer loop', () => {
  const quick: PollPolicy = {
    firstPollMs: 10,
    floorMs: 5,
    ceilingMs: 40,
    blindIntervalMs: 20,
    stallAfterMs: 5_000,
  };

  async function settle(probe: () => boolean | Promise<boolean>): Promise<void> {
    for (let round = 0; round < 1_000 && !(await probe()); round++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    if (!(await probe())) throw new Error('condition not met');
  }
  const gets = (current: World) => current.video.requests.filter((r) => r.method === 'GET').length;

  it('never has more than `concurrency` polls in flight at the provider', async () => {
    w = await world({
      wallClock: true,
      video: { pollsToComplete: 2 },
      tracker: { concurrency: 3, policy: quick },
    });
    for (let index = 0; index < 12; index++) await submit(w, `job ${index}`, quick);
    w.video.fail({ method: 'GET' }, { kind: 'delay', ms: 30 }, 1_000);
    await w.tracker.start();
    const current = w;
    await settle(async () => (await current.store.byState(['completed'])).length === 12);
    expect(w.video.maxInFlight).toBe(3);
    expect(gets(w)).toBeGreaterThanOrEqual(24);
  });

  it('reads the pause another process wrote on every tick, before it claims anything', async () => {
    w = await world({ wallClock: true, video: { pollsToComplete: 2 }, tracker: { policy: quick } });
    await w.tracker.start();
    const until = Date.now() + 10 * 60_000;
    const neighbour = await openSqliteStore(w.path, { instance: 'neighbour' });
    await neighbour.writeValue('provider_rate_limit_pause', JSON.stringify({ until, streak: 1 }));
    await neighbour.close();
    await submit(w, 'a lion', quick);
    w.tracker.poke();
    const current = w;
    await settle(() => current.tracker.pausedUntil === until);
    expect(gets(w)).toBe(0);
  });

  it('waits in stop() for the polls in flight and writes their answers', async () => {
    w = await world({ wallClock: true, video: { pollsToComplete: 3 }, tracker: { policy: quick } });
    const job = await submit(w, 'a lion', quick);
    w.video.fail({ method: 'GET' }, { kind: 'delay', ms: 200 });
    await w.tracker.start();
    const current = w;
    await settle(() => gets(current) === 1);
    expect(await w.tracker.stop()).toBe(true);
    const row = await w.store.get(job.id);
    expect(row).toMatchObject({ state: 'in_progress', progress: 33, pollAttempts: 0 });
    // Rescheduled by the answer, no longer held by the claim.
    expect(row?.nextPollAt).toBeLessThanOrEqual(Date.now() + quick.ceilingMs);
    expect(gets(w)).toBe(1);
  });

  it('gives up on a hanging poll after its bound, leaves the row claimed, and a restarted tracker finishes the job', async () => {
    w = await world({ wallClock: true, video: { pollsToComplete: 1 } });
    const hangingClient = createVideoClient({
      baseUrl: w.video.url,
      apiKey: 'test-key',
      catalogue,
      timeoutMs: 150,
      http: { sleep: async () => undefined, retries: 0 },
    });
    const tracker = createTracker({
      store: w.store,
      submissions: createSubmissions(),
      client: hangingClient,
      logger: silent,
      policy: quick,
    });
    const job = await submit(w, 'a lion', quick);
    w.video.fail({ method: 'GET' }, { kind: 'hang' });
    await tracker.start();
    const current = w;
    await settle(() => gets(current) === 1);
    const claimedAt = Date.now();
    expect(await tracker.stop(20)).toBe(false);
    // The abandoned request times out later; its answer must not be written.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const left = await w.store.get(job.id);
    expect(left).toMatchObject({ state: 'queued', pollAttempts: 0 });
    expect(left?.nextPollAt).toBeGreaterThan(claimedAt + 30_000);
    await hangingClient.close();
    await w.store.close();

    const { store, tracker: restarted } = await processOn(w, { policy: quick });
    const completed: number[] = [];
    restarted.on('completed', (done) => completed.push(done.id));
    await restarted.start();
    await settle(() => completed.length === 1);
    expect(await restarted.stop()).toBe(true);
    expect((await store.get(job.id))?.state).toBe('completed');
    await store.close();
  });
});
