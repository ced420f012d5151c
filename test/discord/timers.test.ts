// Computed delays longer than a Node timer holds (2^31-1 ms) would fire after 1 ms: every one is capped.
import { REST, Routes } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { uploadTimeoutMs } from '../../src/discord/messenger.ts';
import { resultWithin } from '../../src/jobs/settle.ts';
import { maxTimerMs } from '../../src/timers.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';

let discord: FakeDiscord | undefined;
afterEach(async () => {
  await discord?.close();
  discord = undefined;
});

/** The largest MAX_VIDEO_BYTES at the slowest DISCORD_UPLOAD_MIN_KBPS: 48 days at 1 KiB/s. */
const largest = { bytes: 4 * 1024 ** 3, kbps: 1 };

describe('timers that are computed', () => {
  it('give the largest upload at the slowest speed the longest a timer holds, never more', () => {
    expect(uploadTimeoutMs(largest.bytes, largest.kbps)).toBe(maxTimerMs);
    expect(uploadTimeoutMs(10 * 1024 ** 2, 100)).toBe(102_400);
  });

  it('let an upload client sized for the largest video wait for Discord instead of aborting at once', async () => {
    discord = await startFakeDiscord();
    const rest = new REST({
      api: discord.restUrl,
      timeout: uploadTimeoutMs(largest.bytes, largest.kbps),
      retries: 0,
    }).setToken('test-bot-token');
    const held = discord.holdNext({ method: 'GET', path: /^\/users\/@me$/ });
    const answer = rest.get(Routes.user());
    // An overflowing timeout aborts the request before (or as) it reaches Discord: that rejects here.
    await Promise.race([held.arrived, answer]);
    // Discord takes its time: far longer than the 1 ms Node would give an overflowing timer.
    await new Promise((resolve) => setTimeout(resolve, 50));
    held.release();
    await expect(answer).resolves.toMatchObject({ username: 'reelbot' });
    expect(AbortSignal.timeout(uploadTimeoutMs(largest.bytes, largest.kbps)).aborted).toBe(false);
  });

  it('wait as long as a timer can for a bound past 2^31-1 ms, not 1 ms', async () => {
    const work = new Promise<string>((resolve) => setTimeout(() => resolve('done'), 50));
    expect(await resultWithin(work, 2 ** 32)).toEqual({ value: 'done' });
  });
});
