// A thread per idea (issue 12), through the fakes: Open a thread on a card and a Regenerate landing
// in it, the channel setting that opens it at once, the permissions it takes, and a thread that
// is archived or deleted later (the next result goes to the channel, nothing is lost).
import { ApplicationCommandOptionType, ChannelType, MessageFlags, PermissionFlagsBits } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/index.ts';
import { defaultBotPermissions, type RecordedCall } from '../fakes/discord.ts';
import {
  body,
  cardMessageId,
  channelId,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  jobButtonId,
  member,
  moderator,
  moderatorPermissions,
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

const row = async (h: Harness, id: number): Promise<Job> => {
  const job = await h.bot.store.get(id);
  if (!job) throw new Error(`no job ${id}`);
  return job;
};
const deliveredJob = (h: Harness, id: number) =>
  until(async () => {
    const job = await h.bot.store.get(id);
    return job?.state === 'delivered' ? job : undefined;
  }, 15_000);
/** The first job's row once it shows a card. */
const firstJob = (h: Harness) =>
  until(async () => {
    const job = await h.bot.store.get(1);
    return job?.replyMessageId ? job : undefined;
  });

/** The member clicks `action` on the card of job `id`, in the channel (or in `inThread`). */
async function click(
  h: Harness,
  action: 'thread' | 'regen',
  id: number,
  input: { inThread?: string; user?: { id: string; username: string }; permissions?: string } = {},
) {
  const job = await row(h, id);
  return h.discord.sendButton({
    guildId,
    channelId: input.inThread ?? channelId,
    ...(input.inThread ? { channelType: ChannelType.PublicThread, parentId: channelId } : {}),
    user: input.user ?? member,
    memberPermissions: input.permissions,
    customId: await jobButtonId(h, action, id),
    messageId: cardMessageId(h, job),
  });
}

/** A card posted by the bot (not through an interaction) in `channel`. */
const postedIn = (channel: string) => (call: RecordedCall) =>
  call.method === 'POST' &&
  call.path === `/channels/${channel}/messages` &&
  embedText(call).includes('Job #');

/** The labels of the buttons on the fake's copy of a message. */
function buttonLabels(h: Harness, messageId: string): string[] {
  const rows = (h.discord.messages.get(messageId)?.components ?? []) as {
    components: { label?: string }[];
  }[];
  return rows.flatMap((r) => r.components.map((c) => c.label ?? ''));
}

/** The labels of the buttons in a message body's `components`. */
function buttonLabelsOf(components: unknown): string[] {
  const rows = (components ?? []) as { components: { label?: string }[] }[];
  return rows.flatMap((r) => r.components.map((c) => c.label ?? ''));
}

/** The author of a message a member makes a video from. */
const bob = { id: '333333333333333334', username: 'bob', globalName: 'Bob B.' };

/** The member uses Apps › Make a video on `messageId` and submits its form with `values`: the submit. */
async function makeVideoOn(
  h: Harness,
  messageId: string,
  values: Parameters<Harness['discord']['submitModal']>[1] = {},
) {
  const { token } = h.discord.sendMessageCommand({ guildId, user: member, name: 'Make a video', messageId });
  await until(() => h.discord.modalShown(token));
  return h.discord.submitModal(token, values);
}

/** /video-admin threads mode:on|off, by a member with Manage Server. */
function threadsSetting(h: Harness, mode: 'on' | 'off', channel?: string) {
  return h.discord.sendCommand({
    guildId,
    channelId,
    user: moderator,
    memberPermissions: moderatorPermissions,
    name: 'video-admin',
    options: [
      {
        name: 'threads',
        type: ApplicationCommandOptionType.Subcommand,
        options: [
          { name: 'mode', type: ApplicationCommandOptionType.String, value: mode },
          ...(channel
            ? [{ name: 'channel', type: ApplicationCommandOptionType.Channel, value: channel }]
            : []),
        ],
      },
    ],
    resolved: channel
      ? {
          channels: {
            [channel]: { id: channel, type: ChannelType.GuildText, name: 'ideas', permissions: '0' },
          },
        }
      : undefined,
  });
}

/**
 * The private answer to a deferred interaction: its deferral is ephemeral, and the edit of its
 * response says `expected` (or, when only a prefix is known, starts with it).
 */
async function privateAnswer(h: Harness, token: string, startsWith = ''): Promise<string> {
  const deferred = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
  expect(((body(deferred).data ?? {}) as { flags?: number }).flags ?? 0).toBe(MessageFlags.Ephemeral);
  const answer = await h.discord.waitForCall(
    (c) =>
      c.method === 'PATCH' &&
      c.path.includes(token) &&
      typeof body(c).content === 'string' &&
      String(body(c).content).startsWith(startsWith),
  );
  return String(body(answer).content);
}

/** Opens a thread on job 1's delivered card and returns the thread's id. */
async function openThreadOnFirstJob(h: Harness): Promise<{ job: Job; threadId: string }> {
  const job = await deliveredJob(h, 1);
  const card = cardMessageId(h, job);
  const { token } = await click(h, 'thread', job.id);
  expect(await privateAnswer(h, token)).toBe(
    `Thread opened: <#${card}>. Regenerate, Remix and new takes of this video now go there.`,
  );
  return { job, threadId: card };
}

describe('Open a thread', () => {
  it('starts a public thread on the card, named from the prompt, and a Regenerate of it (and of that) lands in it', async () => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('a **lighthouse** at dawn')] });
    const job = await deliveredJob(h, 1);
    const card = cardMessageId(h, job);
    expect(buttonLabels(h, card)).toContain('Open a thread');

    const { threadId } = await openThreadOnFirstJob(h);
    const start = await h.discord.waitForCall(
      (c) => c.path === `/channels/${channelId}/messages/${card}/threads`,
    );
    expect([start.method, start.status, body(start).name]).toEqual([
      'POST',
      201,
      'a \\*\\*lighthouse\\*\\* at dawn',
    ]);
    expect(h.discord.thread(threadId)).toMatchObject({
      parentId: channelId,
      archived: false,
      deleted: false,
    });
    expect((await row(h, 1)).threadId).toBe(threadId);
    // Only the buttons changed: the video stays on the card, the thread button goes.
    await until(() => !buttonLabels(h, card).includes('Open a thread'));
    expect(h.discord.messages.get(card)?.attachments).toHaveLength(1);

    // Regenerate on the card in the channel: the new card is the bot's message in the thread.
    const regen = await click(h, 'regen', 1);
    const posted = await h.discord.waitForCall(postedIn(threadId));
    expect(posted.status).toBe(200);
    expect(body(posted).allowed_mentions).toEqual({ parse: [], users: [], replied_user: false });
    const second = await deliveredJob(h, 2);
    expect(second).toMatchObject({ threadId, channelId, originKind: 'regenerate', originJobId: 1 });
    expect(h.discord.messages.get(second.replyMessageId ?? '')?.channelId).toBe(threadId);
    const upload = await h.discord.waitForCall(
      (c) =>
        c.method === 'PATCH' &&
        c.path === `/channels/${threadId}/messages/${second.replyMessageId}` &&
        c.files.length > 0,
    );
    expect(upload.status).toBe(200);
    // The member's answer is private and points at the card in the thread.
    expect(await privateAnswer(h, regen.token, 'Your')).toBe(
      `Your new video is in the thread: https://discord.com/channels/${guildId}/${threadId}/${second.replyMessageId}.`,
    );
    // Its "ready" ping is in the thread too, replying to its card; the channel heard nothing of it.
    const notice = await h.discord.waitForCall(
      (c) =>
        c.method === 'POST' && c.path === `/channels/${threadId}/messages` && !embedText(c).includes('Job #'),
    );
    expect(body(notice).message_reference).toMatchObject({ message_id: second.replyMessageId });
    const sinceRegen = h.discord.calls.slice(h.discord.calls.findIndex((c) => c.path.includes(regen.token)));
    expect(sinceRegen.some((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`)).toBe(
      false,
    );

    // Regenerate clicked on the card inside the thread: a descendant stays in the thread too.
    await click(h, 'regen', 2, { inThread: threadId });
    const third = await deliveredJob(h, 3);
    expect(third).toMatchObject({ threadId, channelId, originJobId: 2 });
    expect(h.discord.messages.get(third.replyMessageId ?? '')?.channelId).toBe(threadId);
    // A card in the thread offers no other thread.
    expect(buttonLabels(h, third.replyMessageId ?? '')).not.toContain('Open a thread');
  });

  it('refuses a second thread, and a member who is neither the requester nor a moderator, with nothing started', async () => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    const { threadId } = await openThreadOnFirstJob(h);
    const again = await click(h, 'thread', 1);
    expect(await ephemeralReply(h, again.token)).toBe(`This video already has a thread: <#${threadId}>.`);

    h.command({ options: [prompt('a second boat')] });
    await deliveredJob(h, 2);
    const stranger = await click(h, 'thread', 2, { user: otherMember });
    expect(await ephemeralReply(h, stranger.token)).toBe(
      'Only the member who asked for this video, or a moderator, can do that.',
    );
    const starts = h.discord.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/threads'));
    expect(starts).toHaveLength(1);
    expect((await row(h, 2)).threadId).toBeNull();
  });

  it('refuses a thread on the card of a /video used inside a thread', async () => {
    harness = await startHarness();
    const h = harness;
    const inThread = '222222222222222290';
    h.discord.createThread({ guildId, id: inThread, parentId: channelId });
    await until(() => h.bot.client.channels.cache.has(inThread));
    h.command({
      channelId: inThread,
      channelType: ChannelType.PublicThread,
      parentId: channelId,
      options: [prompt('a boat')],
    });
    await deliveredJob(h, 1);
    const { token } = await click(h, 'thread', 1, { inThread });
    expect(await ephemeralReply(h, token)).toBe(
      'This card is already in a thread: a thread cannot be opened inside another.',
    );
    expect(h.discord.calls.some((c) => c.path.endsWith('/threads'))).toBe(false);
  });

  it('posts a Remix of a job in the thread there too', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    const { threadId } = await openThreadOnFirstJob(h);
    const submit = h.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(h, 'remix-modal', 1),
      fields: { prompt: 'the same boat at night' },
    });
    expect(await privateAnswer(h, submit.token, 'Your')).toContain(`/${threadId}/`);
    const remix = await deliveredJob(h, 2);
    expect(remix).toMatchObject({
      threadId,
      originKind: 'remix',
      remixOfJobId: 1,
      prompt: 'the same boat at night',
    });
    expect(h.discord.messages.get(remix.replyMessageId ?? '')?.channelId).toBe(threadId);
  });

  it('answers a click from another server as for a job that does not exist, with nothing started', async () => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    const job = await deliveredJob(h, 1);
    const foreign = h.discord.sendButton({
      guildId: otherGuildId,
      channelId: '222222222222222224',
      user: member,
      memberPermissions: moderatorPermissions,
      customId: await jobButtonId(h, 'thread', 1),
      messageId: cardMessageId(h, job),
    });
    expect(await ephemeralReply(h, foreign.token)).toBe('That video job no longer exists.');
    expect(h.discord.calls.some((c) => c.path.endsWith('/threads'))).toBe(false);
    expect((await row(h, 1)).threadId).toBeNull();
  });

  it.each([
    { flag: PermissionFlagsBits.CreatePublicThreads, name: 'Create Public Threads' },
    { flag: PermissionFlagsBits.SendMessagesInThreads, name: 'Send Messages in Threads' },
  ])('refuses when the bot lacks $name, naming it, with no thread started', async ({ flag, name }) => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    await deliveredJob(h, 1);
    h.discord.setBotPermissions(channelId, defaultBotPermissions & ~flag);
    const { token } = await click(h, 'thread', 1);
    expect(await ephemeralReply(h, token)).toBe(
      `I cannot open a thread here: I am missing the ${name} permission in this channel. Ask a server admin to grant it.`,
    );
    expect(h.discord.calls.some((c) => c.path.endsWith('/threads'))).toBe(false);
    expect((await row(h, 1)).threadId).toBeNull();
  });
});

describe('/video-admin threads', () => {
  it('makes every /video in the channel open its thread on its card at once; later takes go in it; audited', async () => {
    harness = await startHarness();
    const h = harness;
    const { token } = threadsSetting(h, 'on', channelId);
    expect(await ephemeralReply(h, token)).toBe(`Every /video in <#${channelId}> now opens its own thread.`);
    expect((await h.bot.store.channelSettings(guildId, channelId)).threads).toBe(true);
    const [entry] = await h.bot.context.moderation.auditLog(guildId, 1);
    expect(entry).toMatchObject({ action: 'channel.threads', target: channelId, actorId: moderator.id });

    h.command({
      options: [
        prompt('storyboard of a heist'),
        { name: 'takes', type: ApplicationCommandOptionType.Integer, value: 2 },
      ],
    });
    const first = await firstJob(h);
    const start = await h.discord.waitForCall(
      (c) =>
        c.method === 'POST' && c.path === `/channels/${channelId}/messages/${first.replyMessageId}/threads`,
    );
    expect(body(start).name).toBe('storyboard of a heist');
    const threadId = first.replyMessageId ?? '';
    await until(async () => (await row(h, 1)).threadId === threadId);
    // The second take's card is the bot's message in the thread, linked to the first.
    const take = await deliveredJob(h, 2);
    expect(take).toMatchObject({ threadId, takeIndex: 2, interactionToken: null });
    expect(h.discord.messages.get(take.replyMessageId ?? '')?.channelId).toBe(threadId);
    await deliveredJob(h, 1);
    expect(h.discord.messages.get(threadId)?.channelId).toBe(channelId);

    // Off again: the next /video stays in the channel.
    const off = threadsSetting(h, 'off');
    expect(await ephemeralReply(h, off.token)).toBe(
      `/video in <#${channelId}> no longer opens a thread by itself.`,
    );
    h.command({ options: [prompt('a calm sea')] });
    await deliveredJob(h, 3);
    expect(h.discord.calls.filter((c) => c.path.endsWith('/threads'))).toHaveLength(1);
    expect((await row(h, 3)).threadId).toBeNull();
  });

  it('makes Apps › Make a video open its thread on its first card (the reply to the message) at once; the second take goes in it', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const on = threadsSetting(h, 'on', channelId);
    expect(await ephemeralReply(h, on.token)).toBe(
      `Every /video in <#${channelId}> now opens its own thread.`,
    );
    const target = h.discord.seedMessage({ channelId, author: bob, content: 'a **heist** at the museum' });
    const submit = await makeVideoOn(h, target.id, { takes: ['2'] });

    const first = await firstJob(h);
    const card = first.replyMessageId ?? '';
    // The first card is the bot's own reply to the message, in the channel, offering a thread.
    expect(h.discord.messages.get(card)).toMatchObject({ channelId, reference: { message_id: target.id } });
    const post = h.discord.calls.find((c) => postedIn(channelId)(c) && c.status === 200);
    expect(buttonLabelsOf(body(post ?? ({} as RecordedCall)).components)).toContain('Open a thread');
    const start = await h.discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages/${card}/threads`,
    );
    expect([start.status, body(start).name]).toEqual([201, 'a \\*\\*heist\\*\\* at the museum']);
    expect(h.discord.thread(card)).toMatchObject({ parentId: channelId, archived: false });
    const threadId = card;
    await until(async () => (await row(h, 1)).threadId === threadId);
    // The card (not the member's private answer) is redrawn through the channel without the button.
    const redraw = await h.discord.waitForCall(
      (c) =>
        c.method === 'PATCH' &&
        c.path === `/channels/${channelId}/messages/${card}` &&
        Object.keys(body(c)).join() === 'components',
    );
    expect(redraw.status).toBe(200);
    expect(buttonLabelsOf(body(redraw).components)).toEqual(['Cancel']);
    expect(buttonLabels(h, card)).toEqual(['Cancel']);

    // The second take's card is the bot's message in the thread, linked to the first.
    const inThread = await h.discord.waitForCall((c) => postedIn(threadId)(c) && c.status === 200);
    expect(body(inThread).message_reference).toBeUndefined();
    const take = await until(async () => {
      const job = await h.bot.store.get(2);
      return job?.replyMessageId ? job : undefined;
    });
    expect(take).toMatchObject({ threadId, takeIndex: 2, interactionToken: null, originMessageId: card });
    expect(h.discord.messages.get(take.replyMessageId ?? '')?.channelId).toBe(threadId);
    // The member's private answer points at both cards, the second in the thread.
    expect(await privateAnswer(h, submit.token, 'Job #1')).toBe(
      [
        `Job #1 is on its way, as a reply to the message: https://discord.com/channels/${guildId}/${channelId}/${card}`,
        `Job #2 is on its way, as a reply to the message: https://discord.com/channels/${guildId}/${threadId}/${take.replyMessageId}`,
      ].join('\n'),
    );
    expect(
      h.discord.calls.some(
        (c) => c.path.includes(submit.token) && c.method === 'PATCH' && body(c).components !== undefined,
      ),
    ).toBe(false);

    // Delivered: the first video on its card in the channel, the second's in the thread.
    h.video.completeJob(first.remoteId ?? '');
    h.video.completeJob(take.remoteId ?? '');
    const delivered = [await deliveredJob(h, 1), await deliveredJob(h, 2)];
    expect(delivered.map((job) => job.threadId)).toEqual([threadId, threadId]);
    expect(h.discord.messages.get(card)).toMatchObject({ channelId, attachments: [expect.anything()] });
    expect(h.discord.messages.get(take.replyMessageId ?? '')).toMatchObject({
      channelId: threadId,
      attachments: [expect.anything()],
    });
    expect(h.discord.calls.filter((c) => c.path.endsWith('/threads'))).toHaveLength(1);
  });

  it('leaves Make a video’s cards replying to the message in the channel when the setting is off', async () => {
    harness = await startHarness();
    const h = harness;
    const off = threadsSetting(h, 'off', channelId);
    expect(await ephemeralReply(h, off.token)).toBe(
      `/video in <#${channelId}> no longer opens a thread by itself.`,
    );
    expect((await h.bot.store.channelSettings(guildId, channelId)).threads).toBe(false);
    const target = h.discord.seedMessage({ channelId, author: bob, content: 'a calm sea' });
    await makeVideoOn(h, target.id, { takes: ['2'] });
    const jobs = [await deliveredJob(h, 1), await deliveredJob(h, 2)];
    expect(jobs.map((job) => job.threadId)).toEqual([null, null]);
    for (const job of jobs) {
      expect(h.discord.messages.get(job.replyMessageId ?? '')).toMatchObject({
        channelId,
        reference: { message_id: target.id },
      });
      expect(buttonLabels(h, job.replyMessageId ?? '')).toContain('Open a thread');
    }
    expect(h.discord.calls.some((c) => c.path.endsWith('/threads'))).toBe(false);
  });

  it('leaves the cards in the channel when the bot may not post in threads there', async () => {
    harness = await startHarness();
    const h = harness;
    await h.bot.store.updateChannelSettings(guildId, channelId, { threads: true });
    h.discord.setBotPermissions(
      channelId,
      defaultBotPermissions & ~PermissionFlagsBits.SendMessagesInThreads,
    );
    h.command({ options: [prompt('a boat')] });
    const job = await deliveredJob(h, 1);
    expect(job.threadId).toBeNull();
    expect(h.discord.calls.some((c) => c.path.endsWith('/threads'))).toBe(false);
    expect(h.discord.messages.get(cardMessageId(h, job))?.attachments).toHaveLength(1);
  });

  it('is refused to a member without Manage Server, and changes nothing', async () => {
    harness = await startHarness();
    const h = harness;
    const { token } = h.discord.sendCommand({
      guildId,
      channelId,
      user: member,
      memberPermissions: String(PermissionFlagsBits.ManageMessages),
      name: 'video-admin',
      options: [
        {
          name: 'threads',
          type: ApplicationCommandOptionType.Subcommand,
          options: [{ name: 'mode', type: ApplicationCommandOptionType.String, value: 'on' }],
        },
      ],
    });
    expect(await ephemeralReply(h, token)).toContain('Manage Server');
    expect((await h.bot.store.channelSettings(guildId, channelId)).threads).toBeNull();
  });
});

describe('a thread gone later', () => {
  it('deleted: the next Regenerate posts its card in the channel, and the job stops pointing at the thread', async () => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    const { job, threadId } = await openThreadOnFirstJob(h);
    h.discord.deleteThread(threadId);

    const regen = await click(h, 'regen', 1);
    const refused = await h.discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/channels/${threadId}/messages`,
    );
    expect(refused.status).toBe(404);
    const posted = await h.discord.waitForCall(postedIn(channelId));
    expect(body(posted).message_reference).toMatchObject({ message_id: cardMessageId(h, job) });
    const second = await deliveredJob(h, 2);
    expect(second.threadId).toBeNull();
    expect(h.discord.messages.get(second.replyMessageId ?? '')).toMatchObject({ channelId });
    expect(h.discord.messages.get(second.replyMessageId ?? '')?.attachments).toHaveLength(1);
    expect((await row(h, 1)).threadId).toBeNull();
    expect(await privateAnswer(h, regen.token, 'The thread')).toBe(
      `The thread is gone, so your new video is here in the channel: https://discord.com/channels/${guildId}/${channelId}/${second.replyMessageId}.`,
    );
    expect(providerCreates(h)).toHaveLength(2);
  });

  it('archived and locked by a moderator: the next Regenerate posts its card in the channel (160005)', async () => {
    harness = await startHarness();
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    const { threadId } = await openThreadOnFirstJob(h);
    h.discord.archiveThread(threadId, { locked: true });
    await click(h, 'regen', 1);
    const refused = await h.discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/channels/${threadId}/messages`,
    );
    expect(refused.status).toBe(403);
    const second = await deliveredJob(h, 2);
    expect(second.threadId).toBeNull();
    expect(h.discord.messages.get(second.replyMessageId ?? '')).toMatchObject({ channelId });
    expect((await row(h, 1)).threadId).toBeNull();
    expect(h.discord.thread(threadId)).toMatchObject({ archived: true, locked: true });
  });

  it('archived while a job in it runs: its result goes to the channel, with the video', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    h.command({ options: [prompt('a boat')] });
    const first = await firstJob(h);
    h.video.completeJob(first.remoteId ?? '');
    const { threadId } = await openThreadOnFirstJob(h);

    await click(h, 'regen', 1);
    const running = await until(async () => {
      const job = await h.bot.store.get(2);
      return job?.replyMessageId && job.remoteId ? job : undefined;
    });
    expect(h.discord.messages.get(running.replyMessageId ?? '')?.channelId).toBe(threadId);
    h.discord.archiveThread(threadId);
    h.video.completeJob(running.remoteId ?? '');

    const second = await deliveredJob(h, 2);
    const refused = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path === `/channels/${threadId}/messages/${running.replyMessageId}`,
    );
    expect(refused.status).toBe(400);
    expect(second.threadId).toBeNull();
    const card = h.discord.messages.get(second.replyMessageId ?? '');
    expect(card).toMatchObject({ channelId });
    expect(card?.attachments).toHaveLength(1);
    // The thread was left as it was: nothing was posted into it to unarchive it.
    expect(h.discord.thread(threadId)?.archived).toBe(true);
  });
});
