// A restart after a long outage: a job that finished meanwhile is downloaded before anything says it expired.
import { afterEach, describe, expect, it } from 'vitest';
import { embedText, type Harness, prompt, sampleVideo, startHarness, until } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const contentRequests = (h: Harness) =>
  h.video.requests.filter(
    (r) => r.method === 'GET' && r.path.endsWith('/content') && !r.query.has('variant'),
  );

/**
 * A job finishes at a gateway that gives no `expires_at`; its download hangs (the outage) and
 * the bot stops with it `delivering`; more than an hour passes before the bot starts again.
 */
async function finishedDuringOutage(h: Harness): Promise<{ jobId: number; remoteId: string }> {
  h.video.fail({ method: 'GET', path: /\/content$/ }, { kind: 'hang' });
  h.command({ options: [prompt('made while nobody could fetch it')] });
  const job = await until(async () => (await h.bot.store.byState(['delivering']))[0]);
  await until(() => contentRequests(h).length === 1);
  await h.bot.stop(200);
  h.advance(2 * 3_600_000);
  return { jobId: job.id, remoteId: job.remoteId ?? '' };
}

describe('a restart after an outage of more than an hour', () => {
  it('downloads and delivers a job the provider finished meanwhile, instead of expiring it', async () => {
    harness = await startHarness({ video: { omitExpiresAt: true, pollsToComplete: 2 } });
    const h = harness;
    const { jobId } = await finishedDuringOutage(h);
    await h.restart({ alreadyStopped: true });
    // Two hours on, the interaction token is long dead: the card is edited through the channel.
    const upload = await h.discord.waitForCall((c) => c.method === 'PATCH' && c.files.length > 0, 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    await until(async () => (await h.bot.store.get(jobId))?.state === 'delivered');
    expect(contentRequests(h)).toHaveLength(2);
  });

  it('expires it only when the download says the content is gone (404)', async () => {
    harness = await startHarness({ video: { omitExpiresAt: true, pollsToComplete: 2 } });
    const h = harness;
    const { jobId, remoteId } = await finishedDuringOutage(h);
    h.video.jobs.delete(remoteId);
    await h.restart({ alreadyStopped: true });
    await until(async () => (await h.bot.store.get(jobId))?.state === 'expired', 15_000);
    // It was asked for, and answered 404, before the job was called expired.
    expect(contentRequests(h)).toHaveLength(2);
    const card = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && embedText(c).includes('⌛ Expired'),
    );
    expect(card.status).toBe(200);
    expect(h.discord.calls.filter((c) => c.files.length > 0)).toHaveLength(0);
    const expiredLine = h.logs
      .map((line) => JSON.parse(line) as { msg: string; jobId?: number })
      .find((line) => line.msg === 'job expired' && line.jobId === jobId);
    expect(expiredLine).toMatchObject({ from: 'delivering' });
  });

  it("expires it when /content says gone, whatever the gateway's direct link answers", async () => {
    harness = await startHarness({ video: { omitExpiresAt: true, pollsToComplete: 2, variant: 'hingnet' } });
    const h = harness;
    const { jobId, remoteId } = await finishedDuringOutage(h);
    h.video.jobs.delete(remoteId);
    // The direct link's host is having its own trouble: that proves nothing about the video.
    h.video.fail({ method: 'GET', path: /^\/files\// }, { kind: 'status', status: 503 }, 100);
    await h.restart({ alreadyStopped: true });
    await until(async () => (await h.bot.store.get(jobId))?.state === 'expired', 15_000);
    expect(contentRequests(h)).toHaveLength(2);
    expect((await h.bot.store.get(jobId))?.deliveryAttempts).toBe(2);
  });

  it("retries while /content answers 5xx, whatever the gateway's lapsed direct link answers (404)", async () => {
    harness = await startHarness({ video: { omitExpiresAt: true, pollsToComplete: 2, variant: 'hingnet' } });
    const h = harness;
    const { jobId } = await finishedDuringOutage(h);
    // The outage goes on for one whole download (the client's own 4 tries); the signed link
    // the gateway gave two hours ago has lapsed meanwhile, as CDN links do.
    h.video.fail({ method: 'GET', path: /\/content$/ }, { kind: 'status', status: 503 }, 4);
    h.video.fail({ method: 'GET', path: /^\/files\// }, { kind: 'status', status: 404 }, 100);
    await h.restart({ alreadyStopped: true });
    const final = await until(async () => {
      const state = (await h.bot.store.get(jobId))?.state;
      return (state === 'delivered' || state === 'expired' || state === 'failed') && state;
    }, 15_000);
    expect(final).toBe('delivered');
    expect((await h.bot.store.get(jobId))?.deliveryAttempts).toBe(3);
    expect(contentRequests(h)).toHaveLength(6);
    expect(h.video.requests.some((r) => r.path.startsWith('/files/'))).toBe(true);
    const upload = h.discord.calls.find((c) => c.method === 'PATCH' && c.files.length > 0);
    expect(upload?.files[0]?.bytes.equals(sampleVideo())).toBe(true);
  });

  it.each([
    { status: 410, why: 'gone' },
    { status: 403, why: 'refused, past its expiry' },
  ])('expires it when the download answers $status ($why)', async ({ status }) => {
    harness = await startHarness({ video: { omitExpiresAt: true, pollsToComplete: 2 } });
    const h = harness;
    const { jobId } = await finishedDuringOutage(h);
    h.video.fail({ method: 'GET', path: /\/content$/ }, { kind: 'status', status }, 10);
    await h.restart({ alreadyStopped: true });
    await until(async () => (await h.bot.store.get(jobId))?.state === 'expired', 15_000);
    expect(contentRequests(h)).toHaveLength(2);
  });

  it('keeps trying while the provider answers 5xx, however late: it is not called expired', async () => {
    harness = await startHarness({ video: { omitExpiresAt: true, pollsToComplete: 2 } });
    const h = harness;
    const { jobId } = await finishedDuringOutage(h);
    // One whole download (the client's own 4 tries) fails with 503, past the assumed expiry.
    h.video.fail({ method: 'GET', path: /\/content$/ }, { kind: 'status', status: 503 }, 4);
    await h.restart({ alreadyStopped: true });
    await until(async () => (await h.bot.store.get(jobId))?.state === 'delivered', 20_000);
    expect(contentRequests(h)).toHaveLength(6);
    expect((await h.bot.store.get(jobId))?.deliveryAttempts).toBe(3);
  });
});
