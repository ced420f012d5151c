// What each member has left, end to end: /video-quota's figures after real jobs, and the cost line
// on a running job's card, as Discord received them.
import { ApplicationCommandOptionType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedCall } from '../fakes/discord.ts';
import {
  body,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  isUpload,
  member,
  otherGuildId,
  otherMember,
  prompt,
  providerCreates,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const dayMs = 86_400_000;
const otherGuildChannel = '222222222222222224';
const limits = {
  QUOTA_IN_FLIGHT_PER_USER: '3',
  QUOTA_JOBS_PER_USER_PER_DAY: '20',
  QUOTA_SECONDS_PER_GUILD_PER_DAY: '600',
};

const duration = (seconds: number) => ({
  name: 'duration',
  type: ApplicationCommandOptionType.Integer,
  value: seconds,
});

/** /video of `seconds`, waited for until the provider has it. */
async function videoOf(
  h: Harness,
  seconds: number,
  input: { user?: typeof member; guild?: string } = {},
): Promise<{ token: string }> {
  const before = providerCreates(h).length;
  const sent = h.command({
    user: input.user ?? member,
    ...(input.guild ? { guildId: input.guild, channelId: otherGuildChannel } : {}),
    options: [prompt(`a clip of ${seconds} s`), duration(seconds)],
  });
  await until(() => providerCreates(h).length === before + 1);
  return sent;
}

function quota(h: Harness, input: { guild?: string; locale?: string } = {}) {
  return h.discord.sendCommand({
    guildId: input.guild ?? guildId,
    channelId: input.guild ? otherGuildChannel : '222222222222222222',
    user: member,
    locale: input.locale,
    name: 'video-quota',
    options: [],
  });
}

/** The answer to a member who has used nothing, in a server that has used nothing. */
const nothingUsed = [
  '**What you have left**',
  'Videos in progress: 0 of 3',
  'Your videos in the last 24 hours: 0 of 20',
  "This server's video seconds in the last 24 hours: 0 s used of 600 s, 600 s left",
].join('\n');

/** A Discord timestamp of `at`, as the member's client renders it ("in 23 hours"). */
const relative = (at: number) => `<t:${Math.ceil(at / 1000)}:R>`;

describe('/video-quota', () => {
  it("shows the member's jobs in flight, their day and the server's seconds after three jobs, and when they free up", async () => {
    harness = await startHarness({ video: { pollsToComplete: 100_000 }, env: limits });
    const h = harness;
    await videoOf(h, 4);
    h.advance(60_000);
    await videoOf(h, 6);
    h.advance(60_000);
    await videoOf(h, 8);
    // Another member's job counts for the server only; one in another server counts nowhere here.
    await videoOf(h, 4, { user: otherMember });
    await videoOf(h, 8, { guild: otherGuildId });
    const jobs = await h.bot.store.history({ guildId, userId: member.id, limit: 10 });
    const first = jobs.at(-1);
    expect(jobs.map((job) => job.seconds)).toEqual([8, 6, 4]);
    if (!first) throw new Error('no first job');

    expect(await ephemeralReply(h, quota(h).token)).toBe(
      [
        '**What you have left**',
        'Videos in progress: 3 of 3',
        'A new one can start when one of them ends.',
        'Your videos in the last 24 hours: 3 of 20',
        `Your oldest of them stops counting ${relative(first.createdAt + dayMs)}.`,
        "This server's video seconds in the last 24 hours: 22 s used of 600 s, 578 s left",
        `4 s come back ${relative(first.createdAt + dayMs)}.`,
      ].join('\n'),
    );
    // The same member in the other server: that server's figures only.
    const elsewhere = await ephemeralReply(h, quota(h, { guild: otherGuildId }).token);
    expect(elsewhere).toContain('Videos in progress: 1 of 3\nYour videos in the last 24 hours: 1 of 20');
    expect(elsewhere).toContain(
      "This server's video seconds in the last 24 hours: 8 s used of 600 s, 592 s left",
    );
    // In Chinese for a zh-CN member, with the server's own limits once an admin set them.
    await h.bot.store.updateGuildSettings(guildId, { secondsPerDay: 30, inFlightPerUser: 5 });
    const zh = await ephemeralReply(h, quota(h, { locale: 'zh-CN' }).token);
    expect(zh).toBe(
      [
        '**你的剩余额度**',
        '进行中的视频：3 / 5',
        '你最近 24 小时的视频：3 / 20',
        `其中最早的一个将于${relative(first.createdAt + dayMs)}不再计入。`,
        '本服务器最近 24 小时的视频秒数：已用 22 秒（共 30 秒），剩余 8 秒',
        `${relative(first.createdAt + dayMs)}会恢复 4 秒。`,
      ].join('\n'),
    );
  });

  it('says nothing frees up when nothing was used, and counts a day only once it has passed', async () => {
    harness = await startHarness({ env: limits });
    const h = harness;
    expect(await ephemeralReply(h, quota(h).token)).toBe(nothingUsed);
    await videoOf(h, 6);
    await until(async () => (await h.bot.store.byState(['delivered'])).length === 1, 15_000);
    expect(await ephemeralReply(h, quota(h).token)).toContain(
      'Videos in progress: 0 of 3\nYour videos in the last 24 hours: 1 of 20',
    );
    h.advance(dayMs + 1_000);
    expect(await ephemeralReply(h, quota(h).token)).toBe(nothingUsed);
  });
});

describe("a running job's card", () => {
  it("says what the job costs of the server's daily seconds while it runs, and no more once delivered", async () => {
    harness = await startHarness({ video: { pollsToComplete: 12 }, env: limits });
    const h = harness;
    await h.bot.store.updateGuildSettings(guildId, { secondsPerDay: 300 });
    const { token } = await videoOf(h, 8);
    const edits = (): RecordedCall[] =>
      h.discord.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`${token}/messages/@original`));
    const costLine = "\n-# 8 s of the server's 300 s today";
    // The first card, then a progress edit by the notifier.
    await until(() => edits().length > 0);
    expect(embedText(edits()[0] as RecordedCall)).toContain(costLine);
    const progressed = await until(() =>
      edits().find((c) => /█+░* [1-9]\d?%/.test(embedText(c)) && c.files.length === 0),
    );
    expect(embedText(progressed)).toContain(costLine);
    // Delivered: the card shows the video, not the cost.
    const upload = await h.discord.waitForCall(isUpload(token), 15_000);
    expect(embedText(upload)).not.toContain("of the server's");
    expect(body(upload).allowed_mentions).toMatchObject({ parse: [] });
  });
});
