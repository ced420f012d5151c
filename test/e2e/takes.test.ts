// Takes end to end: one /video making several videos from the same settings, each its own card
// (the reply, then follow-up messages) and its own video delivered exactly once, across a restart
// and a crash between a follow-up's post and its id; quotas that refuse a request whole, saying
// how many would fit; Cancel on one take, and a moderator's cancel of the whole request.
import { ApplicationCommandOptionType, InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { videoFileName } from '../../src/discord/messenger.ts';
import type { Job } from '../../src/jobs/index.ts';
import type { RecordedCall } from '../fakes/discord.ts';
import { countJobs } from '../jobs/helpers.ts';
import {
  body,
  channelId,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  jobButtonId,
  member,
  moderator,
  moderatorPermissions,
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

const takes = (value: number) => ({ name: 'takes', type: ApplicationCommandOptionType.Integer, value });
const uploads = (h: Harness) =>
  h.discord.calls.filter((call) => call.files.length > 0 && call.status === 200);

/** The request's jobs once every take's card is shown (each row knows its message). */
function cardsShown(h: Harness, count: number): Promise<Job[]> {
  return until(async () => {
    const rows = await h.bot.store.byState(['queued', 'in_progress']);
    return rows.length === count && rows.every((row) => row.replyMessageId) ? rows : undefined;
  });
}

const delivered = (h: Harness, count: number) =>
  until(async () => {
    const rows = await h.bot.store.byState(['delivered']);
    return rows.length === count ? rows : undefined;
  }, 15_000);

/** The text of a message as the fake keeps it: its embeds' titles, descriptions and footers. */
function cardText(h: Harness, messageId: string | null): string {
  const message = messageId ? h.discord.messages.get(messageId) : undefined;
  return embedText({ json: { embeds: message?.embeds ?? [] } } as RecordedCall);
}

const cardLink = (messageId: string | null) =>
  `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;

describe('takes', () => {
  it('makes three takes, each its own card in order and its own video, delivered once each across a restart', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const { token } = h.command({ options: [prompt('a paper boat in a storm'), takes(3)] });
    const [first, second, third] = await cardsShown(h, 3);
    if (!first || !second || !third) throw new Error('three takes');
    expect(providerCreates(h)).toHaveLength(3);
    expect([first, second, third].map((job) => [job.takeIndex, job.takeCount, job.requestId])).toEqual([
      [1, 3, first.id],
      [2, 3, first.id],
      [3, 3, first.id],
    ]);
    expect([second.originKind, second.originJobId, second.originMessageId]).toEqual([
      'take',
      first.id,
      first.replyMessageId,
    ]);
    // The first take's card is the reply; the others are the interaction's follow-ups, after it.
    expect(h.discord.originalMessage(token)?.id).toBe(first.replyMessageId);
    const ofInteraction = [...h.discord.messages.values()].filter(
      (message) => message.interactionToken === token,
    );
    expect(ofInteraction.map((message) => message.id)).toEqual(
      [first, second, third].map((job) => job.replyMessageId),
    );
    expect(cardText(h, first.replyMessageId)).toContain('Take 1 of 3');
    expect(cardText(h, second.replyMessageId)).toContain(
      `Take 2 of 3 · first take: [job #${first.id}](${cardLink(first.replyMessageId)})`,
    );
    expect(cardText(h, third.replyMessageId)).toContain(`Take 3 of 3 · first take: [job #${first.id}]`);

    await h.restart();
    for (const job of [first, second, third]) h.video.completeJob(job.remoteId ?? '');
    const done = await delivered(h, 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One upload per take, each into its own card through the interaction webhook; none posted anew.
    const paths = uploads(h).map((call) => call.path);
    const webhook = `/webhooks/${h.discord.applicationId}/${token}/messages`;
    expect(paths.sort()).toEqual(
      [
        `${webhook}/@original`,
        `${webhook}/${second.replyMessageId}`,
        `${webhook}/${third.replyMessageId}`,
      ].sort(),
    );
    for (const job of done) {
      const card = h.discord.messages.get(job.replyMessageId ?? '');
      expect(card?.attachments.map((file) => file.filename)).toEqual([videoFileName(job)]);
    }
    expect(done.map((job) => job.replyMessageId)).toEqual(
      [first, second, third].map((job) => job.replyMessageId),
    );
  });

  it('finds a later take’s card again after a crash between its post and its id, and delivers into it', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const { token } = h.command({ options: [prompt('two lanterns'), takes(2)] });
    const [first, second] = await cardsShown(h, 2);
    if (!first || !second) throw new Error('two takes');
    await h.bot.stop();
    // As if the process died after Discord took the follow-up, before the row learnt its id.
    await h.database.run('UPDATE jobs SET reply_message_id = NULL, fallback_channel_id = ? WHERE id = ?', [
      channelId,
      second.id,
    ]);
    await h.restart({ alreadyStopped: true });
    h.video.completeJob(first.remoteId ?? '');
    h.video.completeJob(second.remoteId ?? '');
    await delivered(h, 2);
    expect(uploads(h).map((call) => call.path)).toContain(
      `/webhooks/${h.discord.applicationId}/${token}/messages/${second.replyMessageId}`,
    );
    expect(uploads(h)).toHaveLength(2);
    expect(
      h.discord.calls.some(
        (call) =>
          call.method === 'POST' && call.path === `/channels/${channelId}/messages` && call.files.length > 0,
      ),
    ).toBe(false);
    expect(await h.bot.store.get(second.id)).toMatchObject({
      replyMessageId: second.replyMessageId,
      fallbackChannelId: null,
    });
  });

  it('delivers each take into its own card through the channel routes once the interaction token is dead', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    h.command({ options: [prompt('after the token'), takes(2)] });
    const [first, second] = await cardsShown(h, 2);
    if (!first || !second) throw new Error('two takes');
    h.advance(15 * 60_000);
    h.video.completeJob(first.remoteId ?? '');
    h.video.completeJob(second.remoteId ?? '');
    await delivered(h, 2);
    expect(
      uploads(h)
        .map((call) => `${call.method} ${call.path}`)
        .sort(),
    ).toEqual(
      [first, second].map((job) => `PATCH /channels/${channelId}/messages/${job.replyMessageId}`).sort(),
    );
  });

  it('lets a member ask for four takes with the default quotas', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    harness.command({ options: [prompt('four ways'), takes(4)] });
    expect(await cardsShown(harness, 4)).toHaveLength(4);
    expect(providerCreates(harness)).toHaveLength(4);
  });

  it('refuses takes that do not all fit, whole, saying how many would fit now', async () => {
    harness = await startHarness({
      video: { pollsToComplete: 1_000 },
      env: { QUOTA_JOBS_PER_USER_PER_DAY: '6' },
    });
    const h = harness;
    h.command({ options: [prompt('one already running')] });
    await cardsShown(h, 1);
    expect(await ephemeralReply(h, h.command({ options: [prompt('four more'), takes(4)] }).token)).toBe(
      'You may have 4 videos in progress at once, so these 4 takes do not fit now. Only 3 would fit now: set takes to 3, or wait.',
    );
    expect(
      await ephemeralReply(h, h.command({ locale: 'zh-CN', options: [prompt('再来四个'), takes(4)] }).token),
    ).toBe(
      '你同时最多可以有 4 个视频在生成，这 4 个版本现在放不下。现在只放得下 3 个：请把份数设为 3，或稍后再试。',
    );
    expect(providerCreates(h)).toHaveLength(1);
    expect(await countJobs(h.bot.store)).toBe(1);
    // Three fit, and are made; then the day (6 videos) has room for two more, not three.
    h.command({ options: [prompt('three more'), takes(3)] });
    const running = await cardsShown(h, 4);
    for (const job of running) h.video.completeJob(job.remoteId ?? '');
    await delivered(h, 4);
    expect(
      await ephemeralReply(h, h.command({ locale: 'zh-TW', options: [prompt('再三個'), takes(3)] }).token),
    ).toBe(
      '你每 24 小時最多可以產生 6 部影片，這 3 個版本現在放不下。現在只放得下 2 個：請把份數設為 2，或稍後再試。',
    );
    expect(providerCreates(h)).toHaveLength(4);
    expect(await countJobs(h.bot.store)).toBe(4);
  });

  it('cancels one take with its Cancel, and a moderator’s /video-admin cancel cancels the rest of the request', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const { token } = h.command({ options: [prompt('three owls'), takes(3)] });
    const [first, second, third] = await cardsShown(h, 3);
    if (!first || !second || !third) throw new Error('three takes');
    const click = h.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(h, 'cancel', second),
      messageId: second.replyMessageId ?? '',
    });
    await until(async () => (await h.bot.store.get(second.id))?.state === 'canceled');
    await h.discord.waitForCall((call) => call.path.endsWith(`${click.token}/callback`));
    expect((await h.bot.store.byState(['queued', 'in_progress'])).map((job) => job.id)).toEqual([
      first.id,
      third.id,
    ]);

    const admin = h.discord.sendCommand({
      guildId,
      channelId,
      user: moderator,
      memberPermissions: moderatorPermissions,
      name: 'video-admin',
      options: [
        {
          name: 'cancel',
          type: ApplicationCommandOptionType.Subcommand,
          options: [{ name: 'job', type: ApplicationCommandOptionType.Integer, value: third.id }],
        },
      ],
    });
    const answered = await h.discord.waitForCall(
      (call) =>
        call.path.endsWith(`${admin.token}/messages/@original`) ||
        (call.path.endsWith(`${admin.token}/callback`) &&
          body(call).type === InteractionResponseType.ChannelMessageWithSource),
    );
    const content = String(
      (body(answered).data as { content?: string } | undefined)?.content ?? body(answered).content,
    );
    expect(content).toBe(
      `Job #${third.id} is a take of a request of several: its running takes are canceled (#${third.id}, #${first.id}).`,
    );
    await until(async () => (await h.bot.store.byState(['canceled'])).length === 3);
    // Each card shows it: the first in the reply, the third in its own follow-up.
    await until(
      () =>
        cardText(h, first.replyMessageId).includes('Canceled') &&
        cardText(h, third.replyMessageId).includes('Canceled'),
    );
    const audit = await h.bot.context.moderation.auditLog(guildId, 10);
    expect(
      audit
        .filter((entry) => entry.action === 'job.cancel')
        .map((entry) => entry.target)
        .sort(),
    ).toEqual([String(first.id), String(third.id)].sort());
    expect(h.discord.originalMessage(token)?.id).toBe(first.replyMessageId);
  });
});
