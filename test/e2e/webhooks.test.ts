// Provider webhooks end to end: the real bot's HTTP endpoint takes signed events from the fake
// video API (or crafted here), polls the job they name at once, and lets the poll decide. While
// events arrive, jobs are polled only by the sparse safety net, so what a test sees happen within
// seconds happened because of an event.
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/index.ts';
import { type FakeJob, type FakeVideoApiOptions, postWebhook, signedWebhook } from '../fakes/videoApi.ts';
import { type Harness, prompt, providerCreates, startHarness, until } from './harness.ts';

const secret = `whsec_${Buffer.from('e2e-provider-webhook-secret').toString('base64')}`;
const otherSecret = `whsec_${Buffer.from('not-the-providers-secret-at-all').toString('base64')}`;

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const webhookEnv = {
  HTTP_PORT: '0',
  HTTP_HOST: '127.0.0.1',
  PUBLIC_URL: 'http://placeholder.invalid',
  VIDEO_WEBHOOK_SECRET: secret,
  // Far longer than any test: a job polled within one was polled because of an event.
  VIDEO_WEBHOOK_SAFETY_POLL_SECONDS: '600',
};

function webhookUrl(h: Harness): string {
  const address = h.bot.http?.address();
  if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
  return `http://127.0.0.1:${address.port}/webhooks/video`;
}

/** A bot whose provider (the fake) sends signed webhooks to its endpoint; jobs never end by polling alone. */
async function startWithWebhooks(
  options: { env?: Record<string, string>; video?: FakeVideoApiOptions } = {},
): Promise<Harness> {
  const h = await startHarness({
    env: { ...webhookEnv, ...options.env },
    video: { pollsToComplete: 1_000_000, webhooks: { secret }, ...options.video },
  });
  h.video.webhooks.url = webhookUrl(h);
  harness = h;
  return h;
}

/** One verified event that names no job: from now on webhooks count as arriving (polls go sparse). */
async function webhooksArriving(h: Harness): Promise<void> {
  const answer = await postWebhook(
    webhookUrl(h),
    signedWebhook(secret, { type: 'video.warmup', videoId: 'none' }),
  );
  expect(answer).toEqual({ status: 200, answer: JSON.stringify({ status: 'ignored' }) });
}

/** Sends /video and waits until its job waits on the provider; the job and the fake's copy of it. */
async function queuedJob(h: Harness, text = 'a harbour at dawn'): Promise<{ job: Job; remote: FakeJob }> {
  h.command({ options: [prompt(text)] });
  const job = await until(async () => (await h.bot.store.byState(['queued', 'in_progress']))[0]);
  const remote = job.remoteId ? h.video.jobs.get(job.remoteId) : undefined;
  if (!remote) throw new Error('the provider has no such job');
  return { job, remote };
}

const deliveredJob = (h: Harness) => until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);

describe('provider webhooks', () => {
  it('polls the job an event names at once, trusts the poll over the event, and delivers on the real end', async () => {
    const h = await startWithWebhooks();
    await webhooksArriving(h);
    const { job, remote } = await queuedJob(h);
    // The first poll waits for the safety net: nothing has asked the provider yet.
    expect(remote.polls).toBe(0);
    expect((await h.bot.store.get(job.id))?.nextPollAt).toBeGreaterThan(Date.now() + 60_000);

    // An event that claims the video is done while the provider says it is still running.
    const early = await postWebhook(
      webhookUrl(h),
      signedWebhook(secret, { type: 'video.completed', videoId: remote.id }),
    );
    expect(early).toEqual({ status: 200, answer: JSON.stringify({ status: 'polling' }) });
    await until(async () => remote.polls === 1 && (await h.bot.store.get(job.id))?.state === 'in_progress');
    expect((await h.bot.store.get(job.id))?.completedAt).toBeNull();

    // The provider really finishes and says so: one poll more, and the video is delivered.
    h.video.completeJob(remote.id);
    const delivered = await deliveredJob(h);
    expect(delivered.id).toBe(job.id);
    expect(remote.polls).toBe(2);
    await h.video.webhooks.settled();
    expect(h.video.webhooks.sent.map(({ type, status }) => ({ type, status }))).toEqual([
      { type: 'video.completed', status: 200 },
    ]);
    expect(h.discord.calls.some((call) => call.files.length > 0)).toBe(true);
  });

  it('answers 400 to a wrong secret, an old or missing timestamp and a missing signature, and changes nothing', async () => {
    const h = await startWithWebhooks();
    await webhooksArriving(h);
    const { job, remote } = await queuedJob(h);
    // What a poll or an event could change (the card's own writes may still be landing).
    const pollColumns = async () => {
      const row = await h.bot.store.get(job.id);
      return (
        row && {
          state: row.state,
          nextPollAt: row.nextPollAt,
          progress: row.progress,
          pollAttempts: row.pollAttempts,
        }
      );
    };
    const before = await pollColumns();
    const url = webhookUrl(h);
    const event = { type: 'video.completed', videoId: remote.id, webhookId: 'msg_refused_first' };
    const forged = signedWebhook(otherSecret, event);
    const stale = signedWebhook(secret, { ...event, timestamp: new Date(Date.now() - 10 * 60_000) });
    const unsigned = signedWebhook(secret, event);
    const { 'webhook-signature': _signature, ...withoutSignature } = unsigned.headers;
    const { 'webhook-timestamp': _timestamp, ...withoutTimestamp } = unsigned.headers;
    for (const [what, request] of [
      ['wrong secret', forged],
      ['old timestamp', stale],
      ['no signature', { body: unsigned.body, headers: withoutSignature }],
      ['no timestamp', { body: unsigned.body, headers: withoutTimestamp }],
    ] as const) {
      expect((await postWebhook(url, request)).status, what).toBe(400);
    }
    expect(await pollColumns()).toEqual(before);
    expect(remote.polls).toBe(0);
    const recorded = await h.database.query<{ id: string }>(
      'SELECT webhook_id AS "id" FROM webhook_deliveries',
    );
    expect(recorded.map((row) => row.id)).not.toContain('msg_refused_first');
    expect(h.logs.join('')).not.toContain(secret.slice('whsec_'.length));
    const metrics = await (await fetch(webhookUrl(h).replace('/webhooks/video', '/metrics'))).text();
    expect(metrics).toContain('reelbot_provider_webhooks_total{outcome="refused"} 4');
    // The refused ones burnt nothing: the genuine delivery of that id is still applied.
    expect((await postWebhook(url, unsigned)).status).toBe(200);
    await until(() => remote.polls === 1);
  });

  it('applies a delivery once: a replay is refused, also after a restart and by another process on the database', async () => {
    const h = await startWithWebhooks();
    await webhooksArriving(h);
    const { job, remote } = await queuedJob(h);
    const event = signedWebhook(secret, { type: 'video.completed', videoId: remote.id });
    expect((await postWebhook(webhookUrl(h), event)).answer).toBe(JSON.stringify({ status: 'polling' }));
    // Polled (the provider now says running: the poll's answer is written with its next poll),
    // and the next poll is the safety net's again.
    const polled = await until(async () => {
      const row = await h.bot.store.get(job.id);
      return row?.state === 'in_progress' ? row : undefined;
    });
    expect(remote.polls).toBe(1);
    expect(polled.nextPollAt).toBeGreaterThan(Date.now() + 60_000);
    const duplicate = { status: 200, answer: JSON.stringify({ status: 'duplicate' }) };
    expect(await postWebhook(webhookUrl(h), event)).toEqual(duplicate);
    expect((await h.bot.store.get(job.id))?.nextPollAt).toBe(polled.nextPollAt);

    await h.restart();
    expect(await postWebhook(webhookUrl(h), event)).toEqual(duplicate);
    expect((await h.bot.store.get(job.id))?.nextPollAt).toBe(polled.nextPollAt);
    expect(remote.polls).toBe(1);
    const another = await h.database.openStore();
    try {
      expect(await another.recordWebhookDelivery(event.webhookId, Date.now())).toBe(false);
    } finally {
      await another.close();
    }
  });

  it("keeps an event that outruns the create's answer, and applies it once the job is stored", async () => {
    let url = '';
    const early: { status: number; answer: string; pending: string[] }[] = [];
    const h = await startWithWebhooks({
      video: {
        async beforeCreateAnswer(job) {
          // The provider's event arrives before the bot has the create's answer, which still says
          // queued; the job is done right after that answer went out.
          job.announced = true;
          const answer = await postWebhook(
            url,
            signedWebhook(secret, { type: 'video.completed', videoId: job.id }),
          );
          const pending = await harness?.database.query<{ id: string }>(
            'SELECT remote_id AS "id" FROM webhook_pending',
          );
          early.push({ ...answer, pending: (pending ?? []).map((row) => row.id) });
          // After the answer is sent (it is computed as soon as this returns).
          setImmediate(() => harness?.video.completeJob(job.id));
        },
      },
    });
    url = webhookUrl(h);
    await webhooksArriving(h);
    h.command({ options: [prompt('a comet over the sea')] });
    const delivered = await deliveredJob(h);
    expect(early).toEqual([
      { status: 202, answer: JSON.stringify({ status: 'kept' }), pending: [delivered.remoteId] },
    ]);
    // Found by the poll the kept event asked for, not by the safety net ten minutes later.
    expect(h.video.jobs.get(delivered.remoteId ?? '')?.polls).toBe(1);
    expect(await h.database.query('SELECT remote_id FROM webhook_pending')).toEqual([]);
  });

  it('finds a job whose webhook was lost with the safety-net poll, polling no more often than it', async () => {
    const h = await startWithWebhooks({ env: { VIDEO_WEBHOOK_SAFETY_POLL_SECONDS: '1' } });
    h.video.webhooks.lose = () => true;
    await webhooksArriving(h);
    const { job, remote } = await queuedJob(h);
    h.video.completeJob(remote.id);
    const delivered = await deliveredJob(h);
    expect(delivered.id).toBe(job.id);
    expect(h.video.webhooks.sent).toEqual([
      expect.objectContaining({ videoId: remote.id, lost: true, status: null }),
    ]);
    // Polled by the one-second net, not by the 50 ms schedule these tests otherwise poll on.
    expect(remote.polls).toBeLessThanOrEqual(2);
    expect(delivered.completedAt).not.toBeNull();
  });

  it("sends the callback URL on create to a gateway that takes one, and follows the gateway's event names", async () => {
    const gatewayEvents =
      'video.generation.completed,video.generation.failed,video.generation.cancelled,video.generation.expired';
    const h = await startWithWebhooks({
      env: { VIDEO_WEBHOOK_CALLBACK_FIELD: 'callback_url', VIDEO_WEBHOOK_EVENTS: gatewayEvents },
      video: {
        webhooks: {
          secret,
          callbackField: 'callback_url',
          names: { completed: 'video.generation.completed', failed: 'video.generation.failed' },
        },
      },
    });
    await webhooksArriving(h);
    const { job, remote } = await queuedJob(h, 'a storm over wheat');
    expect(
      providerCreates(h).map((create) => (create.json as { callback_url?: string }).callback_url),
    ).toEqual(['http://placeholder.invalid/webhooks/video']);
    expect(remote.callbackUrl).toBe('http://placeholder.invalid/webhooks/video');
    // OpenAI's name means nothing to this gateway's settings.
    const foreign = await postWebhook(
      webhookUrl(h),
      signedWebhook(secret, { type: 'video.failed', videoId: remote.id }),
    );
    expect(foreign.answer).toBe(JSON.stringify({ status: 'ignored' }));
    h.video.failJob(remote.id, 'moderation_blocked', 'blocked by the gateway');
    const failed = await until(async () => (await h.bot.store.byState(['failed']))[0]);
    expect(failed).toMatchObject({ id: job.id, errorCode: 'moderation_blocked' });
    expect(remote.polls).toBe(1);
    await h.video.webhooks.settled();
    expect(h.video.webhooks.sent.map(({ type, status }) => ({ type, status }))).toEqual([
      { type: 'video.generation.failed', status: 200 },
    ]);
  });
});
