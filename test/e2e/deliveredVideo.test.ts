// Only a video is ever delivered as a video: what /content (or a direct link) sends is checked
// before it is kept, uploaded or linked, and a thumbnail that is not an image is left out.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { t } from '../../src/i18n/index.ts';
import type { RecordedCall } from '../fakes/discord.ts';
import type { Fault, FaultMatch } from '../fakes/videoApi.ts';
import { embedText, type Harness, isUpload, prompt, sampleVideo, startHarness, until } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The video itself, not its thumbnail (same path, `?variant=thumbnail`). */
const videoContent: FaultMatch = { method: 'GET', path: /^\/v1\/videos\/[\w-]+\/content$/, query: /^$/ };
const thumbnailContent: FaultMatch = { method: 'GET', path: /\/content$/, query: /variant=thumbnail/ };
const jsonError: Fault = {
  kind: 'body',
  contentType: 'application/json',
  body: JSON.stringify({
    error: { message: 'upstream storage unavailable', type: 'server_error', code: null },
  }),
};
const htmlPage: Fault = {
  kind: 'body',
  contentType: 'text/html; charset=utf-8',
  body: '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>',
};

const contentRequests = (h: Harness) =>
  h.video.requests.filter((r) => r.path.endsWith('/content') && !r.query.has('variant'));
const uploads = (h: Harness) => h.discord.calls.filter((c) => c.files.some((f) => f.name.endsWith('.mp4')));

/** Files left in the media folder (none for a job that was never delivered). */
async function keptFiles(h: Harness): Promise<string[]> {
  const entries = await readdir(join(h.dir, 'media'), { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

/** The member's /video is uploaded with the real video, once, after `contentTries` requests of /content. */
async function deliveredOnce(h: Harness, text: string, contentTries: number): Promise<void> {
  const { token } = h.command({ options: [prompt(text)] });
  const upload = await h.discord.waitForCall(isUpload(token), 15_000);
  expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
  await until(async () => (await h.bot.store.byState(['delivered']))[0]);
  expect(uploads(h)).toHaveLength(1);
  expect(contentRequests(h)).toHaveLength(contentTries);
}

/** The final edit of the member's card that says `reason`. */
async function failedCard(h: Harness, token: string, reason: string): Promise<RecordedCall> {
  await until(async () => (await h.bot.store.byState(['failed']))[0], 15_000);
  return h.discord.waitForCall(
    (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes(reason),
  );
}

describe('only a video is delivered as a video', () => {
  it('retries when /content first answers 200 with a JSON error body, then uploads the real video once', async () => {
    harness = await startHarness();
    harness.video.fail(videoContent, jsonError, 1);
    await deliveredOnce(harness, 'a JSON answer first', 2);
  });

  it('fails the job as "not a video" when /content only ever sends JSON: no upload, nothing kept', async () => {
    harness = await startHarness();
    harness.video.fail(videoContent, jsonError, 100);
    const { token } = harness.command({ options: [prompt('never a video')] });
    const card = await failedCard(harness, token, 'the provider sent a file that is not a video');
    expect(embedText(card)).toContain(t('en-US', 'failure.not_a_video'));
    expect((await harness.bot.store.byState(['failed']))[0]).toMatchObject({
      errorKind: 'not_a_video',
      mediaPath: null,
    });
    // Retried with backoff (one try per delivery attempt) before giving up.
    expect(contentRequests(harness).length).toBeGreaterThanOrEqual(5);
    expect(uploads(harness)).toEqual([]);
    expect(await keptFiles(harness)).toEqual([]);
  });

  it("says so in the member's language when /content only sends an HTML page", async () => {
    harness = await startHarness();
    harness.video.fail(videoContent, htmlPage, 100);
    const { token } = harness.command({ locale: 'zh-CN', options: [prompt('只有网页')] });
    await failedCard(harness, token, t('zh-CN', 'failure.not_a_video'));
    expect(uploads(harness)).toEqual([]);
    expect(await keptFiles(harness)).toEqual([]);
  });

  it('never delivers a body cut short of its Content-Length; the whole file comes next', async () => {
    harness = await startHarness();
    harness.video.fail(videoContent, { kind: 'truncated' }, 1);
    await deliveredOnce(harness, 'cut short', 2);
  });

  it('never delivers a body that claims to be a video but is empty, a stub or a web page', async () => {
    harness = await startHarness();
    const claimsVideo = (body: string | Buffer): Fault => ({ kind: 'body', contentType: 'video/mp4', body });
    harness.video.fail(videoContent, claimsVideo(''), 1);
    harness.video.fail(videoContent, claimsVideo(sampleVideo().subarray(0, 600)), 1);
    harness.video.fail(videoContent, claimsVideo(`${htmlPage.body}${' '.repeat(20_000)}`), 1);
    await deliveredOnce(harness, 'nothing in it', 4);
  });

  it("takes the gateway's direct link when /content sends something that is not a video", async () => {
    harness = await startHarness({ video: { variant: 'hingnet' } });
    harness.video.fail(videoContent, jsonError, 100);
    const { token } = harness.command({ options: [prompt('the link has it')] });
    const upload = await harness.discord.waitForCall(isUpload(token), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(harness.video.requests.some((r) => r.path.startsWith('/files/'))).toBe(true);
    expect(uploads(harness)).toHaveLength(1);
  });

  it('leaves out a thumbnail that is not an image, and still delivers', async () => {
    harness = await startHarness();
    harness.video.fail(
      thumbnailContent,
      { kind: 'body', contentType: 'image/webp', body: '{"error":"no"}' },
      10,
    );
    const { token } = harness.command({
      attachmentSizeLimit: 50_000,
      options: [prompt('too big to upload')],
    });
    await until(async () => (await harness?.bot.store.byState(['delivered']))?.[0], 15_000);
    const card = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('✅ Done'),
    );
    expect(harness.video.requests.some((r) => r.query.get('variant') === 'thumbnail')).toBe(true);
    expect(card.files).toEqual([]);
  });
});
