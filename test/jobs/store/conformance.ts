// The job store's conformance suite: what every implementation of the contract must do, including
// two processes sharing one database (two stores opened on it). Each implementation's test file
// calls describeStoreConformance with its StoreUnderTest. Nothing here knows which database it runs on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  type Job,
  type JobStore,
  type JobStoreOptions,
  type JobTransition,
  type NewJob,
  type QuotaLimits,
} from '../../../src/jobs/index.ts';
import { clock, generous, newJob } from '../helpers.ts';
import type { StoreUnderTest, TestDatabase } from './storeUnderTest.ts';

const dayMs = 86_400_000;
const leaseMs = 60_000;

export function describeStoreConformance(under: StoreUnderTest): void {
  describe(`the ${under.name} job store`, () => {
    let database: TestDatabase;
    let time: ReturnType<typeof clock>;
    beforeEach(async () => {
      database = await under.newDatabase();
      time = clock();
    });
    afterEach(async () => {
      await database.drop();
    });

    const open = (options: JobStoreOptions = {}) => database.open({ now: time.now, ...options });

    async function inserted(store: JobStore, job: Partial<NewJob> = {}, limits = generous): Promise<Job> {
      const result = await store.insertWithinQuota(newJob(job), limits);
      if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.refusal)}`);
      return result.job;
    }

    /** A job waiting on the provider, due for a poll at `nextPollAt`. */
    async function queued(
      store: JobStore,
      remoteId: string,
      nextPollAt = time.now(),
      job: Partial<NewJob> = {},
    ): Promise<Job> {
      const row = await inserted(store, job);
      return store.transition(row.id, 'queued', { remoteId, nextPollAt });
    }

    /** A job whose video was delivered, its file kept at `mediaPath`. */
    async function delivered(store: JobStore, remoteId: string, mediaPath = `/media/${remoteId}.mp4`) {
      const job = await queued(store, remoteId);
      await store.transition(job.id, 'completed', { videoUrl: 'https://provider.test/v.mp4' });
      await store.transition(job.id, 'delivering', { mediaPath });
      return store.transition(job.id, 'delivered', { deliveredAt: time.now() });
    }

    describe('rows and transitions', () => {
      it('inserts a submitting row with its defaults, a media key of its own and booleans as booleans', async () => {
        const store = await open();
        const first = await inserted(store, { ephemeral: true, firstCardPendingUntil: time.now() + 30_000 });
        const second = await inserted(store);
        expect(first).toMatchObject({
          state: 'submitting',
          guildId: 'g1',
          locale: 'en-US',
          ephemeral: true,
          charged: true,
          reportsProgress: false,
          madeBeforeMediaKeys: false,
          progress: 0,
          pollAttempts: 0,
          deliveryAttempts: 0,
          nextPollAt: null,
          remoteId: null,
          createdAt: time.now(),
          updatedAt: time.now(),
          firstCardPendingUntil: time.now() + 30_000,
        });
        expect(first.mediaKey).toMatch(/^[0-9a-f]{32}$/);
        expect(second.mediaKey).toMatch(/^[0-9a-f]{32}$/);
        expect(second.mediaKey).not.toBe(first.mediaKey);
        expect(second).toMatchObject({ ephemeral: false, firstCardPendingUntil: null });
        expect(await store.get(first.id)).toEqual(first);
        expect(await store.get(9_999)).toBeUndefined();
      });

      it('keeps a job’s reference images in order, and where it came from', async () => {
        const store = await open();
        const images = [
          { url: 'https://cdn.example/a.png', name: 'a.png', size: '640x480' },
          { url: 'https://cdn.example/b.png', name: 'b “quoted”.png', size: null },
          { url: 'https://cdn.example/c.png', name: '猫.webp', size: '1x1' },
        ];
        const plain = await inserted(store);
        expect(plain).toMatchObject({
          referenceImages: [],
          originKind: 'command',
          originJobId: null,
          originChannelId: null,
          originMessageId: null,
          originAuthorId: null,
          originAuthorName: null,
          requestId: null,
          takeIndex: 1,
          takeCount: 1,
        });
        const fromMessage = await inserted(store, {
          referenceImages: images,
          origin: { kind: 'message', channelId: 'c9', messageId: 'm9', authorId: 'u9', authorName: 'Zoë' },
        });
        expect(fromMessage).toMatchObject({
          referenceImages: images,
          originKind: 'message',
          originChannelId: 'c9',
          originMessageId: 'm9',
          originAuthorId: 'u9',
          originAuthorName: 'Zoë',
          originJobId: null,
        });
        const again = await inserted(store, {
          origin: { kind: 'regenerate', jobId: plain.id, channelId: 'c1', messageId: 'm1' },
        });
        expect(again).toMatchObject({
          originKind: 'regenerate',
          originJobId: plain.id,
          originChannelId: 'c1',
          originMessageId: 'm1',
        });
        expect(await store.get(fromMessage.id)).toEqual(fromMessage);
        const linked = await store.update(again.id, { originChannelId: 'c2', originMessageId: 'm2' });
        expect(linked).toMatchObject({ originChannelId: 'c2', originMessageId: 'm2' });
      });

      it('inserts the takes of one request together, each naming the first', async () => {
        const store = await open();
        const before = await inserted(store);
        const result = await store.insertTakesWithinQuota(
          newJob({ referenceImages: [{ url: 'https://cdn.example/a.png', name: 'a.png', size: null }] }),
          3,
          generous,
        );
        if (!result.ok) throw new Error('refused');
        const [first, second, third] = result.jobs;
        expect(result.jobs.map((job) => job.id)).toEqual([before.id + 1, before.id + 2, before.id + 3]);
        expect(first).toMatchObject({
          takeIndex: 1,
          takeCount: 3,
          requestId: first?.id,
          originKind: 'command',
        });
        for (const [index, take] of [second, third].entries()) {
          expect(take).toMatchObject({
            takeIndex: index + 2,
            takeCount: 3,
            requestId: first?.id,
            originKind: 'take',
            originJobId: first?.id,
            state: 'submitting',
            referenceImages: [{ url: 'https://cdn.example/a.png', name: 'a.png', size: null }],
          });
          expect(take?.mediaKey).not.toBe(first?.mediaKey);
        }
        expect(await store.get(first?.id ?? 0)).toEqual(first);
        const single = await store.insertTakesWithinQuota(newJob(), 1, generous);
        expect(single.ok && single.jobs.map((job) => [job.takeIndex, job.takeCount, job.requestId])).toEqual([
          [1, 1, null],
        ]);
      });

      it('moves a job along the state machine, writing the patch and the time of the change', async () => {
        const store = await open();
        const job = await inserted(store);
        time.advance(1_000);
        const moved = await store.transition(job.id, 'in_progress', {
          remoteId: 'video_1',
          progress: 40,
          reportsProgress: true,
          nextPollAt: time.now() + 5_000,
        });
        expect(moved).toMatchObject({
          state: 'in_progress',
          remoteId: 'video_1',
          progress: 40,
          reportsProgress: true,
          nextPollAt: time.now() + 5_000,
          updatedAt: time.now(),
        });
        expect(await store.get(job.id)).toEqual(moved);
      });

      it('refuses an illegal transition and leaves the row as it was', async () => {
        const store = await open();
        const job = await inserted(store);
        await store.transition(job.id, 'failed', { errorKind: 'moderation' });
        await expect(store.transition(job.id, 'queued', { remoteId: 'video_1' })).rejects.toThrow(
          IllegalTransitionError,
        );
        expect(await store.get(job.id)).toMatchObject({
          state: 'failed',
          remoteId: null,
          errorKind: 'moderation',
        });
        expect(await store.tryTransition(job.id, 'delivered')).toBeUndefined();
        expect(await store.tryTransition(9_999, 'failed')).toBeUndefined();
      });

      it('applies a tryTransition only from the states the caller saw', async () => {
        const store = await open();
        const job = await queued(store, 'video_1');
        expect(await store.tryTransition(job.id, 'failed', { errorKind: 'timed_out' }, ['in_progress'])).toBe(
          undefined,
        );
        expect(
          await store.tryTransition(job.id, 'failed', { errorKind: 'timed_out' }, ['queued']),
        ).toMatchObject({
          state: 'failed',
          errorKind: 'timed_out',
        });
      });

      it('tells every committed transition, with its note, once, and nothing of a refused one', async () => {
        const told: JobTransition[] = [];
        const store = await open({ onTransition: (change) => told.push(change) });
        const job = await inserted(store);
        await store.transition(job.id, 'queued', { remoteId: 'video_1' });
        await store.tryTransition(job.id, 'canceled', {}, ['queued'], { canceledBy: 'mod' });
        await store.tryTransition(job.id, 'failed');
        expect(told[1]?.job).toEqual(await store.get(job.id));
        await store.update(job.id, { progress: 5 });
        expect(told.map(({ job: changed, from, note }) => [changed.state, from, note])).toEqual([
          ['queued', 'submitting', undefined],
          ['canceled', 'queued', { canceledBy: 'mod' }],
        ]);
      });

      it('updates columns without a state change, and only while the job is in the given states', async () => {
        const store = await open();
        const job = await queued(store, 'video_1');
        expect(await store.update(job.id, { replyMessageId: 'm1', ephemeral: true })).toMatchObject({
          state: 'queued',
          replyMessageId: 'm1',
          ephemeral: true,
        });
        expect(await store.updateWhile(job.id, ['in_progress'], { progress: 50 })).toBeUndefined();
        expect(await store.updateWhile(job.id, ['queued'], { progress: 50 })).toMatchObject({ progress: 50 });
        expect(await store.updateWhile(9_999, ['queued'], { progress: 50 })).toBeUndefined();
        await expect(store.update(9_999, { progress: 1 })).rejects.toThrow();
      });

      it('marks a delivered video removed once, by whoever came first; never a job not delivered', async () => {
        const store = await open();
        const running = await queued(store, 'video_running');
        expect(await store.markRemoved(running.id, 'u1', 'requester', time.now())).toBeUndefined();
        expect(await store.get(running.id)).toMatchObject({
          removedAt: null,
          removedBy: null,
          state: 'queued',
        });
        expect(await store.markRemoved(9_999, 'u1', 'requester', time.now())).toBeUndefined();

        const job = await delivered(store, 'video_1');
        expect(job.mediaPath).toBe('/media/video_1.mp4');
        const at = time.now() + 7;
        time.advance(10);
        const removed = await store.markRemoved(job.id, 'u1', 'requester', at);
        expect(removed).toMatchObject({
          state: 'delivered',
          removedAt: at,
          removedBy: 'u1',
          removedByRole: 'requester',
          mediaPath: null,
          updatedAt: time.now(),
        });
        expect(await store.get(job.id)).toEqual(removed);
        // A second removal (a moderator a moment later) finds it removed: nothing is written.
        time.advance(10);
        expect(await store.markRemoved(job.id, 'mod', 'moderator', time.now())).toBeUndefined();
        expect(await store.get(job.id)).toEqual(removed);
      });

      it('lists jobs by state, oldest first', async () => {
        const store = await open();
        const a = await queued(store, 'video_a');
        const b = await inserted(store);
        const c = await queued(store, 'video_c');
        expect((await store.byState(['queued'])).map((job) => job.id)).toEqual([a.id, c.id]);
        expect((await store.byState(['submitting', 'queued'])).map((job) => job.id)).toEqual([
          a.id,
          b.id,
          c.id,
        ]);
        expect(await store.byState(['delivered'])).toEqual([]);
      });
      it("keeps a job's thread, style, defaults and removal apart from its prompt", async () => {
        const store = await open();
        const plain = await inserted(store);
        expect(plain).toMatchObject({
          threadId: null,
          styleName: null,
          styleText: null,
          stylePlacement: null,
          defaultsApplied: [],
          removedAt: null,
          removedBy: null,
          removedByRole: null,
        });
        const styled = await inserted(store, {
          prompt: 'a lion',
          threadId: 't1',
          style: { name: 'Noir', text: 'in black and white', placement: 'before' },
          defaultsApplied: ['size', 'style'],
        });
        expect(styled).toMatchObject({
          prompt: 'a lion',
          threadId: 't1',
          styleName: 'Noir',
          styleText: 'in black and white',
          stylePlacement: 'before',
          defaultsApplied: ['size', 'style'],
        });
        const removed = await store.update(plain.id, {
          threadId: 't2',
          removedAt: time.now(),
          removedBy: 'u9',
          removedByRole: 'moderator',
        });
        expect(removed).toMatchObject({
          threadId: 't2',
          removedAt: time.now(),
          removedBy: 'u9',
          removedByRole: 'moderator',
        });
        expect(await store.get(plain.id)).toEqual(removed);
      });
    });

    describe('quotas', () => {
      const limits: QuotaLimits = { inFlightPerUser: 2, jobsPerUserPerDay: 3, secondsPerGuildPerDay: 20 };

      it('refuses a member over the in-flight limit and inserts nothing', async () => {
        const store = await open();
        await inserted(store, { seconds: 4 }, limits);
        await inserted(store, { seconds: 4 }, limits);
        const refusal = { limit: 'in_flight', max: 2, frees: 'when_a_running_job_ends' };
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), limits)).toEqual(refusal);
        expect(await store.insertWithinQuota(newJob({ seconds: 4 }), limits)).toEqual({ ok: false, refusal });
        expect(await store.byState(['submitting'])).toHaveLength(2);
        // Another member, or the same member in another guild, is not held back.
        expect(await store.quotaRefusal(newJob({ userId: 'u2', seconds: 4 }), limits)).toBeNull();
        expect(await store.quotaRefusal(newJob({ guildId: 'g2', seconds: 4 }), limits)).toBeNull();
      });

      it('refuses the fourth charged job of a day, saying when the oldest leaves the window', async () => {
        const store = await open();
        const firstAt = time.now();
        for (let index = 0; index < 3; index++) {
          const job = await inserted(store, { seconds: 4 }, limits);
          await store.transition(job.id, 'canceled', { charged: index !== 1 });
          time.advance(60_000);
        }
        // The uncharged one does not count.
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), limits)).toBeNull();
        const charged = await inserted(store, { seconds: 4 }, limits);
        await store.transition(charged.id, 'failed');
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), limits)).toEqual({
          limit: 'user_daily',
          max: 3,
          freesAt: firstAt + dayMs,
        });
        time.advance(dayMs - 3 * 60_000 + 1);
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), limits)).toBeNull();
      });

      it('refuses seconds over the guild allowance, saying when enough leave the window, or that none will', async () => {
        const store = await open();
        const roomy = { ...limits, inFlightPerUser: 10, jobsPerUserPerDay: 10 };
        const firstAt = time.now();
        for (const seconds of [8, 8]) {
          await inserted(store, { seconds, userId: `u${seconds}-${time.now()}` }, roomy);
          time.advance(60_000);
        }
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), roomy)).toBeNull();
        expect(await store.quotaRefusal(newJob({ seconds: 6 }), roomy)).toEqual({
          limit: 'guild_seconds',
          max: 20,
          used: 16,
          freesAt: firstAt + dayMs,
        });
        expect(await store.quotaRefusal(newJob({ seconds: 14 }), roomy)).toEqual({
          limit: 'guild_seconds',
          max: 20,
          used: 16,
          freesAt: firstAt + 60_000 + dayMs,
        });
        expect(await store.insertWithinQuota(newJob({ seconds: 21 }), roomy)).toEqual({
          ok: false,
          refusal: { limit: 'guild_seconds_never', max: 20, seconds: 21 },
        });
      });

      it('refuses a request of takes whole when they do not all fit, saying how many would', async () => {
        const store = await open();
        const roomy = { inFlightPerUser: 4, jobsPerUserPerDay: 10, secondsPerGuildPerDay: 100 };
        await inserted(store, { seconds: 4 }, roomy);
        const inFlight = { limit: 'in_flight', max: 4, frees: 'when_a_running_job_ends' };
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), roomy, 4)).toEqual({
          ...inFlight,
          takes: { requested: 4, fits: 3 },
        });
        expect(await store.insertTakesWithinQuota(newJob({ seconds: 4 }), 4, roomy)).toEqual({
          ok: false,
          refusal: { ...inFlight, takes: { requested: 4, fits: 3 } },
        });
        expect(await store.byState(['submitting'])).toHaveLength(1);
        // The server's seconds: 3 takes of 8 s fit in 100 - 4 = 96; 4 of 25 s do not, 3 would.
        expect(await store.quotaRefusal(newJob({ seconds: 8 }), roomy, 3)).toBeNull();
        expect(
          await store.quotaRefusal(newJob({ seconds: 25 }), { ...roomy, inFlightPerUser: 10 }, 4),
        ).toEqual({
          limit: 'guild_seconds',
          max: 100,
          used: 4,
          freesAt: time.now() + dayMs,
          takes: { requested: 4, fits: 3 },
        });
        // Longer in all than the whole allowance: never, whatever the wait.
        expect(
          await store.quotaRefusal(
            newJob({ seconds: 30 }),
            { ...roomy, inFlightPerUser: 10, secondsPerGuildPerDay: 90 },
            4,
          ),
        ).toMatchObject({ limit: 'guild_seconds_never', seconds: 120, takes: { requested: 4, fits: 2 } });
        const three = await store.insertTakesWithinQuota(newJob({ seconds: 4 }), 3, roomy);
        expect(three.ok && three.jobs).toHaveLength(3);
        // The member's day: 4 of 10 used, so 2 takes fit, 3 would not... once 6 more are in.
        const daily = { ...roomy, inFlightPerUser: 100, jobsPerUserPerDay: 6 };
        expect(await store.quotaRefusal(newJob({ seconds: 4 }), daily, 3)).toMatchObject({
          limit: 'user_daily',
          max: 6,
          takes: { requested: 3, fits: 2 },
        });
      });

      it('never lets two processes inserting at once overshoot a limit', async () => {
        const [first, second] = [await open({ instance: 'a' }), await open({ instance: 'b' })];
        const one = { ...generous, inFlightPerUser: 3 };
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, index) =>
            (index % 2 ? first : second).insertWithinQuota(newJob(), one),
          ),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(3);
        expect(await first.byState(['submitting'])).toHaveLength(3);
      });

      it("reads a member's figures: in flight, charged today, the guild's seconds, and when the oldest leave", async () => {
        const store = await open();
        const empty = await store.quotaUsage('g1', 'u1');
        expect(empty).toEqual({
          at: time.now(),
          inFlight: 0,
          jobsToday: 0,
          nextJobFreesAt: null,
          guildSeconds: 0,
          nextSecondsFree: null,
        });
        const firstAt = time.now();
        // Two takes of 4 s made in one moment, then a finished 8 s job, another member's 6 s, an uncharged one.
        const takes = await store.insertTakesWithinQuota(newJob({ seconds: 4 }), 2, generous);
        expect(takes.ok).toBe(true);
        time.advance(60_000);
        const done = await inserted(store, { seconds: 8 });
        await store.transition(done.id, 'failed');
        time.advance(60_000);
        await inserted(store, { seconds: 6, userId: 'u2' });
        const free = await inserted(store, { seconds: 8 });
        await store.transition(free.id, 'canceled', { charged: false });
        // Another guild's job counts nowhere here.
        await inserted(store, { seconds: 8, guildId: 'g2' });
        expect(await store.quotaUsage('g1', 'u1')).toEqual({
          at: time.now(),
          inFlight: 2,
          jobsToday: 3,
          nextJobFreesAt: firstAt + dayMs,
          guildSeconds: 22,
          nextSecondsFree: { at: firstAt + dayMs, seconds: 8 },
        });
        expect(await store.quotaUsage('g1', 'u2')).toMatchObject({
          inFlight: 1,
          jobsToday: 1,
          nextJobFreesAt: firstAt + 120_000 + dayMs,
          guildSeconds: 22,
        });
        // The two takes leave the window: the member's oldest is now the 8 s job.
        time.advance(dayMs - 120_000 + 1);
        expect(await store.quotaUsage('g1', 'u1')).toMatchObject({
          inFlight: 2,
          jobsToday: 1,
          nextJobFreesAt: firstAt + 60_000 + dayMs,
          guildSeconds: 14,
          nextSecondsFree: { at: firstAt + 60_000 + dayMs, seconds: 8 },
        });
      });
    });

    describe('poll claims', () => {
      it('claims due jobs for a lease, soonest first, within the limit and never those skipped', async () => {
        const store = await open();
        const later = await queued(store, 'video_later', time.now() + 1_000);
        const soon = await queued(store, 'video_soon', time.now() - 2_000);
        const skipped = await queued(store, 'video_skipped', time.now() - 3_000);
        const now = await queued(store, 'video_now', time.now());
        const claimed = await store.claimDue(2, leaseMs, [skipped.id]);
        expect(claimed.map((job) => job.id)).toEqual([soon.id, now.id]);
        // Handed out as they were when due (the lag of a poll behind its due time is measured so).
        expect(claimed.map((job) => job.nextPollAt)).toEqual([time.now() - 2_000, time.now()]);
        expect((await store.get(soon.id))?.nextPollAt).toBe(time.now() + leaseMs);
        // Held by the lease: not due again.
        expect((await store.claimDue(10, leaseMs)).map((job) => job.id)).toEqual([skipped.id]);
        expect(await store.claimDue(10, leaseMs)).toEqual([]);
        time.advance(1_000);
        expect((await store.claimDue(10, leaseMs)).map((job) => job.id)).toEqual([later.id]);
      });

      it('clears the next poll of a job that leaves the polling states, and never reports such a job due', async () => {
        const store = await open();
        const waiting = await queued(store, 'r1', time.now() + 1_000);
        const canceled = await queued(store, 'r2', time.now() + 500);
        expect((await store.transition(canceled.id, 'canceled')).nextPollAt).toBeNull();
        expect(await store.nextDueAt()).toBe(time.now() + 1_000);
        time.advance(1_000);
        expect((await store.claimDue(10, leaseMs)).map((job) => job.id)).toEqual([waiting.id]);
        expect(await store.nextDueAt()).toBe(time.now() + leaseMs);
        await store.transition(waiting.id, 'failed');
        expect(await store.nextDueAt()).toBeNull();
      });

      it('writes a poll result only while the job still waits on the provider', async () => {
        const store = await open();
        const job = await queued(store, 'r1');
        await store.transition(job.id, 'canceled');
        expect(
          await store.updateWhile(job.id, ['queued', 'in_progress'], { nextPollAt: time.now() + 5 }),
        ).toBe(undefined);
        expect(await store.tryTransition(job.id, 'failed', {}, ['queued', 'in_progress'])).toBeUndefined();
        expect(await store.get(job.id)).toMatchObject({ state: 'canceled', nextPollAt: null });
      });

      it('brings forward at a restart only the claims of its own earlier run, not waits the provider asked for', async () => {
        const store = await open({ instance: 'host-1' });
        const claimed = await queued(store, 'r1');
        const waiting = await queued(store, 'r2', time.now() + 120_000);
        const unscheduled = await store.transition((await inserted(store)).id, 'queued', { remoteId: 'r3' });
        await store.claimDue(10, leaseMs);
        await store.close();

        const restarted = await open({ instance: 'host-1' });
        expect(await restarted.releaseOwnStaleClaims()).toBe(2);
        expect((await restarted.get(claimed.id))?.nextPollAt).toBe(time.now());
        expect((await restarted.get(unscheduled.id))?.nextPollAt).toBe(time.now());
        expect((await restarted.get(waiting.id))?.nextPollAt).toBe(time.now() + 120_000);
        // Its own claims are not stale.
        await restarted.claimDue(10, leaseMs);
        expect(await restarted.releaseOwnStaleClaims()).toBe(0);
      });

      it('ends a poll claim with any new schedule', async () => {
        const store = await open({ instance: 'host-1' });
        const job = await queued(store, 'r1');
        await store.claimDue(10, leaseMs);
        await store.updateWhile(job.id, ['queued'], { nextPollAt: time.now() + 90_000 });
        await store.close();
        const restarted = await open({ instance: 'host-1' });
        // The wait the provider asked for is no claim: it stays.
        expect(await restarted.releaseOwnStaleClaims()).toBe(0);
        expect((await restarted.get(job.id))?.nextPollAt).toBe(time.now() + 90_000);
      });
    });

    describe('delivery claims', () => {
      async function completed(store: JobStore): Promise<Job> {
        const job = await queued(store, `video_${time.now()}_${Math.random()}`);
        return store.transition(job.id, 'completed', { videoUrl: 'https://provider.test/v.mp4' });
      }

      it('claims only jobs waiting for delivery, renews its own claim, and releases it', async () => {
        const store = await open();
        const job = await completed(store);
        const running = await queued(store, 'video_running');
        expect(await store.claimDelivery(running.id, leaseMs)).toBeUndefined();
        expect(await store.claimDelivery(job.id, leaseMs)).toMatchObject({ id: job.id, state: 'completed' });
        expect(await store.claimDelivery(job.id, leaseMs)).toMatchObject({ id: job.id });
        await store.transition(job.id, 'delivering');
        expect(await store.claimDelivery(job.id, leaseMs)).toMatchObject({ state: 'delivering' });
        await store.releaseDelivery(job.id);
        await store.transition(job.id, 'delivered', { deliveredAt: time.now() });
        expect(await store.claimDelivery(job.id, leaseMs)).toBeUndefined();
      });

      it("takes back at a restart its own earlier run's delivery claims, not another instance's", async () => {
        const store = await open({ instance: 'host-1' });
        const mine = await completed(store);
        await store.claimDelivery(mine.id, 30 * 60_000);
        await store.transition(mine.id, 'delivering');
        const other = await open({ instance: 'host-2' });
        const theirs = await completed(other);
        await other.claimDelivery(theirs.id, 30 * 60_000);
        await store.close();

        const restarted = await open({ instance: 'host-1' });
        expect(await restarted.releaseOwnStaleClaims()).toBe(1);
        // At once, not after the 30-minute lease: the killed run cannot be uploading any more.
        expect(await restarted.claimDelivery(mine.id, leaseMs)).toMatchObject({
          id: mine.id,
          state: 'delivering',
        });
        expect(await restarted.claimDelivery(theirs.id, leaseMs)).toBeUndefined();
      });

      it('hands a delivery that went quiet to delivery again, unless someone holds it', async () => {
        const store = await open();
        const quiet = await completed(store);
        const held = await completed(store);
        const recent = await completed(store);
        time.advance(20 * 60_000);
        await store.update(recent.id, { deliveryAttempts: 1 });
        await store.claimDelivery(held.id, 30 * 60_000);
        expect((await store.undeliveredIdle(time.now(), 15 * 60_000)).map((job) => job.id)).toEqual([
          quiet.id,
        ]);
        await store.releaseDelivery(held.id);
        expect((await store.undeliveredIdle(time.now(), 15 * 60_000)).map((job) => job.id)).toEqual([
          quiet.id,
          held.id,
        ]);
      });

      it('hands a delivery whose claim lapsed to delivery again, however recently its row was written', async () => {
        const store = await open();
        const lapsed = await completed(store);
        const live = await completed(store);
        await store.claimDelivery(lapsed.id, leaseMs);
        time.advance(leaseMs / 2);
        await store.claimDelivery(live.id, leaseMs);
        time.advance(leaseMs / 2);
        // Written a moment ago by its holder, which then died.
        await store.transition(lapsed.id, 'delivering');
        expect((await store.undeliveredIdle(time.now(), 15 * 60_000)).map((job) => job.id)).toEqual([
          lapsed.id,
        ]);
      });
    });

    describe('history and usage', () => {
      async function seeded(store: JobStore, count: number): Promise<void> {
        for (let index = 0; index < count; index++) {
          const job = await inserted(store, { prompt: `job ${index + 1}` });
          if (index % 3 === 0) await store.transition(job.id, 'failed');
          time.advance(1_000);
        }
      }

      it('pages a member’s jobs newest first by keyset, forwards and back', async () => {
        const store = await open();
        await seeded(store, 7);
        const ids = async (query: { beforeId?: number; afterId?: number }) =>
          (await store.history({ guildId: 'g1', userId: 'u1', limit: 3, ...query })).map((job) => job.id);
        expect(await ids({})).toEqual([7, 6, 5]);
        expect(await ids({ beforeId: 5 })).toEqual([4, 3, 2]);
        expect(await ids({ afterId: 4 })).toEqual([7, 6, 5]);
        expect(await ids({ beforeId: 1 })).toEqual([]);
      });

      it('stays stable when new jobs arrive between pages', async () => {
        const store = await open();
        await seeded(store, 5);
        const first = await store.history({ guildId: 'g1', userId: 'u1', limit: 2 });
        await inserted(store, { prompt: 'newcomer' });
        const next = await store.history({
          guildId: 'g1',
          userId: 'u1',
          limit: 2,
          beforeId: first.at(-1)?.id,
        });
        expect(next.map((job) => job.id)).toEqual([3, 2]);
      });

      it('filters by state and never mixes members or guilds', async () => {
        const store = await open();
        await seeded(store, 6);
        await inserted(store, { userId: 'u2' });
        await inserted(store, { guildId: 'g2' });
        const history = (query: { guildId: string; userId: string; states?: ['failed'] }) =>
          store.history({ ...query, limit: 10 });
        expect((await history({ guildId: 'g1', userId: 'u1', states: ['failed'] })).map((j) => j.id)).toEqual(
          [4, 1],
        );
        expect((await history({ guildId: 'g1', userId: 'u2' })).map((j) => j.userId)).toEqual(['u2']);
        expect((await history({ guildId: 'g2', userId: 'u1' })).map((j) => j.guildId)).toEqual(['g2']);
      });

      it('finds the jobs made from given jobs, in the guild only, oldest first', async () => {
        const store = await open();
        const root = await inserted(store);
        const regenerated = await inserted(store, {
          origin: { kind: 'regenerate', jobId: root.id, channelId: null, messageId: null },
        });
        const takes = await store.insertTakesWithinQuota(
          newJob({ origin: { kind: 'remix', jobId: regenerated.id, channelId: null, messageId: null } }),
          2,
          generous,
        );
        await inserted(store, {
          guildId: 'g2',
          origin: { kind: 'regenerate', jobId: root.id, channelId: null, messageId: null },
        });
        const ids = async (from: number[]) => (await store.madeFrom('g1', from, 10)).map((job) => job.id);
        expect(await ids([root.id])).toEqual([regenerated.id]);
        const [firstTake, secondTake] = takes.ok ? takes.jobs : [];
        expect(await ids([regenerated.id])).toEqual([firstTake?.id]);
        expect(await ids([root.id, firstTake?.id ?? 0])).toEqual([regenerated.id, secondTake?.id]);
        expect(await ids([])).toEqual([]);
        expect(await store.madeFrom('g1', [root.id, firstTake?.id ?? 0], 1)).toHaveLength(1);
      });

      it('counts a guild’s jobs by state and the seconds charged', async () => {
        const store = await open();
        await seeded(store, 4);
        expect(await store.guildCounts('g1', time.now() - dayMs)).toEqual({
          byState: { failed: 2, submitting: 2 },
          seconds: 24,
        });
        expect(await store.guildCounts('g1', time.now())).toEqual({ byState: {}, seconds: 0 });
        expect(await store.countsByState()).toEqual({ failed: 2, submitting: 2 });
      });

      it('names the busiest members and the failure reasons since a time', async () => {
        const store = await open();
        const since = time.now();
        for (const userId of ['u1', 'u2', 'u2', 'u3', 'u2', 'u1'])
          await inserted(store, { userId, seconds: 4 });
        const uncharged = await inserted(store, { userId: 'u3' });
        await store.transition(uncharged.id, 'failed', { errorKind: 'moderation', charged: false });
        const [one, two] = await store.byState(['submitting']);
        if (!one || !two) throw new Error('no jobs');
        await store.transition(one.id, 'failed', { errorKind: 'moderation' });
        await store.transition(two.id, 'failed');
        await inserted(store, { guildId: 'g2' });
        expect(await store.topMembers('g1', since)).toEqual([
          { userId: 'u2', jobs: 3, seconds: 12 },
          { userId: 'u1', jobs: 2, seconds: 8 },
          { userId: 'u3', jobs: 2, seconds: 4 },
        ]);
        expect(await store.failureReasons('g1', since)).toEqual([
          { kind: 'moderation', jobs: 2 },
          { kind: 'unknown', jobs: 1 },
        ]);
        expect(await store.failureReasons('g1', time.now() + 1)).toEqual([]);
      });
    });

    describe('settings, moderation and shared values', () => {
      it('keeps per-guild settings, merging partial updates', async () => {
        const store = await open();
        expect(await store.guildSettings('g1')).toEqual({
          guildId: 'g1',
          inFlightPerUser: null,
          jobsPerUserPerDay: null,
          secondsPerDay: null,
          allowedChannelIds: [],
          moderatorRoleId: null,
        });
        await store.updateGuildSettings('g1', { inFlightPerUser: 1 });
        expect(await store.updateGuildSettings('g1', { allowedChannelIds: ['c9', 'c8'] })).toMatchObject({
          inFlightPerUser: 1,
          allowedChannelIds: ['c9', 'c8'],
        });
        await store.updateGuildSettings('g1', { moderatorRoleId: 'r1', secondsPerDay: 60 });
        expect(await store.guildSettings('g1')).toEqual({
          guildId: 'g1',
          inFlightPerUser: 1,
          jobsPerUserPerDay: null,
          secondsPerDay: 60,
          allowedChannelIds: ['c9', 'c8'],
          moderatorRoleId: 'r1',
        });
        expect((await store.guildSettings('g2')).inFlightPerUser).toBeNull();
      });

      it('keeps per-channel settings per guild, merging partial updates and clearing with null', async () => {
        const store = await open();
        const unset = {
          guildId: 'g1',
          channelId: 'c1',
          model: null,
          size: null,
          seconds: null,
          styleName: null,
          threads: null,
          maxSeconds: null,
          maxTakes: null,
        };
        expect(await store.channelSettings('g1', 'c1')).toEqual(unset);
        await store.updateChannelSettings('g1', 'c1', { size: '720x1280', threads: true });
        await store.updateChannelSettings('g1', 'c1', { maxSeconds: 4, maxTakes: 1, styleName: 'Noir' });
        expect(await store.updateChannelSettings('g1', 'c1', { threads: false, size: null })).toEqual({
          ...unset,
          styleName: 'Noir',
          threads: false,
          maxSeconds: 4,
          maxTakes: 1,
        });
        await store.updateChannelSettings('g1', 'c0', { seconds: 8 });
        await store.updateChannelSettings('g2', 'c1', { model: 'sora-2' });
        expect(
          (await store.channelSettingsList('g1')).map((channel) => [channel.channelId, channel.seconds]),
        ).toEqual([
          ['c0', 8],
          ['c1', null],
        ]);
        expect(await store.channelSettings('g2', 'c1')).toEqual({ ...unset, guildId: 'g2', model: 'sora-2' });
      });

      it("keeps each guild's styles apart, unique by name without regard to case", async () => {
        const store = await open();
        const noir = {
          guildId: 'g1',
          name: 'Noir',
          text: 'black and white, hard shadows',
          placement: 'after' as const,
          model: null,
          size: '720x1280',
          seconds: 4,
          createdBy: 'a1',
        };
        expect(await store.styles('g1')).toEqual([]);
        expect(await store.addStyle(noir)).toBe(true);
        time.advance(1_000);
        expect(await store.addStyle({ ...noir, name: 'NOIR', text: 'other' })).toBe(false);
        expect(await store.addStyle({ ...noir, name: 'ｎｏｉｒ', text: 'full-width' })).toBe(false);
        expect(
          await store.addStyle({
            ...noir,
            name: 'Anime',
            text: 'cel shaded',
            placement: 'before',
            model: 'veo-3.1-generate-preview',
            size: null,
            seconds: null,
          }),
        ).toBe(true);
        // Another guild may use the same name, and sees nothing of g1's.
        expect(await store.addStyle({ ...noir, guildId: 'g2', text: 'g2 noir' })).toBe(true);
        expect(await store.style('g1', 'noir')).toEqual({ ...noir, createdAt: time.now() - 1_000 });
        expect((await store.styles('g1')).map((style) => [style.name, style.placement, style.model])).toEqual(
          [
            ['Anime', 'before', 'veo-3.1-generate-preview'],
            ['Noir', 'after', null],
          ],
        );
        expect((await store.style('g2', 'Noir'))?.text).toBe('g2 noir');
        expect(await store.style('g3', 'Noir')).toBeUndefined();
        expect(await store.removeStyle('g3', 'Noir')).toBeUndefined();
        expect((await store.removeStyle('g1', 'NOIR'))?.text).toBe('black and white, hard shadows');
        expect(await store.removeStyle('g1', 'Noir')).toBeUndefined();
        expect((await store.styles('g1')).map((style) => style.name)).toEqual(['Anime']);
        expect((await store.styles('g2')).map((style) => style.name)).toEqual(['Noir']);
      });

      it('blocks and unblocks members per guild, saying whether anything changed', async () => {
        const store = await open();
        expect(await store.block('g1', 'u1', 'mod', 'spam')).toBe(true);
        time.advance(1_000);
        expect(await store.block('g1', 'u1', 'mod', 'again')).toBe(false);
        expect(await store.block('g1', 'u2', 'mod', null)).toBe(true);
        expect(await store.isBlocked('g1', 'u1')).toBe(true);
        expect(await store.isBlocked('g2', 'u1')).toBe(false);
        expect(await store.blocked('g1')).toEqual([
          { userId: 'u2', reason: null, createdAt: time.now() },
          { userId: 'u1', reason: 'spam', createdAt: time.now() - 1_000 },
        ]);
        expect(await store.unblock('g1', 'u1')).toBe(true);
        expect(await store.unblock('g1', 'u1')).toBe(false);
        expect(await store.isBlocked('g1', 'u1')).toBe(false);
      });

      it('keeps an audit log per guild, newest first, paged back by id', async () => {
        const store = await open();
        for (let index = 0; index < 4; index++) {
          await store.audit({ guildId: 'g1', actorId: 'a1', action: `act.${index}`, target: `t${index}` });
        }
        await store.audit({
          guildId: 'g1',
          actorId: 'a2',
          action: 'quota.set',
          details: { inFlightPerUser: 2 },
        });
        await store.audit({ guildId: 'g2', actorId: 'a3', action: 'elsewhere' });
        const newest = await store.auditLog('g1', 2);
        expect(newest).toMatchObject([
          { actorId: 'a2', action: 'quota.set', target: null, createdAt: time.now() },
          { actorId: 'a1', action: 'act.3', target: 't3', details: null },
        ]);
        expect(JSON.parse(newest[0]?.details ?? 'null')).toEqual({ inFlightPerUser: 2 });
        const older = await store.auditLog('g1', 10, newest.at(-1)?.id);
        expect(older.map((entry) => entry.action)).toEqual(['act.2', 'act.1', 'act.0']);
      });

      it('keeps blocked words per guild by their normalised form, in the order added', async () => {
        const store = await open();
        expect(await store.blockedWords('g1')).toEqual([]);
        expect(await store.addBlockedWord('g1', 'Block', 'mod')).toBe(true);
        time.advance(1_000);
        // The same word in another form is already there; another guild keeps its own list.
        expect(await store.addBlockedWord('g1', 'ｂ.Ｌ.ö.c.k', 'mod2')).toBe(false);
        expect(await store.addBlockedWord('g1', '坏 词', 'mod2')).toBe(true);
        expect(await store.addBlockedWord('g2', 'block', 'other')).toBe(true);
        expect(await store.blockedWords('g1')).toEqual([
          { word: 'Block', createdBy: 'mod', createdAt: time.now() - 1_000 },
          { word: '坏 词', createdBy: 'mod2', createdAt: time.now() },
        ]);
        await expect(store.addBlockedWord('g1', '...', 'mod')).rejects.toThrow(RangeError);
        // Removed by any of its forms, saying what was removed; only in its own guild.
        expect(await store.removeBlockedWord('g1', 'BLOCK')).toBe('Block');
        expect(await store.removeBlockedWord('g1', 'block')).toBeNull();
        expect(await store.removeBlockedWord('g1', '...')).toBeNull();
        expect((await store.blockedWords('g1')).map((entry) => entry.word)).toEqual(['坏 词']);
        expect((await store.blockedWords('g2')).map((entry) => entry.word)).toEqual(['block']);
      });

      it('counts refused prompts per guild since a time', async () => {
        const store = await open();
        const start = time.now();
        await store.recordRefusal('g1', 'u1', 'blocked_word');
        time.advance(1_000);
        await store.recordRefusal('g1', 'u2', 'blocked_word');
        await store.recordRefusal('g2', 'u1', 'blocked_word');
        expect(await store.refusalCount('g1', start - 1)).toBe(2);
        expect(await store.refusalCount('g1', start)).toBe(1);
        expect(await store.refusalCount('g2', start - 1)).toBe(1);
        expect(await store.refusalCount('g3', start - 1)).toBe(0);
      });

      it('keeps small values, overwritten by the last write', async () => {
        const store = await open();
        expect(await store.readValue('pause')).toBeNull();
        await store.writeValue('pause', '{"until":1}');
        await store.writeValue('pause', '{"until":2}');
        expect(await store.readValue('pause')).toBe('{"until":2}');
      });

      it('names its holder by instance, and is unavailable once closed', async () => {
        const store = await open({ instance: 'host-1/shard-2' });
        const other = await open();
        expect(store.kind).toBe(under.name);
        expect(store.holder).toMatch(/^host-1\/shard-2#\w+$/);
        expect(other.holder).toMatch(/^main#\w+$/);
        expect(store.isAvailable()).toBe(true);
        await store.close();
        expect(store.isAvailable()).toBe(false);
        expect(other.isAvailable()).toBe(true);
      });
    });

    describe('provider webhooks', () => {
      it('applies each delivery id once, also from a second store on the same database', async () => {
        const store = await open();
        expect(await store.recordWebhookDelivery('msg_1', time.now())).toBe(true);
        expect(await store.recordWebhookDelivery('msg_1', time.now())).toBe(false);
        expect(await store.recordWebhookDelivery('msg_2', time.now())).toBe(true);
        await store.close();
        // Another process, or this one after a restart.
        const again = await open({ instance: 'b' });
        expect(await again.recordWebhookDelivery('msg_1', time.now())).toBe(false);
        expect(await again.recordWebhookDelivery('msg_3', time.now())).toBe(true);
      });

      it('makes a waiting job due now by its provider id, and no finished or unknown one', async () => {
        const store = await open();
        const waiting = await queued(store, 'video_wait', time.now() + 60_000);
        const [claimed] = await store.claimDue(10, leaseMs, []);
        expect(claimed).toBeUndefined();
        time.advance(1_000);
        expect(await store.pollRemoteNow('video_wait', time.now())).toEqual({
          jobId: waiting.id,
          polled: true,
        });
        expect((await store.get(waiting.id))?.nextPollAt).toBe(time.now());
        expect((await store.claimDue(10, leaseMs)).map((job) => job.id)).toEqual([waiting.id]);

        const done = await queued(store, 'video_done', time.now() + 60_000, { userId: 'u2' });
        await store.transition(done.id, 'completed', { completedAt: time.now() });
        const before = await store.get(done.id);
        expect(await store.pollRemoteNow('video_done', time.now())).toEqual({
          jobId: done.id,
          polled: false,
        });
        expect(await store.get(done.id)).toEqual(before);
        expect(await store.pollRemoteNow('video_unknown', time.now())).toBeNull();
      });

      it('keeps an event until its job is stored, then hands it over once', async () => {
        const store = await open();
        expect(await store.takePendingEvent('video_early')).toBeUndefined();
        await store.keepPendingEvent({
          remoteId: 'video_early',
          event: 'video.failed',
          receivedAt: time.now(),
        });
        time.advance(10);
        // A later event for the same video replaces it.
        await store.keepPendingEvent({
          remoteId: 'video_early',
          event: 'video.completed',
          receivedAt: time.now(),
        });
        expect(await store.takePendingEvent('video_early')).toEqual({
          remoteId: 'video_early',
          event: 'video.completed',
          receivedAt: time.now(),
        });
        expect(await store.takePendingEvent('video_early')).toBeUndefined();
      });

      it('prunes deliveries and pending events received before a time, and nothing newer', async () => {
        const store = await open();
        await store.recordWebhookDelivery('msg_old', time.now());
        await store.keepPendingEvent({
          remoteId: 'video_old',
          event: 'video.completed',
          receivedAt: time.now(),
        });
        time.advance(60_000);
        await store.recordWebhookDelivery('msg_new', time.now());
        await store.keepPendingEvent({
          remoteId: 'video_new',
          event: 'video.completed',
          receivedAt: time.now(),
        });
        expect(await store.pruneWebhooks(time.now())).toBe(2);
        expect(await store.takePendingEvent('video_old')).toBeUndefined();
        expect((await store.takePendingEvent('video_new'))?.remoteId).toBe('video_new');
        // A pruned id is outside the signature's 5-minute window by then: it may be recorded again.
        expect(await store.recordWebhookDelivery('msg_old', time.now())).toBe(true);
        expect(await store.recordWebhookDelivery('msg_new', time.now())).toBe(false);
      });
    });

    describe('generation times', () => {
      const kind = ['sora-2', 8, '1280x720'] as const;

      it('gives the quantiles of a kind’s samples, and none for a kind never seen', async () => {
        const store = await open();
        expect(await store.generationQuantiles(...kind)).toEqual({
          count: 0,
          running: 0,
          p10: null,
          p50: null,
          p90: null,
        });
        // Recorded out of order: 1 s to 10 s.
        for (const seconds of [7, 2, 9, 4, 1, 10, 3, 8, 6, 5]) {
          await store.recordGenerationTime(...kind, seconds * 1_000, time.now());
        }
        expect(await store.generationQuantiles(...kind)).toEqual({
          count: 10,
          running: 0,
          p10: 1_000,
          p50: 5_000,
          p90: 9_000,
        });
      });

      it('keeps model, duration and size apart', async () => {
        const store = await open();
        await store.recordGenerationTime('sora-2', 8, '1280x720', 60_000, time.now());
        await store.recordGenerationTime('sora-2', 8, '1280x720', 62_000, time.now());
        await store.recordGenerationTime('sora-2-pro', 8, '1280x720', 120_000, time.now());
        await store.recordGenerationTime('sora-2', 4, '1280x720', 30_000, time.now());
        await store.recordGenerationTime('sora-2', 8, '720x1280', 90_000, time.now());
        expect(await store.generationQuantiles('sora-2', 8, '1280x720')).toEqual({
          count: 2,
          running: 0,
          p10: 60_000,
          p50: 60_000,
          p90: 62_000,
        });
        expect(await store.generationQuantiles('sora-2-pro', 8, '1280x720')).toMatchObject({
          count: 1,
          p50: 120_000,
        });
        expect(await store.generationQuantiles('sora-2', 4, '1280x720')).toMatchObject({
          count: 1,
          p50: 30_000,
        });
        expect(await store.generationQuantiles('sora-2', 8, '720x1280')).toMatchObject({
          count: 1,
          p50: 90_000,
        });
        expect((await store.generationQuantiles('sora-2', 12, '1280x720')).count).toBe(0);
      });

      it('takes the quantiles over the most recent 200 samples of a kind, leaving other kinds alone', async () => {
        const store = await open();
        await store.recordGenerationTime('other', 8, '1280x720', 5_000, time.now());
        // 250 samples, 1 ms to 250 ms: the first 50 no longer count.
        for (let index = 1; index <= 250; index++) {
          await store.recordGenerationTime(...kind, index, time.now());
        }
        const kept = await store.generationQuantiles(...kind);
        // Of 51..250, the 20th is 70, the 100th 150, the 180th 230.
        expect(kept).toEqual({ count: 200, running: 0, p10: 70, p50: 150, p90: 230 });
        expect(await store.generationQuantiles('other', 8, '1280x720')).toMatchObject({
          count: 1,
          p50: 5_000,
        });
      });

      it('counts the kind’s jobs still running as taking at least as long as they have so far', async () => {
        const store = await open();
        const running = ['veo-3.1-fast-generate-preview', 6, '1280x720'] as const;
        for (let index = 0; index < 10; index++) {
          await queued(store, `video_${index}`, time.now() + 60_000, { userId: `u${index}` });
        }
        // Neither another kind's job nor a finished one counts.
        await queued(store, 'video_other', time.now() + 60_000, { size: '720x1280' });
        const finished = await queued(store, 'video_done', time.now() + 60_000);
        await store.transition(finished.id, 'completed');
        time.advance(60_000);
        for (let seconds = 1; seconds <= 10; seconds++) {
          await store.recordGenerationTime(...running, seconds * 1_000, time.now());
        }
        // 20 jobs, 10 finished within 10 s and 10 running for a minute: half are known to take
        // 10 s at most, and how long nine in ten take cannot be known yet.
        expect(await store.generationQuantiles(...running)).toEqual({
          count: 10,
          running: 10,
          p10: 2_000,
          p50: 10_000,
          p90: null,
        });
      });

      it('keeps its samples across a restart and shares them with another process', async () => {
        const first = await open({ instance: 'a' });
        const other = await open({ instance: 'b' });
        await first.recordGenerationTime(...kind, 40_000, time.now());
        await other.recordGenerationTime(...kind, 50_000, time.now());
        await first.close();
        const restarted = await open({ instance: 'a' });
        expect(await restarted.generationQuantiles(...kind)).toEqual({
          count: 2,
          running: 0,
          p10: 40_000,
          p50: 40_000,
          p90: 50_000,
        });
        expect(await other.generationQuantiles(...kind)).toEqual(
          await restarted.generationQuantiles(...kind),
        );
      });
    });

    describe('two processes on one database', () => {
      it('never hands one due job to both when they claim at once', async () => {
        const [first, second] = [await open({ instance: 'a' }), await open({ instance: 'b' })];
        for (let index = 0; index < 200; index++) {
          await queued(first, `video_${index}`, time.now(), { userId: `u${index}` });
        }
        const claimedBy = async (store: JobStore): Promise<number[]> => {
          const ids: number[] = [];
          for (;;) {
            const claimed = await store.claimDue(7, leaseMs);
            if (claimed.length === 0) return ids;
            ids.push(...claimed.map((job) => job.id));
          }
        };
        const [byFirst, bySecond] = await Promise.all([claimedBy(first), claimedBy(second)]);
        const all = [...byFirst, ...bySecond];
        expect(new Set(all).size).toBe(200);
        expect(all).toHaveLength(200);
        expect(byFirst.filter((id) => bySecond.includes(id))).toEqual([]);
      });

      it('takes over a dead process’s claim only once its lease runs out', async () => {
        const dying = await open({ instance: 'a' });
        const survivor = await open({ instance: 'b' });
        const job = await queued(dying, 'video_1');
        expect((await dying.claimDue(10, leaseMs)).map((claimed) => claimed.id)).toEqual([job.id]);
        await dying.close();
        // Another instance's claim is not its to release.
        expect(await survivor.releaseOwnStaleClaims()).toBe(0);
        time.advance(leaseMs - 1);
        expect(await survivor.claimDue(10, leaseMs)).toEqual([]);
        time.advance(1);
        expect((await survivor.claimDue(10, leaseMs)).map((claimed) => claimed.id)).toEqual([job.id]);
      });

      it('takes back at a restart only the claims of its own instance, not those of a live neighbour', async () => {
        const first = await open({ instance: 'a' });
        const neighbour = await open({ instance: 'b' });
        const mine = await queued(first, 'video_mine');
        expect(await first.claimDue(1, leaseMs)).toHaveLength(1);
        const theirs = await queued(first, 'video_theirs');
        expect(await neighbour.claimDue(1, leaseMs)).toHaveLength(1);
        await first.close();

        const restarted = await open({ instance: 'a' });
        expect(await restarted.releaseOwnStaleClaims()).toBe(1);
        expect((await restarted.claimDue(10, leaseMs)).map((job) => job.id)).toEqual([mine.id]);
        expect((await neighbour.get(theirs.id))?.nextPollAt).toBe(time.now() + leaseMs);
      });

      it('lets one process deliver a job: the other waits until the claim is released or runs out', async () => {
        const first = await open({ instance: 'a' });
        const second = await open({ instance: 'b' });
        const job = await queued(first, 'video_1');
        await first.transition(job.id, 'completed');
        const [a, b] = await Promise.all([
          first.claimDelivery(job.id, leaseMs),
          second.claimDelivery(job.id, leaseMs),
        ]);
        expect([a, b].filter(Boolean)).toHaveLength(1);
        const [winner, loser] = a ? [first, second] : [second, first];
        expect(await loser.claimDelivery(job.id, leaseMs)).toBeUndefined();
        // A release by the one that does not hold it changes nothing.
        await loser.releaseDelivery(job.id);
        expect(await loser.claimDelivery(job.id, leaseMs)).toBeUndefined();
        await winner.releaseDelivery(job.id);
        expect(await loser.claimDelivery(job.id, leaseMs)).toMatchObject({ id: job.id });
        expect(await winner.claimDelivery(job.id, leaseMs)).toBeUndefined();
        time.advance(leaseMs);
        expect(await winner.claimDelivery(job.id, leaseMs)).toMatchObject({ id: job.id });
      });

      it('shares the provider-wide pause: what one writes the other reads', async () => {
        const first = await open({ instance: 'a' });
        const second = await open({ instance: 'b' });
        await first.writeValue('provider_rate_limit_pause', JSON.stringify({ until: 42, streak: 1 }));
        expect(await second.readValue('provider_rate_limit_pause')).toBe('{"until":42,"streak":1}');
      });

      it('lets exactly one of two removals at once win: the other gets nothing and writes nothing', async () => {
        const requester = await open({ instance: 'a' });
        const moderator = await open({ instance: 'b' });
        const jobs = await Promise.all(
          Array.from({ length: 5 }, (_, n) => delivered(requester, `video_removed_${n}`)),
        );
        for (const job of jobs) {
          const [a, b] = await Promise.all([
            requester.markRemoved(job.id, 'u1', 'requester', time.now()),
            moderator.markRemoved(job.id, 'mod', 'moderator', time.now() + 1),
          ]);
          expect([a, b].filter(Boolean)).toHaveLength(1);
          const won = a
            ? { removedBy: 'u1', removedByRole: 'requester', removedAt: time.now() }
            : { removedBy: 'mod', removedByRole: 'moderator', removedAt: time.now() + 1 };
          const row = await moderator.get(job.id);
          expect(row).toMatchObject({ ...won, mediaPath: null });
          expect(a ?? b).toEqual(row);
        }
      });

      it('makes the other’s poll write a no-op once one cancels the job', async () => {
        const canceling = await open({ instance: 'a' });
        const polling = await open({ instance: 'b' });
        const job = await queued(canceling, 'video_1');
        const [claimed] = await polling.claimDue(10, leaseMs);
        expect(claimed?.id).toBe(job.id);
        await canceling.tryTransition(job.id, 'canceled', { errorMessage: 'canceled by mod' }, ['queued']);
        expect(
          await polling.updateWhile(job.id, ['queued', 'in_progress'], { progress: 50 }),
        ).toBeUndefined();
        expect(
          await polling.tryTransition(job.id, 'in_progress', { progress: 60 }, ['queued']),
        ).toBeUndefined();
        expect(
          await polling.tryTransition(job.id, 'completed', {}, ['queued', 'in_progress']),
        ).toBeUndefined();
        expect(await polling.get(job.id)).toMatchObject({ state: 'canceled', progress: 0, nextPollAt: null });
      });
    });
  });
}
