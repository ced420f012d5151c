// Several hosts on one database, each with a MEDIA_DIR of its own (not shared, as the README says it
// should be): a process that does not find a job's kept file downloads it again while the provider
// (or Discord's CDN, for a reference image) still has it, and otherwise says so plainly. "Another
// host" is the bot started again on the same database with another media folder.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { t } from '../../src/i18n/index.ts';
import { keptVideoPath } from '../../src/jobs/index.ts';
import {
  body,
  channelId,
  clickRegenerate,
  commandWithImage,
  embedText,
  ephemeralReply,
  type Harness,
  isUpload,
  prompt,
  sampleVideo,
  startHarness,
  until,
  uploadModelEnv,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const anotherHost = () => ({ MEDIA_DIR: mkdtempSync(join(tmpdir(), 'reelbot-other-host-')) });
const mp4sIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.mp4'));
const contentRequests = (h: Harness) =>
  h.video.requests.filter(
    (r) => r.method === 'GET' && r.path.endsWith('/content') && !r.query.has('variant'),
  );
const creates = (h: Harness) =>
  h.video.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos');

/**
 * The first host downloaded the finished video into its own folder, marked the job delivering and
 * died before the upload. Its copy differs from the provider's, so an upload of it would show.
 */
async function diedBeforeTheUpload(h: Harness): Promise<{ jobId: number; remoteId: string; token: string }> {
  const { token } = h.command({ options: [prompt('kept on the first host')] });
  const job = await until(async () => {
    const row = (await h.bot.store.byState(['queued', 'in_progress']))[0];
    return row?.replyMessageId ? row : undefined;
  });
  await h.bot.stop();
  h.video.completeJob(job.remoteId ?? '');
  const firstHostCopy = keptVideoPath(join(h.dir, 'media'), job);
  mkdirSync(join(h.dir, 'media'), { recursive: true });
  writeFileSync(firstHostCopy, Buffer.concat([sampleVideo(), Buffer.from('the first host only')]));
  await h.database.run(
    "UPDATE jobs SET state = 'delivering', progress = 100, next_poll_at = NULL, video_expires_at = ?, media_path = ?, delivery_attempts = 1 WHERE id = ?",
    [Date.now() + 3_600_000, firstHostCopy, job.id],
  );
  return { jobId: job.id, remoteId: job.remoteId ?? '', token };
}

describe('a job kept on another host', () => {
  it('is downloaded again for its delivery while the provider has it, and uploaded once', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const { jobId, token } = await diedBeforeTheUpload(h);
    const other = anotherHost();
    await h.restart({ alreadyStopped: true, env: other });

    const upload = await h.discord.waitForCall(isUpload(token), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    await until(async () => (await h.bot.store.get(jobId))?.state === 'delivered');
    expect(contentRequests(h)).toHaveLength(1);
    expect(mp4sIn(other.MEDIA_DIR)).toHaveLength(1);
    expect(h.discord.calls.filter(isUpload(token))).toHaveLength(1);
  });

  it('is called expired, in plain words to the member, once the provider no longer has it', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const { jobId, remoteId } = await diedBeforeTheUpload(h);
    h.video.jobs.delete(remoteId);
    await h.restart({ alreadyStopped: true, env: anotherHost() });

    await until(async () => (await h.bot.store.get(jobId))?.state === 'expired', 15_000);
    const card = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && embedText(c).includes('⌛ Expired'),
    );
    expect(embedText(card)).toContain(t('en-US', 'render.expired'));
    await h.discord.waitForCall(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${channelId}/messages` &&
        /your video/.test(String(body(c).content)),
    );
    expect(h.discord.calls.filter((c) => c.files.length > 0)).toHaveLength(0);
  });

  it("opens the bot's own link on a host that lacks the file, by downloading it again; says it is gone once the provider is", async () => {
    const env = { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' };
    harness = await startHarness({ env });
    const h = harness;
    const { token } = h.command({ attachmentSizeLimit: 10_000, options: [prompt('too large to upload')] });
    const final = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('Watch or download'),
      15_000,
    );
    const link = /\(http:\/\/placeholder\.invalid(\/media\/[^)]+)\)/.exec(embedText(final))?.[1];
    if (!link) throw new Error('no link');
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
    expect(contentRequests(h)).toHaveLength(1);

    const other = anotherHost();
    await h.restart({ env: { ...env, ...other } });
    const address = h.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const opened = await fetch(`http://127.0.0.1:${address.port}${link}`);
    expect(opened.status).toBe(200);
    expect(Buffer.from(await opened.arrayBuffer()).equals(sampleVideo())).toBe(true);
    expect(contentRequests(h)).toHaveLength(2);
    expect(mp4sIn(other.MEDIA_DIR)).toHaveLength(1);

    // A third host, after the provider deleted the video.
    h.video.jobs.delete(job.remoteId ?? '');
    await h.restart({ env: { ...env, ...anotherHost() } });
    const thirdAddress = h.bot.http?.address();
    if (!thirdAddress || typeof thirdAddress === 'string') throw new Error('no HTTP endpoint');
    const gone = await fetch(`http://127.0.0.1:${thirdAddress.port}${link}`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toBe('The video is gone.\n');
  });

  it("regenerates with the member's image from Discord again, and says plainly when Discord no longer has it", async () => {
    harness = await startHarness({ env: uploadModelEnv });
    const h = harness;
    const image = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#c08020' } })
      .png()
      .toBuffer();
    const sent = commandWithImage(h, image, 'lion.png', { prompt: 'a lion' });
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);
    await h.restart({ env: { ...uploadModelEnv, ...anotherHost() } });

    const click = await clickRegenerate(h, job);
    await h.discord.waitForCall(isUpload(click.token), 15_000);
    expect(creates(h)).toHaveLength(2);
    expect(creates(h)[1]?.multipart?.files.input_reference?.bytes.equals(image)).toBe(true);

    // Discord's signed link has lapsed too: nothing is sent, and the member hears why.
    h.discord.expireAttachment(sent.image);
    await h.restart({ env: { ...uploadModelEnv, ...anotherHost() } });
    const refused = await clickRegenerate(h, job);
    expect(await ephemeralReply(h, refused.token)).toBe(t('en-US', 'error.reference_gone'));
    expect(creates(h)).toHaveLength(2);
  });
});
