// A server's blocked words end to end: the admin's list (/video-admin blocked-words), prompts
// refused with their dodges in /video, Make a video and Remix/Regenerate before anything is spent,
// the refusals counted in /video-admin usage, and nothing shared between servers.
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { countJobs } from '../jobs/helpers.ts';
import {
  body,
  cardMessageId,
  channelId,
  ephemeralReply,
  guildId,
  type Harness,
  jobButtonId,
  member,
  moderator,
  moderatorPermissions,
  otherGuildId,
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

const otherGuildChannel = '222222222222222224';
const refusal =
  "This prompt can't be used in this server: it contains a word the moderators have blocked. Nothing was charged.";

/** /video-admin blocked-words `action` in `guild`, by a moderator: the command's token. */
function wordsCommand(
  h: Harness,
  action: 'add' | 'remove' | 'list',
  word?: string,
  input: { guild?: string; locale?: string } = {},
) {
  const guild = input.guild ?? guildId;
  return h.discord.sendCommand({
    guildId: guild,
    channelId: guild === guildId ? channelId : otherGuildChannel,
    user: moderator,
    memberPermissions: moderatorPermissions,
    locale: input.locale,
    name: 'video-admin',
    options: [
      {
        name: 'blocked-words',
        type: ApplicationCommandOptionType.SubcommandGroup,
        options: [
          {
            name: action,
            type: ApplicationCommandOptionType.Subcommand,
            options:
              word === undefined
                ? []
                : [{ name: 'word', type: ApplicationCommandOptionType.String, value: word }],
          },
        ],
      },
    ],
  });
}

/** The ephemeral answer to a /video-admin command, as Discord received it. */
async function adminReply(h: Harness, token: string): Promise<string> {
  const call = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
  expect(body(call).type).toBe(InteractionResponseType.ChannelMessageWithSource);
  const data = body(call).data as { content: string; flags: number; allowed_mentions?: { parse: string[] } };
  expect(data.flags & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  expect(data.allowed_mentions?.parse).toEqual([]);
  return data.content;
}

/** /video-admin `subcommand` (usage, audit) in `guild`, by a moderator: its ephemeral answer. */
const adminSubcommand = (h: Harness, subcommand: string, guild = guildId) =>
  adminReply(
    h,
    h.discord.sendCommand({
      guildId: guild,
      channelId: guild === guildId ? channelId : otherGuildChannel,
      user: moderator,
      memberPermissions: moderatorPermissions,
      name: 'video-admin',
      options: [{ name: subcommand, type: ApplicationCommandOptionType.Subcommand, options: [] }],
    }).token,
  );

const blockWord = async (h: Harness, word: string, input: { guild?: string } = {}) =>
  adminReply(h, wordsCommand(h, 'add', word, input).token);

function video(h: Harness, text: string, input: { guild?: string; locale?: string } = {}) {
  const guild = input.guild ?? guildId;
  return h.command({
    guildId: guild,
    channelId: guild === guildId ? channelId : otherGuildChannel,
    locale: input.locale,
    options: [prompt(text)],
  });
}

const refusalRows = (h: Harness) =>
  h.database.query<{ guild_id: string; user_id: string; reason: string }>(
    'SELECT guild_id, user_id, reason FROM prompt_refusals ORDER BY id',
  );

const dodges = [
  'a K r a k e n in the bay',
  'the ｋｒａｋｅｎ wakes',
  'a kräken at dawn',
  'RELEASE THE K.R.A.K.E.N',
];

describe('blocked words in /video', () => {
  it('refuses the word and its dodges before any provider call or row, never echoing it, and counts them in usage', async () => {
    harness = await startHarness();
    const h = harness;
    expect(await blockWord(harness, 'Kraken')).toBe(
      'Blocked: ||Kraken||. Prompts that contain it are refused from now on.',
    );
    for (const text of dodges) {
      const answer = await ephemeralReply(harness, video(harness, text).token);
      expect(answer).toBe(refusal);
      expect(answer.toLowerCase()).not.toContain('kraken');
    }
    expect(providerCreates(harness)).toHaveLength(0);
    expect(await countJobs(harness.bot.store)).toBe(0);
    // Counted for the moderators, without the prompt (the table has no column for it).
    expect(await refusalRows(harness)).toEqual(
      dodges.map(() => ({ guild_id: guildId, user_id: member.id, reason: 'blocked_word' })),
    );
    // The log says a prompt was refused, never the prompt or the word.
    const refusedLogs = harness.logs.filter((line) => line.includes('prompt refused'));
    expect(refusedLogs).toHaveLength(dodges.length);
    expect(refusedLogs.join('').toLowerCase()).not.toMatch(/kr.?.?a.?k|ｋｒ/);

    // A word that merely contains it, and the word in another guild's prompt, go through.
    const innocent = video(harness, 'a krakenless calm sea');
    await harness.discord.waitForCall(
      (c) => c.path.endsWith(`${innocent.token}/callback`) && body(c).type === 5,
    );
    await until(() => providerCreates(h).length === 1);
    expect(providerCreates(harness)[0]?.json).toMatchObject({ prompt: 'a krakenless calm sea' });

    const usage = await adminSubcommand(harness, 'usage');
    // Once for the last 24 hours, once for the last 7 days.
    expect(usage.match(/^Prompts refused for blocked words: 4$/gm)).toHaveLength(2);
  });

  it('keeps each server its own list: a word blocked in one refuses nothing in another', async () => {
    harness = await startHarness();
    const h = harness;
    await blockWord(harness, 'kraken');
    const elsewhere = video(harness, 'the kraken sleeps', { guild: otherGuildId });
    await harness.discord.waitForCall(
      (c) => c.path.endsWith(`${elsewhere.token}/callback`) && body(c).type === 5,
    );
    await until(() => providerCreates(h).length === 1);
    expect(
      await adminReply(harness, wordsCommand(harness, 'list', undefined, { guild: otherGuildId }).token),
    ).toBe('No words are blocked on this server.');
    expect(await refusalRows(harness)).toEqual([]);
    // And the other way round: the other server's word refuses there only.
    await blockWord(harness, 'boat', { guild: otherGuildId });
    expect(await ephemeralReply(harness, video(harness, 'a boat', { guild: otherGuildId }).token)).toBe(
      refusal,
    );
    video(harness, 'a boat');
    await until(() => providerCreates(h).length === 2);
    expect(await refusalRows(harness)).toEqual([
      { guild_id: otherGuildId, user_id: member.id, reason: 'blocked_word' },
    ]);
    const usageElsewhere = await adminSubcommand(harness, 'usage', otherGuildId);
    expect(usageElsewhere).toContain('Prompts refused for blocked words: 1');
  });

  it('refuses in Chinese to a zh-CN member, for a Chinese word however it is spaced', async () => {
    harness = await startHarness();
    await blockWord(harness, '海怪');
    const answer = await ephemeralReply(
      harness,
      video(harness, '一只 海 · 怪 在海上', { locale: 'zh-CN' }).token,
    );
    expect(answer).toBe('此提示词不能在本服务器使用：其中含有版主屏蔽的词语。未产生任何费用。');
    expect(providerCreates(harness)).toHaveLength(0);
  });
});

describe('blocked words in Make a video', () => {
  it("refuses a message whose text has the word before the form opens, and a form's prompt typed with it", async () => {
    harness = await startHarness();
    await blockWord(harness, 'kraken');
    const author = { id: '333333333333333334', username: 'bob', globalName: 'Bob' };
    const tainted = harness.discord.seedMessage({
      channelId,
      author,
      content: 'draw the ｋｒａｋｅｎ please',
    });
    const opened = harness.discord.sendMessageCommand({
      guildId,
      user: member,
      name: 'Make a video',
      messageId: tainted.id,
    });
    expect(await ephemeralReply(harness, opened.token)).toBe(refusal);
    expect(harness.discord.modalShown(opened.token)).toBeFalsy();

    // A clean message opens the form; the member types the word into it.
    const clean = harness.discord.seedMessage({ channelId, author, content: 'a calm sea' });
    const form = harness.discord.sendMessageCommand({
      guildId,
      user: member,
      name: 'Make a video',
      messageId: clean.id,
    });
    await until(() => harness?.discord.modalShown(form.token));
    const submit = harness.discord.submitModal(form.token, { prompt: 'a calm sea and a K-r-a-k-e-n' });
    expect(await ephemeralReply(harness, submit.token)).toBe(refusal);

    expect(providerCreates(harness)).toHaveLength(0);
    expect(await countJobs(harness.bot.store)).toBe(0);
    expect(await refusalRows(harness)).toHaveLength(2);
  });
});

describe('blocked words in Remix and Regenerate', () => {
  it('refuses a Remix prompt with the word, and a Regenerate of a prompt blocked since, with no provider call', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    video(harness, 'a boat at sea');
    const job = await until(async () => (await harness?.bot.store.byState(['delivered']))?.[0], 15_000);
    await blockWord(harness, 'kraken');
    const before = { requests: harness.video.requests.length, rows: await countJobs(harness.bot.store) };

    const remix = harness.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(harness, 'remix-modal', job.id),
      fields: { prompt: 'the same boat, and a kräken rising' },
    });
    expect(await ephemeralReply(harness, remix.token)).toBe(refusal);

    // The job's own prompt is blocked now: Regenerate is refused too.
    await blockWord(harness, 'boat');
    const regenerate = harness.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(harness, 'regen', job.id),
      messageId: cardMessageId(harness, job),
    });
    expect(await ephemeralReply(harness, regenerate.token)).toBe(refusal);

    const creates = harness.video.requests
      .slice(before.requests)
      .filter((r) => r.method === 'POST' && r.path.startsWith('/v1/videos'));
    expect(creates).toEqual([]);
    expect(await countJobs(harness.bot.store)).toBe(before.rows);
    expect(await refusalRows(harness)).toHaveLength(2);
  });
});

describe('/video-admin blocked-words', () => {
  it('adds, lists (escaped, under spoilers), refuses duplicates in any form, removes by any form, and audits', async () => {
    harness = await startHarness();
    const h = harness;
    const reply = (action: 'add' | 'remove' | 'list', word?: string) =>
      adminReply(h, wordsCommand(h, action, word).token);
    expect(await reply('list')).toBe('No words are blocked on this server.');
    await reply('add', 'kraken');
    expect(await reply('add', 'ＫＲＡＫＥＮ')).toBe('||ＫＲＡＫＥＮ|| was already blocked.');
    expect(await reply('add', '**sea** @everyone')).toBe(
      'Blocked: ||\\*\\*sea\\*\\* @\u200beveryone||. Prompts that contain it are refused from now on.',
    );
    expect(await reply('add', '...')).toBe('That has no letter or digit, so there is nothing to block.');
    expect(await reply('add', 'x'.repeat(61))).toBe(
      'A blocked word or phrase may be at most 60 characters long.',
    );
    expect(await reply('list')).toBe(
      '**Blocked words (2)**\n||kraken||, ||\\*\\*sea\\*\\* @\u200beveryone||',
    );
    expect(await reply('remove', 'K.r.a.k.e.n')).toBe('||kraken|| is no longer blocked.');
    expect(await reply('remove', 'kraken')).toBe('That word was not blocked.');
    expect(await reply('list')).toBe('**Blocked words (1)**\n||\\*\\*sea\\*\\* @\u200beveryone||');

    const audit = await h.database.query<{ action: string; target: string; actor_id: string }>(
      "SELECT action, target, actor_id FROM audit_log WHERE action LIKE 'blocked_word.%' ORDER BY id",
    );
    expect(audit).toEqual([
      { action: 'blocked_word.add', target: 'kraken', actor_id: moderator.id },
      { action: 'blocked_word.add', target: '**sea** @everyone', actor_id: moderator.id },
      { action: 'blocked_word.remove', target: 'kraken', actor_id: moderator.id },
    ]);
    const log = await adminSubcommand(h, 'audit');
    expect(log).toContain(`<@${moderator.id}> unblocked the word ||kraken||`);
    expect(log).toContain(`<@${moderator.id}> blocked the word ||\\*\\*sea\\*\\* @\u200beveryone||`);
    expect(log).not.toContain('@everyone');

    // A server's list has a size limit: the 201st word is refused, and nothing is written.
    for (let index = 1; index < 200; index++)
      await h.bot.store.addBlockedWord(guildId, `word${index}`, moderator.id);
    expect(await reply('add', 'one more')).toBe(
      'This server already blocks 200 words. Remove one before adding another.',
    );
    expect(await h.bot.store.blockedWords(guildId)).toHaveLength(200);
    // The list still fits one Discord message, saying how many it left out.
    const full = await reply('list');
    expect(full.length).toBeLessThanOrEqual(2_000);
    expect(full).toMatch(/^\*\*Blocked words \(200\)\*\*\n\|\|\\\*\\\*sea.*, and \d+ more$/s);
  });

  it('answers a zh-CN admin in Chinese, and refuses members without Manage Server', async () => {
    harness = await startHarness();
    expect(await adminReply(harness, wordsCommand(harness, 'add', '海怪', { locale: 'zh-CN' }).token)).toBe(
      '已屏蔽：||海怪||。今后含有它的提示词都会被拒绝。',
    );
    const denied = harness.discord.sendCommand({
      guildId,
      channelId,
      user: member,
      memberPermissions: '0',
      name: 'video-admin',
      options: [
        {
          name: 'blocked-words',
          type: ApplicationCommandOptionType.SubcommandGroup,
          options: [{ name: 'list', type: ApplicationCommandOptionType.Subcommand, options: [] }],
        },
      ],
    });
    expect(await adminReply(harness, denied.token)).toBe(
      "Only members with Manage Server can change reelbot's settings.",
    );
    expect((await harness.bot.store.blockedWords(guildId)).map((entry) => entry.word)).toEqual(['海怪']);
  });
});
