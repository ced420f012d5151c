// Uploads on a slow uplink: a large video lands once, and only a few upload at a time.
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, isUpload, prompt, sampleVideo, startHarness, until } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The sample clip padded to `bytes`: still an MP4 from its first box, as large as a real video. */
function videoOf(bytes: number): Buffer {
  const sample = sampleVideo();
  return Buffer.concat([sample, Buffer.alloc(Math.max(0, bytes - sample.length))]);
}

describe('uploads', () => {
  it('lands a large video once on an uplink slower than discord.js allows an ordinary request (15 s)', async () => {
    const video = videoOf(1_600 * 1024);
    // 1.6 MiB at 100 KiB/s: about 16 seconds in flight. At 50 KiB/s the timeout would be 32 s.
    harness = await startHarness({ video: { video }, env: { DISCORD_UPLOAD_MIN_KBPS: '50' } });
    harness.discord.acceptUploadsAt(100 * 1024);
    const { token } = harness.command({ options: [prompt('a long, detailed video')] });
    const upload = await harness.discord.waitForCall(isUpload(token), 35_000);
    expect(upload.status).toBe(200);
    expect(upload.files[0]?.bytes.equals(video)).toBe(true);
    const h = harness;
    await until(async () => (await h.bot.store.byState(['delivered']))[0]);
    // Sent once: not cut off at 15 s, and not repeated.
    expect(harness.discord.uploads.started).toBe(1);
    expect(harness.discord.calls.filter(isUpload(token))).toHaveLength(1);
  }, 45_000);

  it('uploads at most DISCORD_UPLOADS_AT_ONCE videos at a time, and delivers every one', async () => {
    harness = await startHarness({ env: { QUOTA_IN_FLIGHT_PER_USER: '5' } });
    const h = harness;
    // The 106 KB sample at 64 KiB/s: each upload is in flight well over a second.
    h.discord.acceptUploadsAt(64 * 1024);
    const tokens = ['one', 'two', 'three', 'four'].map(
      (text) => h.command({ options: [prompt(`video ${text}`)] }).token,
    );
    await until(async () => (await h.bot.store.byState(['delivered'])).length === 4, 30_000);
    for (const token of tokens) expect(h.discord.calls.filter(isUpload(token))).toHaveLength(1);
    expect(h.discord.uploads.started).toBe(4);
    expect(h.discord.uploads.maxInFlight).toBe(2);
  }, 40_000);
});
