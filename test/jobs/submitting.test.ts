import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { providerErrorText, quotaText } from '../../src/discord/replies.ts';
import { cancelJob, submitJob } from '../../src/jobs/index.ts';
import { generous, newJob, world } from './helpers.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const limits = { inFlightPerUser: 2, jobsPerUserPerDay: 3, secondsPerGuildPerDay: 20 };
const rows = (current: World) =>
  current.store.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number };
const posts = (current: World) => current.video.requests.filter((r) => r.method === 'POST');

describe('submitting a job', () => {
  it('writes the row first, then stores the provider id and queued', async () => {
    w = await world();
    const result = await submitJob(
      { store: w.store, client: w.client, defaults: generous, now: w.time.now },
      newJob(),
    );
    if (!result.ok) throw new Error('refused');
    expect(result.job).toMatchObject({
      state: 'queued',
      remoteId: expect.stringMatching(/^video_/),
      nextPollAt: w.time.now() + 3_000,
    });
    expect(posts(w)[0]?.headers['idempotency-key']).toBe(`reelbot-${result.job.id}-${result.job.createdAt}`);
  });

  it('refuses a member over the in-flight limit, leaving no row and making no provider call', async () => {
    w = await world({ video: { pollsToComplete: 100 } });
    const deps = { store: w.store, client: w.client, defaults: limits, now: w.time.now };
    await submitJob(deps, newJob({ seconds: 4 }));
    await submitJob(deps, newJob({ seconds: 4 }));
    const refused = await submitJob(deps, newJob({ seconds: 4 }));
    // No clock can say when: it frees up when one of the member's running jobs ends.
    expect(refused).toEqual({
      ok: false,
      reason: 'quota',
      refusal: { limit: 'in_flight', max: 2, frees: 'when_a_running_job_ends' },
    });
    expect(rows(w).n).toBe(2);
    expect(posts(w)).toHaveLength(2);
  });

  it('refuses the fourth job of a day and says when the first leaves the 24-hour window', async () => {
    w = await world();
    const deps = {
      store: w.store,
      client: w.client,
      defaults: { ...limits, inFlightPerUser: 10, secondsPerGuildPerDay: 999 },
      now: w.time.now,
    };
    const firstAt = w.time.now();
    for (let index = 0; index < 3; index++) {
      await submitJob(deps, newJob({ seconds: 4 }));
      w.time.advance(60_000);
    }
    const refused = await submitJob(deps, newJob({ seconds: 4 }));
    expect(refused).toEqual({
      ok: false,
      reason: 'quota',
      refusal: { limit: 'user_daily', max: 3, freesAt: firstAt + 86_400_000 },
    });
    expect(rows(w).n).toBe(3);
    expect(posts(w)).toHaveLength(3);
    w.time.advance(86_400_000 - 3 * 60_000 + 1);
    expect((await submitJob(deps, newJob({ seconds: 4 }))).ok).toBe(true);
  });

  it("refuses when the guild's video seconds would run over, across members", async () => {
    w = await world();
    const deps = {
      store: w.store,
      client: w.client,
      defaults: { ...limits, inFlightPerUser: 10, jobsPerUserPerDay: 10 },
      now: w.time.now,
    };
    const firstAt = w.time.now();
    await submitJob(deps, newJob({ userId: 'a', seconds: 8 }));
    w.time.advance(60_000);
    await submitJob(deps, newJob({ userId: 'b', seconds: 8 }));
    const refused = await submitJob(deps, newJob({ userId: 'c', seconds: 8 }));
    // 16 + 8 > 20: it fits once the first 8 seconds leave the 24-hour window.
    expect(refused).toEqual({
      ok: false,
      reason: 'quota',
      refusal: { limit: 'guild_seconds', max: 20, used: 16, freesAt: firstAt + 86_400_000 },
    });
    expect(rows(w).n).toBe(2);
    expect(posts(w)).toHaveLength(2);
    expect((await submitJob(deps, newJob({ userId: 'c', seconds: 4 }))).ok).toBe(true);
  });

  it('refuses a video longer than the whole daily allowance as one that never fits, not "later"', async () => {
    w = await world();
    const deps = {
      store: w.store,
      client: w.client,
      defaults: { ...limits, inFlightPerUser: 10, jobsPerUserPerDay: 10, secondsPerGuildPerDay: 6 },
      now: w.time.now,
    };
    const refused = await submitJob(deps, newJob({ seconds: 8 }));
    expect(refused).toEqual({
      ok: false,
      reason: 'quota',
      refusal: { limit: 'guild_seconds_never', max: 6, seconds: 8 },
    });
    if (refused.ok || refused.reason !== 'quota') throw new Error('expected a quota refusal');
    expect(quotaText('en-US', refused.refusal)).toBe(
      "A 8-second video is longer than this server's whole daily allowance of 6 video seconds. Choose a shorter duration.",
    );
    expect(quotaText('zh-CN', refused.refusal)).toContain('8 秒的视频');
    expect(rows(w).n).toBe(0);
    expect(posts(w)).toHaveLength(0);
  });

  it("applies a guild's own quota overrides", async () => {
    w = await world();
    w.store.updateGuildSettings('g1', { inFlightPerUser: 1 });
    const deps = { store: w.store, client: w.client, defaults: generous, now: w.time.now };
    await submitJob(deps, newJob());
    expect(await submitJob(deps, newJob())).toMatchObject({
      ok: false,
      refusal: { limit: 'in_flight', max: 1 },
    });
    expect((await submitJob(deps, newJob({ guildId: 'g2' }))).ok).toBe(true);
  });

  it('keeps a failed row that spends no quota when the provider refuses the prompt', async () => {
    w = await world();
    const deps = {
      store: w.store,
      client: w.client,
      defaults: { ...limits, jobsPerUserPerDay: 1, inFlightPerUser: 5 },
      now: w.time.now,
    };
    const refused = await submitJob(deps, newJob({ prompt: 'a forbidden thing' }));
    expect(refused).toMatchObject({ ok: false, reason: 'provider', error: { kind: 'moderation' } });
    if (refused.ok || refused.reason !== 'provider') throw new Error('expected a provider refusal');
    expect(w.store.get(refused.job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'moderation',
      charged: false,
      remoteId: null,
    });
    expect((await submitJob(deps, newJob())).ok).toBe(true);
  });

  it('fails (never re-submits) a job left in submitting by a crash, once the grace period is over', async () => {
    w = await world({ tracker: { submittingGraceMs: 60_000 } });
    const inserted = w.store.insertWithinQuota(newJob(), generous); // the process died before calling the provider
    if (!inserted.ok) throw new Error('refused');
    w.tracker.sweep();
    expect(w.store.get(inserted.job.id)?.state).toBe('submitting');
    w.time.advance(61_000);
    w.tracker.sweep();
    expect(w.store.get(inserted.job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'interrupted',
      charged: false,
    });
    expect(w.events).toEqual([{ type: 'failed', id: inserted.job.id, state: 'failed' }]);
    expect(posts(w)).toHaveLength(0);
  });
});
