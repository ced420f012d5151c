import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { providerErrorText, quotaText } from '../../src/discord/replies.ts';
import { cancelJob, submitJob, submitTakes } from '../../src/jobs/index.ts';
import { countJobs, generous, newJob, world } from './helpers.ts';

type World = Awaited<ReturnType<typeof world>>;
let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const limits = { inFlightPerUser: 2, jobsPerUserPerDay: 3, secondsPerGuildPerDay: 20 };
const rows = (current: World) => countJobs(current.store);
const posts = (current: World) => current.video.requests.filter((r) => r.method === 'POST');

async function until(probe: () => boolean): Promise<void> {
  for (let round = 0; round < 500 && !probe(); round++)
    await new Promise((resolve) => setTimeout(resolve, 5));
  if (!probe()) throw new Error('condition not met');
}

describe('submitting a job', () => {
  it('writes the row first, then stores the provider id and queued', async () => {
    w = await world();
    const result = await submitJob(
      { store: w.store, submissions: w.submissions, client: w.client, defaults: generous, now: w.time.now },
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
    const deps = {
      store: w.store,
      submissions: w.submissions,
      client: w.client,
      defaults: limits,
      now: w.time.now,
    };
    await submitJob(deps, newJob({ seconds: 4 }));
    await submitJob(deps, newJob({ seconds: 4 }));
    const refused = await submitJob(deps, newJob({ seconds: 4 }));
    // No clock can say when: it frees up when one of the member's running jobs ends.
    expect(refused).toEqual({
      ok: false,
      reason: 'quota',
      refusal: { limit: 'in_flight', max: 2, frees: 'when_a_running_job_ends' },
    });
    expect(await rows(w)).toBe(2);
    expect(posts(w)).toHaveLength(2);
  });

  it('refuses the fourth job of a day and says when the first leaves the 24-hour window', async () => {
    w = await world();
    const deps = {
      store: w.store,
      submissions: w.submissions,
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
    expect(await rows(w)).toBe(3);
    expect(posts(w)).toHaveLength(3);
    w.time.advance(86_400_000 - 3 * 60_000 + 1);
    expect((await submitJob(deps, newJob({ seconds: 4 }))).ok).toBe(true);
  });

  it("refuses when the guild's video seconds would run over, across members", async () => {
    w = await world();
    const deps = {
      store: w.store,
      submissions: w.submissions,
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
    expect(await rows(w)).toBe(2);
    expect(posts(w)).toHaveLength(2);
    expect((await submitJob(deps, newJob({ userId: 'c', seconds: 4 }))).ok).toBe(true);
  });

  it('refuses a video longer than the whole daily allowance as one that never fits, not "later"', async () => {
    w = await world();
    const deps = {
      store: w.store,
      submissions: w.submissions,
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
      "A video of 8 seconds is longer than this server's whole daily allowance of 6 video seconds. Choose a shorter duration.",
    );
    expect(quotaText('zh-CN', refused.refusal)).toContain('8 秒的视频');
    expect(await rows(w)).toBe(0);
    expect(posts(w)).toHaveLength(0);
  });

  it("sends a request's takes together, or refuses them whole on the server's seconds, saying how many fit", async () => {
    w = await world();
    const deps = {
      store: w.store,
      submissions: w.submissions,
      client: w.client,
      defaults: { inFlightPerUser: 10, jobsPerUserPerDay: 10, secondsPerGuildPerDay: 20 },
      now: w.time.now,
    };
    const sent = await submitTakes(deps, newJob({ seconds: 4 }), 2);
    expect(sent.ok && sent.takes.map((take) => [take.ok, take.job.state, take.job.takeIndex])).toEqual([
      [true, 'queued', 1],
      [true, 'queued', 2],
    ]);
    expect(posts(w)).toHaveLength(2);
    // 8 of 20 seconds used: three takes of 6 s (18 s) do not fit, two would.
    const refused = await submitTakes(deps, newJob({ seconds: 6 }), 3);
    if (refused.ok) throw new Error('expected a quota refusal');
    expect(refused.refusal).toMatchObject({ limit: 'guild_seconds', takes: { requested: 3, fits: 2 } });
    expect(quotaText('en-US', refused.refusal)).toBe(
      'This server has 12 of its 20 video seconds left for today, not enough for these 3 takes. Only 2 would fit now: set takes to 2, or wait.',
    );
    expect(quotaText('zh-TW', refused.refusal)).toBe(
      '這個伺服器今天的 20 秒影片額度只剩 12 秒，不夠這 3 個版本。現在只放得下 2 個：請把份數設為 2，或稍後再試。',
    );
    // Four takes of 6 s are more than the whole day's 20: never, whatever the wait.
    const never = await submitTakes(deps, newJob({ seconds: 6 }), 4);
    if (never.ok) throw new Error('expected a quota refusal');
    expect(quotaText('en-US', never.refusal)).toBe(
      "4 takes of 6 s are more than this server's whole daily allowance of 20 video seconds. Only 2 would fit now: set takes to 2, or wait.",
    );
    expect(await rows(w)).toBe(2);
    expect(posts(w)).toHaveLength(2);
  });

  it("applies a guild's own quota overrides", async () => {
    w = await world();
    await w.store.updateGuildSettings('g1', { inFlightPerUser: 1 });
    const deps = {
      store: w.store,
      submissions: w.submissions,
      client: w.client,
      defaults: generous,
      now: w.time.now,
    };
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
      submissions: w.submissions,
      client: w.client,
      defaults: { ...limits, jobsPerUserPerDay: 1, inFlightPerUser: 5 },
      now: w.time.now,
    };
    const refused = await submitJob(deps, newJob({ prompt: 'a forbidden thing' }));
    expect(refused).toMatchObject({ ok: false, reason: 'provider', error: { kind: 'moderation' } });
    if (refused.ok || refused.reason !== 'provider') throw new Error('expected a provider refusal');
    expect(await w.store.get(refused.job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'moderation',
      charged: false,
      remoteId: null,
    });
    expect((await submitJob(deps, newJob())).ok).toBe(true);
  });

  it('tells a member whose prompt the provider blocked at creation that it was moderation, not a bad request', async () => {
    w = await world();
    // The gateway accepts the create but answers with the job already failed by its safety system.
    w.video.fail(
      { method: 'POST', path: /^\/v1\/videos$/ },
      {
        kind: 'status',
        status: 200,
        body: {
          id: 'video_blocked1',
          object: 'video',
          status: 'failed',
          model: 'veo-3.1-fast-generate-preview',
          progress: 0,
          created_at: 1_790_000_000,
          error: {
            code: 'content_policy_violation',
            message: 'The prompt was flagged by our safety system.',
          },
        },
      },
    );
    const result = await submitJob(
      { store: w.store, submissions: w.submissions, client: w.client, defaults: generous, now: w.time.now },
      newJob({ prompt: 'something flagged' }),
    );
    if (result.ok || result.reason !== 'provider') throw new Error('expected a provider refusal');
    expect(result.error.kind).toBe('moderation');
    expect(providerErrorText('en-US', result.error)).toBe(
      'The video provider blocked this prompt or image under its content rules.',
    );
    expect(await w.store.get(result.job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'moderation',
      remoteId: 'video_blocked1',
      charged: false,
    });
  });

  it('keeps a create slower than the grace period, which a sweep meanwhile leaves alone, and queues it', async () => {
    w = await world({ tracker: { submittingGraceMs: 60_000 } });
    w.video.fail({ method: 'POST' }, { kind: 'delay', ms: 150 });
    const submitting = submitJob(
      { store: w.store, submissions: w.submissions, client: w.client, defaults: generous, now: w.time.now },
      newJob(),
    );
    await until(() => posts(w as World).length === 1);
    // Retries and image preparation can make a create take minutes.
    w.time.advance(5 * 60_000);
    await w.tracker.sweep();
    expect(await w.store.byState(['submitting'])).toHaveLength(1);
    const result = await submitting;
    if (!result.ok) throw new Error('refused');
    expect(await w.store.get(result.job.id)).toMatchObject({
      state: 'queued',
      remoteId: expect.stringMatching(/^video_/),
    });
    expect(w.events).toEqual([]);
  });

  it('withdraws a job a moderator canceled while it was being created: canceled row, provider id kept, video deleted', async () => {
    w = await world();
    w.video.fail({ method: 'POST' }, { kind: 'delay', ms: 150 });
    const submitting = submitJob(
      { store: w.store, submissions: w.submissions, client: w.client, defaults: generous, now: w.time.now },
      newJob(),
    );
    await until(() => posts(w as World).length === 1);
    const [row] = await w.store.byState(['submitting']);
    if (!row) throw new Error('no submitting row');
    const canceled = await cancelJob(
      { store: w.store, client: w.client, logger: pino({ level: 'silent' }) },
      row,
      'moderator-1',
    );
    expect(canceled?.state).toBe('canceled');
    const result = await submitting;
    expect(result).toMatchObject({ ok: true, job: { id: row.id, state: 'canceled' } });
    const stored = await w.store.get(row.id);
    expect(stored).toMatchObject({ state: 'canceled', charged: false, nextPollAt: null });
    expect(stored?.remoteId).toMatch(/^video_/);
    expect(w.video.jobs.has(stored?.remoteId ?? '')).toBe(false);
    expect(w.video.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      `/v1/videos/${stored?.remoteId}`,
    ]);
    expect(await w.store.nextDueAt()).toBeNull();
  });

  it('fails (never re-submits) a job left in submitting by a crash, once the grace period is over', async () => {
    w = await world({ tracker: { submittingGraceMs: 60_000 } });
    const inserted = await w.store.insertWithinQuota(newJob(), generous); // the process died before calling the provider
    if (!inserted.ok) throw new Error('refused');
    await w.tracker.sweep();
    expect((await w.store.get(inserted.job.id))?.state).toBe('submitting');
    w.time.advance(61_000);
    await w.tracker.sweep();
    expect(await w.store.get(inserted.job.id)).toMatchObject({
      state: 'failed',
      errorKind: 'interrupted',
      charged: false,
    });
    expect(w.events).toEqual([{ type: 'failed', id: inserted.job.id, state: 'failed' }]);
    expect(posts(w)).toHaveLength(0);
  });
});
