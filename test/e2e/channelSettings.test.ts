// A channel's defaults (applied when the member gives none, said on the card) and its caps (a
// request over them refused before anything is spent), set with /video-admin.
import { ApplicationCommandOptionType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { countJobs } from '../jobs/helpers.ts';
import {
  cardMessageId,
  channelId,
  clickRegenerate,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  jobButtonId,
  member,
  otherChannelId,
  prompt,
  providerCreates,
  startHarness,
  until,
} from './harness.ts';
import { admin, channel, delivered, integer, isCardEdit, text } from './settingsHelpers.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const duration = (value: number) => ({ name: 'duration', type: ApplicationCommandOptionType.Integer, value });
const takes = (value: number) => ({ name: 'takes', type: ApplicationCommandOptionType.Integer, value });

describe("a channel's defaults", () => {
  it('applies them to what the member left out, records which, and says so on the card', async () => {
    harness = await startHarness();
    const h = harness;
    expect(
      await admin(
        h,
        ['channel-defaults', 'set'],
        [channel(channelId), text('size', '720×1280'), integer('duration', 4)],
      ),
    ).toBe(
      [
        `Defaults for <#${channelId}> saved.`,
        `**Defaults and limits in <#${channelId}>**`,
        'Model: not set',
        'Size: 720×1280',
        'Duration: 4 s',
        'Style: not set',
        'Longest video: not set',
        'Most takes per request: not set',
      ].join('\n'),
    );
    const { token } = h.command({ options: [prompt('storyboard frame one')] });
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({ size: '720x1280', seconds: 4 });
    const card = await h.discord.waitForCall(isCardEdit(token));
    expect(embedText(card)).toContain('-# Channel defaults: 720×1280 · 4 s');
    const [job] = await delivered(h);
    expect(job?.defaultsApplied).toEqual(['size', 'seconds']);
    const rows = await h.database.query<{ defaults: string | string[] }>(
      'SELECT defaults_applied AS "defaults" FROM jobs',
    );
    const stored = rows[0]?.defaults;
    expect(typeof stored === 'string' ? JSON.parse(stored) : stored).toEqual(['size', 'seconds']);

    // The member's own size wins; only the duration is the channel's. Another channel has none.
    const own = h.command({ options: [prompt('frame two'), text('size', '1280x720')] });
    const second = await until(() => providerCreates(h)[1]);
    expect(second.json).toMatchObject({ size: '1280x720', seconds: 4 });
    expect(embedText(await h.discord.waitForCall(isCardEdit(own.token)))).toContain(
      '-# Channel defaults: 4 s',
    );
    h.command({ channelId: otherChannelId, options: [prompt('elsewhere')] });
    const third = await until(() => providerCreates(h)[2]);
    expect(third.json).toMatchObject({ size: '1280x720', seconds: 6 });
    const [, , elsewhere] = await delivered(h, 3);
    expect(elsewhere?.defaultsApplied).toEqual([]);
  });

  it("applies the channel's style, says it came from the channel, and clears and audits the defaults", async () => {
    harness = await startHarness();
    const h = harness;
    await admin(h, ['style', 'add'], [text('name', 'Storyboard'), text('text', 'as a pencil storyboard')]);
    expect(await admin(h, ['channel-defaults', 'set'], [channel(channelId), text('style', 'ghost')])).toBe(
      'This server has no style named **ghost**.',
    );
    await admin(h, ['channel-defaults', 'set'], [channel(channelId), text('style', 'storyboard')]);
    const { token } = h.command({ options: [prompt('a chase')] });
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({ prompt: 'a chase as a pencil storyboard' });
    const card = embedText(await h.discord.waitForCall(isCardEdit(token)));
    expect(card).toContain('-# Style: Storyboard');
    expect(card).toContain('-# Channel defaults: style Storyboard');
    await delivered(h);

    expect(await admin(h, ['channel-defaults', 'clear'], [channel(channelId)])).toBe(
      `Defaults for <#${channelId}> cleared.`,
    );
    h.command({ options: [prompt('plain')] });
    const plain = await until(() => providerCreates(h)[1]);
    expect(plain.json).toMatchObject({ prompt: 'plain' });
    expect(
      await h.database.query<{ action: string; target: string }>(
        "SELECT action, target FROM audit_log WHERE action LIKE 'channel_defaults.%' ORDER BY id",
      ),
    ).toEqual([
      { action: 'channel_defaults.set', target: channelId },
      { action: 'channel_defaults.clear', target: channelId },
    ]);
  });

  it('refuses a default this deployment does not offer, keeping nothing', async () => {
    harness = await startHarness();
    const h = harness;
    expect(await admin(h, ['channel-defaults', 'set'], [channel(channelId), text('model', 'sora-2')])).toBe(
      'The model "sora-2" is not offered here. Available: veo-3.1-fast-generate-preview, veo-3.1-generate-preview.',
    );
    expect(await h.bot.store.channelSettingsList(guildId)).toEqual([]);
  });
});

describe("a channel's caps", () => {
  it("refuses a longer video or more takes before anything is spent, in the member's language", async () => {
    harness = await startHarness();
    const h = harness;
    expect(
      await admin(
        h,
        ['channel-limits'],
        [channel(channelId), integer('max_duration', 4), integer('max_takes', 1)],
      ),
    ).toContain(`Limits for <#${channelId}> saved.`);
    const long = h.command({ options: [prompt('too long'), duration(8)] });
    expect(await ephemeralReply(h, long.token)).toBe(
      'Videos made in this channel last at most 4 s, and this one would last 8 s. Choose a shorter duration. Nothing was charged.',
    );
    const many = h.command({ locale: 'zh-TW', options: [prompt('too many'), duration(4), takes(2)] });
    expect(await ephemeralReply(h, many.token)).toBe(
      '本頻道每次請求最多 1 份，而不是 2 份。未產生任何費用。',
    );
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);

    // A duration the member did not give is kept under the cap (veo's default is 6 s).
    h.command({ options: [prompt('within')] });
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({ seconds: 4 });
    // Another channel is not capped.
    h.command({ channelId: otherChannelId, options: [prompt('elsewhere'), duration(8), takes(2)] });
    await until(() => providerCreates(h).length === 3);
  });

  it("refuses Regenerate of a job longer than the channel's cap, with no provider call and no row", async () => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('an 8 second one'), duration(8)] });
    const [job] = await delivered(h);
    if (!job) throw new Error('no job');
    await admin(h, ['channel-limits'], [channel(channelId), integer('max_duration', 4)]);
    const click = await clickRegenerate(h, job);
    expect(await ephemeralReply(h, click.token)).toBe(
      'Videos made in this channel last at most 4 s, and this one would last 8 s. Choose a shorter duration. Nothing was charged.',
    );
    expect(providerCreates(h)).toHaveLength(1);
    expect(await countJobs(h.bot.store)).toBe(1);

    // Removed: Regenerate works again.
    expect(
      await admin(
        h,
        ['channel-limits'],
        [channel(channelId), { name: 'remove', type: ApplicationCommandOptionType.Boolean, value: true }],
      ),
    ).toBe(`Limits for <#${channelId}> removed.`);
    await clickRegenerate(h, job);
    await until(() => providerCreates(h).length === 2);
  });

  it("refuses Remix (button and an open modal) of a job longer than the channel's cap", async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const h = harness;
    h.command({ options: [prompt('a boat'), duration(8)] });
    const [job] = await delivered(h);
    if (!job) throw new Error('no job');
    await admin(h, ['channel-limits'], [channel(channelId), integer('max_duration', 4)]);
    const refusal =
      'Videos made in this channel last at most 4 s, and this one would last 8 s. Choose a shorter duration. Nothing was charged.';
    const button = h.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(h, 'remix', job.id),
      messageId: cardMessageId(h, job),
    });
    expect(await ephemeralReply(h, button.token)).toBe(refusal);
    const submit = h.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(h, 'remix-modal', job.id),
      fields: { prompt: 'the same boat at night' },
    });
    expect(await ephemeralReply(h, submit.token)).toBe(refusal);
    expect(h.video.requests.filter((r) => r.path.endsWith('/remix'))).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(1);
  });

  it('refuses Make a video over the cap on takes', async () => {
    harness = await startHarness();
    const h = harness;
    await admin(h, ['channel-limits'], [channel(channelId), integer('max_takes', 1)]);
    const message = h.discord.seedMessage({
      channelId,
      author: { id: '9', username: 'bob' },
      content: 'a harbour',
    });
    const { token } = h.discord.sendMessageCommand({
      guildId,
      user: member,
      name: 'Make a video',
      messageId: message.id,
    });
    await until(() => h.discord.modalShown(token));
    const submit = h.discord.submitModal(token, { takes: ['3'] });
    expect(await ephemeralReply(h, submit.token)).toBe(
      'Takes per request in this channel: at most 1, and this asks for 3. Nothing was charged.',
    );
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);
  });
});
