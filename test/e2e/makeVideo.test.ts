// Apps › Make a video end to end: the real bot against the fake Discord and the fake video API.
// The form a message opens, its submit, the provider's request, the card as a reply to the
// message (linking it, pinging no one), the delivered video, every refusal, and the card found
// again after restarts, the 15-minute token and a crash between Discord's answer and the row.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  ApplicationCommandType,
  ComponentType,
  InteractionResponseType,
  MessageFlags,
  MessageType,
  PermissionFlagsBits,
} from 'discord.js';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { cardNonce, videoFileName } from '../../src/discord/messenger.ts';
import { defaultBotPermissions, type FakeAttachment, type RecordedCall } from '../fakes/discord.ts';
import { countJobs } from '../jobs/helpers.ts';
import {
  body,
  channelId,
  embedText,
  envForFakes,
  ephemeralReply,
  exportedHistoryCsv,
  guildId,
  type Harness,
  historyReply,
  jobButtonId,
  member,
  moderatorRoleId,
  otherChannelId,
  providerCreates,
  referencePng,
  sampleVideo,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The author of the message the member makes a video from. */
const bob = { id: '333333333333333334', username: 'bob', globalName: 'Bob B.' };
const customEmojiId = '555555555555555555';

/** The bot's posts in the channel replying to `messageId`. */
const repliesTo = (h: Harness, messageId: string) =>
  h.discord.calls.filter(
    (call) =>
      call.method === 'POST' &&
      call.path === `/channels/${channelId}/messages` &&
      (body(call).message_reference as { message_id?: string } | undefined)?.message_id === messageId,
  );

/** The bot's message in the fake replying to `messageId`. */
const cardReplyingTo = (h: Harness, messageId: string) =>
  [...h.discord.messages.values()].find(
    (m) => m.authorId === h.discord.botUserId && m.reference?.message_id === messageId,
  );

const messageLinkOf = (messageId: string) =>
  `https://discord.com/channels/${guildId}/${channelId}/${messageId}`;

function bobsMessage(h: Harness, input: { content?: string; attachments?: FakeAttachment[] } = {}) {
  return h.discord.seedMessage({ channelId, author: bob, mentions: [member], ...input });
}

/** Alice uses Apps › Make a video on `messageId`. */
function makeVideoOn(h: Harness, messageId: string, locale = 'en-US') {
  return h.discord.sendMessageCommand({ guildId, user: member, name: 'Make a video', messageId, locale });
}

interface Form {
  custom_id: string;
  title: string;
  components: { type: number; label?: string; description?: string; component: Record<string, unknown> }[];
}

async function formShown(h: Harness, token: string): Promise<Form> {
  return (await until(() => h.discord.modalShown(token))) as unknown as Form;
}

/** Opens the form on `messageId` and submits it with `values`: the submit's token. */
async function submitForm(
  h: Harness,
  messageId: string,
  values: Parameters<Harness['discord']['submitModal']>[1] = {},
) {
  const { token } = makeVideoOn(h, messageId);
  await formShown(h, token);
  return h.discord.submitModal(token, values);
}

/** The upload of the video onto the card (the bot's own message, edited through the channel). */
const isCardUpload = (cardId: string) => (call: RecordedCall) =>
  call.method === 'PATCH' &&
  call.path === `/channels/${channelId}/messages/${cardId}` &&
  call.files.length > 0;

const noJobsAndNoProviderCall = async (h: Harness) => {
  expect(providerCreates(h)).toHaveLength(0);
  expect(await countJobs(h.bot.store)).toBe(0);
};

describe('Make a video from a message', () => {
  it('opens a form prefilled from the message, makes the video chosen there, and replies to the message with it', async () => {
    harness = await startHarness({ video: { pollsToComplete: 4 } });
    const { discord } = harness;
    const boat = discord.addAttachment(referencePng(), 'boat.png', 'image/png', { width: 64, height: 64 });
    const sea = discord.addAttachment(referencePng(), 'sea.png', 'image/png');
    const target = bobsMessage(harness, {
      content: `a lighthouse for <@${member.id}> and <@&${moderatorRoleId}> in <#${otherChannelId}> <:shipit:${customEmojiId}>`,
      attachments: [boat, sea],
    });
    const { token } = makeVideoOn(harness, target.id);

    const form = await formShown(harness, token);
    // The form is the command's first answer: nothing was deferred before it.
    const answers = discord.calls.filter((c) => c.path.endsWith(`${token}/callback`));
    expect(answers.map((c) => body(c).type)).toEqual([InteractionResponseType.Modal]);
    expect(form.title).toBe('Make a video');
    expect(form.custom_id).toMatch(/^reelbot:make:\d+$/);
    expect(form.components.map((c) => [c.type, c.label, c.component.type])).toEqual([
      [ComponentType.Label, 'Prompt', ComponentType.TextInput],
      [ComponentType.Label, 'Model', ComponentType.StringSelect],
      [ComponentType.Label, 'Duration and size', ComponentType.StringSelect],
      [ComponentType.Label, 'Takes', ComponentType.StringSelect],
      [ComponentType.Label, 'Reference images', ComponentType.FileUpload],
    ]);
    const [promptField, model, durationAndSize, takes, images] = form.components;
    // Mentions and the custom emoji in plain words: nothing in the prompt can ping or render.
    expect(promptField?.component).toMatchObject({
      custom_id: 'prompt',
      value: 'a lighthouse for @alice and @video mods in #channel-1 :shipit:',
      max_length: 1000,
      required: true,
    });
    expect(promptField?.description).toBe("From Bob B.'s message. Edit it as you like.");
    expect(model?.component.options).toEqual([
      { label: 'Veo 3.1 Fast', value: 'veo-3.1-fast-generate-preview', default: true },
      { label: 'Veo 3.1', value: 'veo-3.1-generate-preview', default: false },
    ]);
    // Every duration with every size the veo models make, shortest first; none chosen: the model's defaults.
    const shapes = durationAndSize?.component.options as { label: string; value: string }[] | undefined;
    expect(shapes?.map((o) => o.value)).toEqual(
      ['4', '6', '8'].flatMap((seconds) =>
        ['1280x720', '720x1280', '1920x1080', '1080x1920'].map((size) => `${seconds}:${size}`),
      ),
    );
    expect(shapes?.[1]?.label).toBe('4 s · Portrait · 720×1280');
    expect(durationAndSize?.component).toMatchObject({
      required: false,
      placeholder: "The model's default",
    });
    expect(takes?.description).toBe('How many videos of these settings, each its own reply to the message');
    expect(takes?.component.options).toEqual([
      { label: '1 video', value: '1', default: true },
      { label: '2 takes, side by side', value: '2', default: false },
      { label: '3 takes, side by side', value: '3', default: false },
      { label: '4 takes, side by side', value: '4', default: false },
    ]);
    // The veo models take 3 images and the message carries 2: one more may be uploaded.
    expect(images?.component).toMatchObject({ max_values: 1, required: false });

    const submit = discord.submitModal(token, {
      model: ['veo-3.1-generate-preview'],
      duration_size: ['8:720x1280'],
    });
    // The submit's own answer is private: the card is the bot's reply in the channel.
    const deferred = await discord.waitForCall((c) => c.path.endsWith(`${submit.token}/callback`));
    expect(body(deferred)).toMatchObject({
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: { flags: MessageFlags.Ephemeral },
    });
    const h = harness;
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({
      model: 'veo-3.1-generate-preview',
      prompt: 'a lighthouse for @alice and @video mods in #channel-1 :shipit:',
      seconds: 8,
      size: '720x1280',
      input_reference: [boat.url, sea.url],
    });

    const post = await discord.waitForCall((c) => repliesTo(h, target.id).includes(c));
    expect(body(post)).toMatchObject({
      message_reference: { message_id: target.id, fail_if_not_exists: false },
      allowed_mentions: { parse: [], users: [], replied_user: false },
      enforce_nonce: true,
    });
    expect(embedText(post)).toContain(`From [a message](${messageLinkOf(target.id)}) by Bob B.`);
    // One line says where the job came from, drawn from its row.
    expect(embedText(post).split('From [a message]')).toHaveLength(2);
    const card = cardReplyingTo(harness, target.id);
    const cardId = card?.id ?? '';
    expect(card).toMatchObject({ type: MessageType.Reply, authorId: discord.botUserId });
    // Bob is named, never pinged: not by the reply, not by the mention in the card.
    expect(card?.mentions).toEqual({ users: [], roles: [], everyone: false });

    const pointer = await discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.endsWith(`${submit.token}/messages/@original`),
    );
    expect(body(pointer).content).toBe(
      `Job #1 is on its way, as a reply to the message: ${messageLinkOf(cardId)}`,
    );

    const upload = await discord.waitForCall(isCardUpload(cardId), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(embedText(upload)).toContain('✅ Done');
    expect(embedText(upload)).toContain(`From [a message](${messageLinkOf(target.id)})`);
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
    expect(job).toMatchObject({
      replyMessageId: cardId,
      interactionToken: null,
      referenceImages: [
        { url: boat.url, name: 'boat.png', size: '320x180' },
        { url: sea.url, name: 'sea.png', size: '320x180' },
      ],
      model: 'veo-3.1-generate-preview',
      originKind: 'message',
      originChannelId: channelId,
      originMessageId: target.id,
      originAuthorId: bob.id,
      originAuthorName: 'Bob B.',
      takeCount: 1,
    });
    // The private "thinking…" never showed the job: no edit of it but the pointer.
    const privateEdits = discord.calls.filter((c) => c.method === 'PATCH' && c.path.includes(submit.token));
    expect(privateEdits).toEqual([pointer]);
    expect(repliesTo(h, target.id)).toHaveLength(1);
    expect(discord.messages.get(cardId)?.attachments.map((a) => a.filename)).toEqual([videoFileName(job)]);
  });
});

describe('Make a video: what it refuses, privately, at no cost', () => {
  /** Make a video on `messageId`: the private refusal the command got instead of a form. */
  async function refusedOpening(h: Harness, messageId: string, locale = 'en-US'): Promise<string> {
    const { token } = makeVideoOn(h, messageId, locale);
    const text = await ephemeralReply(h, token);
    expect(h.discord.modalShown(token)).toBeUndefined();
    return text;
  }

  it('a message with no text and no image, in the member’s language', async () => {
    harness = await startHarness();
    const empty = bobsMessage(harness, { content: '' });
    expect(await refusedOpening(harness, empty.id)).toBe(
      'That message has no text and no image to make a video from.',
    );
    // Markup around nothing visible: an empty spoiler.
    const blank = bobsMessage(harness, { content: '||\u200b||' });
    expect(await refusedOpening(harness, blank.id, 'zh-CN')).toBe(
      '这条消息既没有文字也没有图片，无法据此生成视频。',
    );
    await noJobsAndNoProviderCall(harness);
  });

  it.each([
    ['a video', 'clip.mp4', 'video/mp4'],
    ['a PDF', 'brief.pdf', 'application/pdf'],
  ])('a message carrying %s, named in the refusal', async (_kind, name, contentType) => {
    harness = await startHarness();
    const image = harness.discord.addAttachment(referencePng(), 'boat.png', 'image/png');
    const file = harness.discord.addAttachment(Buffer.from('not an image'), name, contentType);
    const message = bobsMessage(harness, { content: 'a boat', attachments: [image, file] });
    expect(await refusedOpening(harness, message.id)).toBe(
      `"${name}" in that message is not an image. Make a video takes the text and the images (PNG, JPEG, WebP or GIF) of a message, not videos, PDFs or other files.`,
    );
    await noJobsAndNoProviderCall(harness);
  });

  it('a channel the bot cannot read, or cannot reply in', async () => {
    harness = await startHarness();
    const message = bobsMessage(harness, { content: 'a boat' });
    harness.discord.setBotPermissions(
      channelId,
      defaultBotPermissions & ~PermissionFlagsBits.ReadMessageHistory,
    );
    expect(await refusedOpening(harness, message.id)).toBe(
      'reelbot cannot read messages in this channel (it needs View Channel and Read Message History here), so it cannot make a video from one.',
    );
    harness.discord.setBotPermissions(channelId, defaultBotPermissions & ~PermissionFlagsBits.EmbedLinks);
    expect(await refusedOpening(harness, message.id, 'zh-TW')).toBe(
      'reelbot 無法在這個頻道回覆（需要在此擁有「傳送訊息」和「嵌入連結」權限）。請聯絡伺服器的管理人員，或使用 /影片。',
    );
    await noJobsAndNoProviderCall(harness);
  });

  it('what /video refuses too: a blocked member, a channel outside the allowed ones, a quota no video fits', async () => {
    harness = await startHarness();
    const message = bobsMessage(harness, { content: 'a boat' });
    await harness.bot.context.moderation.block(guildId, member.id, bob.id, null);
    expect(await refusedOpening(harness, message.id)).toBe(
      'You are not allowed to make videos in this server. Ask a moderator if you think this is a mistake.',
    );
    await harness.bot.context.moderation.unblock(guildId, member.id);
    await harness.bot.store.updateGuildSettings(guildId, { allowedChannelIds: [otherChannelId] });
    expect(await refusedOpening(harness, message.id)).toBe(
      `Videos cannot be made in this channel. Try one of: <#${otherChannelId}>.`,
    );
    await harness.bot.store.updateGuildSettings(guildId, { allowedChannelIds: [], secondsPerDay: 3 });
    expect(await refusedOpening(harness, message.id)).toBe(
      "A video of 4 seconds is longer than this server's whole daily allowance of 3 video seconds. Choose a shorter duration.",
    );
    await noJobsAndNoProviderCall(harness);
  });

  it('a message deleted while the form was open: nothing to reply to', async () => {
    harness = await startHarness();
    const message = bobsMessage(harness, { content: 'a boat' });
    const { token } = makeVideoOn(harness, message.id);
    await formShown(harness, token);
    harness.discord.deleteMessage(message.id);
    const submit = harness.discord.submitModal(token, {});
    expect(await ephemeralReply(harness, submit.token)).toBe(
      'That message was deleted, so there is nothing to reply to. Nothing was made.',
    );
    await noJobsAndNoProviderCall(harness);
  });

  it('a form opened before a restart, and a duration the chosen model cannot make', async () => {
    harness = await startHarness({
      env: {
        VIDEO_MODELS_JSON: JSON.stringify([
          { id: 'short-model', seconds: [4], sizes: ['1280x720'] },
          { id: 'long-model', seconds: [10], sizes: ['1280x720'] },
        ]),
        VIDEO_MODELS: 'short-model,long-model',
        VIDEO_DEFAULT_MODEL: 'short-model',
      },
    });
    const message = bobsMessage(harness, { content: 'a boat' });
    const { token } = makeVideoOn(harness, message.id);
    await formShown(harness, token);
    await harness.restart();
    const late = harness.discord.submitModal(token, {});
    expect(await ephemeralReply(harness, late.token)).toBe(
      'This form has expired (it was opened too long ago, or before reelbot restarted). Use Apps › Make a video on the message again.',
    );
    const again = await submitForm(harness, message.id, {
      model: ['short-model'],
      duration_size: ['10:1280x720'],
    });
    expect(await ephemeralReply(harness, again.token)).toBe(
      'short-model cannot make 10-second videos. Choose one of: 4 seconds.',
    );
    await noJobsAndNoProviderCall(harness);
  });
});

describe('Make a video: more images in the form', () => {
  it('offers an upload where the model takes more images than the message carries, and sends the uploaded one', async () => {
    harness = await startHarness();
    const message = bobsMessage(harness, { content: 'a boat at dawn' });
    const { token } = makeVideoOn(harness, message.id);
    const form = await formShown(harness, token);
    expect(form.components).toHaveLength(5);
    expect(form.components[4]).toMatchObject({
      label: 'Reference images',
      description: 'Pictures to start from (PNG, JPEG, WebP or GIF): up to 3',
      component: {
        type: ComponentType.FileUpload,
        custom_id: 'images',
        min_values: 0,
        max_values: 3,
        required: false,
      },
    });
    const upload = harness.discord.addAttachment(referencePng(), 'dawn.png', 'image/png');
    harness.discord.submitModal(token, { images: [upload] });
    const h = harness;
    const create = await until(() => providerCreates(h)[0]);
    expect(create.json).toMatchObject({ prompt: 'a boat at dawn', input_reference: [upload.url] });
    expect(await until(() => cardReplyingTo(h, message.id))).toBeTruthy();
  });

  it('refuses an uploaded file that is not an image, or that is not one by its bytes', async () => {
    harness = await startHarness();
    const message = bobsMessage(harness, { content: 'a boat' });
    const pdf = harness.discord.addAttachment(Buffer.from('%PDF-1.7'), 'brief.pdf', 'application/pdf');
    const first = await submitForm(harness, message.id, { images: [pdf] });
    expect(await ephemeralReply(harness, first.token)).toBe(
      'The attached file "brief.pdf" is not an image. Attach a PNG, JPEG, WebP or GIF.',
    );
    const fake = harness.discord.addAttachment(Buffer.from('GIF89a no really'), 'cat.png', 'image/png');
    const second = await submitForm(harness, message.id, { images: [fake] });
    expect(await ephemeralReply(harness, second.token)).toBe(
      'Your reference image could not be read (damaged, or not a picture). Nothing was sent to the video provider; try another image.',
    );
    await noJobsAndNoProviderCall(harness);
  });
});

describe('Make a video: registration', () => {
  const makeAVideo = {
    type: ApplicationCommandType.Message,
    name: 'Make a video',
    name_localizations: { 'zh-CN': '生成视频', 'zh-TW': '製作影片' },
    contexts: [0],
  };

  it('registers the message command once at start, beside the slash commands', async () => {
    harness = await startHarness();
    const put = await harness.discord.waitForCall((c) => c.method === 'PUT');
    const registered = put.json as { name: string; type?: number }[];
    expect(registered.filter((command) => command.type === ApplicationCommandType.Message)).toEqual([
      expect.objectContaining(makeAVideo),
    ]);
    expect(registered.map((command) => command.name)).toEqual([
      'video',
      'Make a video',
      'video-history',
      'video-quota',
      'video-admin',
    ]);
    expect(harness.discord.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
  });

  it('npm run register puts it on Discord too (src/register.ts, the composition root of the script)', async () => {
    harness = await startHarness({ env: { DISCORD_REGISTER_ON_START: 'false' } });
    const env = { PATH: process.env.PATH ?? '', ...envForFakes(harness.discord, harness.video, harness.dir) };
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/register.ts'],
      { env, cwd: new URL('../..', import.meta.url).pathname },
    );
    expect(stdout).toBe('Registered 5 command(s) for every server (global: may take a while to appear).\n');
    const puts = harness.discord.calls.filter((c) => c.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.json).toEqual(expect.arrayContaining([expect.objectContaining(makeAVideo)]));
  });
});

describe('Make a video: the card stays the job’s message', () => {
  /** The running job once its card is up (and drawn: other edits may follow). */
  const runningWithCard = (h: Harness) =>
    until(async () => {
      const running = (await h.bot.store.byState(['queued', 'in_progress']))[0];
      return running?.replyMessageId && !running.firstCardPendingUntil ? running : undefined;
    });

  const channelPosts = (h: Harness) =>
    h.discord.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`);

  it('across a restart and past the 15-minute token: the video goes onto the card, and the notice under it', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const message = bobsMessage(h, { content: 'a boat at dusk' });
    await submitForm(h, message.id);
    const job = await runningWithCard(h);
    expect(job.replyMessageId).toBe(cardReplyingTo(h, message.id)?.id);
    await h.restart();
    h.advance(16 * 60_000);
    h.video.completeJob(job.remoteId ?? '');

    const upload = await h.discord.waitForCall(isCardUpload(job.replyMessageId ?? ''), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(embedText(upload)).toContain(`From [a message](${messageLinkOf(message.id)}) by Bob B.`);
    const notice = await h.discord.waitForCall(
      (c) => channelPosts(h).includes(c) && /your video is ready/.test(String(body(c).content)),
    );
    expect(body(notice)).toMatchObject({
      message_reference: { message_id: job.replyMessageId },
      allowed_mentions: { parse: [], users: [member.id] },
    });
    // The card and the notice: no fallback post, no DM.
    expect(channelPosts(h)).toHaveLength(2);
    expect(h.discord.calls.some((c) => c.path === '/users/@me/channels')).toBe(false);
  });

  it('after a crash between Discord accepting the card and the row recording it, edits that card and posts no other', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const message = bobsMessage(h, { content: 'a boat in fog' });
    const held = h.discord.holdNext({
      method: 'POST',
      path: new RegExp(`^/channels/${channelId}/messages$`),
    });
    await submitForm(h, message.id);
    await held.arrived;
    // That a card is being posted in the channel was written before it was sent.
    const peek = await h.database.openStore();
    const before = (await peek.byState(['queued']))[0];
    expect(before).toMatchObject({
      replyMessageId: null,
      fallbackChannelId: channelId,
      interactionToken: null,
    });
    await peek.close();
    // The process dies with the post in flight; Discord goes on to accept it.
    await h.bot.stop(100);
    held.release();
    await until(() => cardReplyingTo(h, message.id));
    await h.restart({ alreadyStopped: true });
    // The first-card hold of the process that died runs out.
    h.advance(31_000);
    h.video.completeJob(before?.remoteId ?? '');

    const card = cardReplyingTo(h, message.id);
    const upload = await h.discord.waitForCall(isCardUpload(card?.id ?? ''), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    const done = await until(async () => {
      const row = await h.bot.store.get(before?.id ?? 0);
      return row?.state === 'delivered' ? row : undefined;
    });
    expect(done).toMatchObject({ replyMessageId: card?.id, fallbackChannelId: null });
    expect(repliesTo(h, message.id)).toHaveLength(1);
    const botMessages = [...h.discord.messages.values()].filter(
      (m) => m.authorId === h.discord.botUserId && m.channelId === channelId && !m.interactionToken,
    );
    // The card, and the notice replying to it (besides the private answers to the form).
    expect(botMessages.map((m) => m.reference?.message_id)).toEqual([message.id, card?.id]);
  });

  it('answers Cancel on the card, which then says canceled and still links the message', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const message = bobsMessage(h, { content: 'a boat in a storm' });
    await submitForm(h, message.id);
    const job = await runningWithCard(h);
    const click = h.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(h, 'cancel', job),
      messageId: job.replyMessageId ?? '',
    });
    const edit = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(click.token) && embedText(c).includes('Canceled'),
    );
    expect(embedText(edit)).toContain(`From [a message](${messageLinkOf(message.id)}) by Bob B.`);
    expect(h.discord.messages.get(job.replyMessageId ?? '')?.embeds).toEqual(body(edit).embeds);
    expect((await h.bot.store.get(job.id))?.state).toBe('canceled');
  });

  it("repeats the card's post with its nonce, so Discord answers a repeat with the first card", async () => {
    harness = await startHarness();
    const h = harness;
    const message = bobsMessage(h, { content: 'a boat' });
    await submitForm(h, message.id);
    const post = await h.discord.waitForCall((c) => repliesTo(h, message.id).includes(c));
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
    expect(body(post).nonce).toBe(cardNonce(job));
    expect(String(body(post).nonce).length).toBeLessThanOrEqual(25);
  });
});

describe('Make a video: several images, takes, and the message the job came from', () => {
  /** A small still picture of one colour, as a member's sketch would be. */
  const picture = (background: string) =>
    sharp({ create: { width: 64, height: 48, channels: 3, background } })
      .png()
      .toBuffer();

  /** The card's text as the fake keeps the message: its embeds' titles, descriptions and footers. */
  const cardText = (h: Harness, messageId: string | null) =>
    embedText({ json: { embeds: h.discord.messages.get(messageId ?? '')?.embeds ?? [] } } as RecordedCall);

  /** The bot's replies to `messageId` in the fake, in the order they were posted. */
  const cardsReplyingTo = (h: Harness, messageId: string) =>
    [...h.discord.messages.values()].filter(
      (m) => m.authorId === h.discord.botUserId && m.reference?.message_id === messageId,
    );

  const deliveredJobs = (h: Harness, count: number) =>
    until(async () => {
      const rows = await h.bot.store.byState(['delivered']);
      return rows.length === count ? rows : undefined;
    }, 15_000);

  it('sends both images of a message to the veo route as fetchable URLs, and its card, the history and the CSV say which message it came from', async () => {
    harness = await startHarness();
    const h = harness;
    const bytes = await Promise.all(['#f00', '#00f'].map(picture));
    const images = bytes.map((data, index) =>
      h.discord.addAttachment(data, `sketch_${index + 1}.png`, 'image/png'),
    );
    const target = bobsMessage(h, { content: 'a red kite over a blue sea', attachments: images });
    const submit = await submitForm(h, target.id);

    const create = await until(() => providerCreates(h)[0]);
    const sent = (create.json as { input_reference?: string[] }).input_reference ?? [];
    expect(sent).toEqual(images.map((image) => image.url));
    // What the gateway fetches: each URL answers the very bytes of the message's image.
    for (const [index, url] of sent.entries()) {
      const answer = await fetch(url);
      expect(answer.status).toBe(200);
      expect(Buffer.from(await answer.arrayBuffer()).equals(bytes[index] ?? Buffer.alloc(0))).toBe(true);
    }

    const [job] = await deliveredJobs(h, 1);
    expect(job).toMatchObject({
      originKind: 'message',
      originChannelId: channelId,
      originMessageId: target.id,
      originAuthorId: bob.id,
      originAuthorName: 'Bob B.',
      referenceImages: images.map((image, index) => ({
        url: image.url,
        name: `sketch_${index + 1}.png`,
        size: '64x48',
      })),
    });
    const line = `From [a message](${messageLinkOf(target.id)}) by Bob B.`;
    const card = cardText(h, job?.replyMessageId ?? null);
    expect(card.split(line)).toHaveLength(2);
    const fields = h.discord.messages.get(job?.replyMessageId ?? '')?.embeds?.[0] as
      | { fields?: { name: string; value: string }[] }
      | undefined;
    expect(fields?.fields?.find((field) => field.name === 'Reference images (2)')?.value).toBe(
      'sketch\\_1.png\nsketch\\_2.png',
    );
    // The private answer links the card, and nothing was left out.
    const pointer = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.endsWith(`${submit.token}/messages/@original`),
    );
    expect(body(pointer).content).toBe(
      `Job #1 is on its way, as a reply to the message: ${messageLinkOf(job?.replyMessageId ?? '')}`,
    );

    const history = await historyReply(h, []);
    expect(history.embeds?.[0]?.description).toContain(`-# ${line} · reference images: 2`);
    const csv = await exportedHistoryCsv(h);
    expect(csv.find((row) => row.startsWith('1,'))).toMatch(
      new RegExp(`,delivered,,Message,,${messageLinkOf(target.id)},,2,message,,,,,,,$`),
    );
  });

  it('makes two takes, each its own reply to the message with its own nonce and video, delivered once each though the bot died between the two replies', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const target = bobsMessage(h, { content: 'two kites racing' });
    // The second take's reply (its card's footer names job #2) is in flight when the process dies.
    const held = h.discord.holdNext({
      method: 'POST',
      path: new RegExp(`^/channels/${channelId}/messages$`),
      json: (json) =>
        (json as { embeds?: { footer?: { text?: string } }[] }).embeds?.[0]?.footer?.text === 'Job #2',
    });
    await submitForm(h, target.id, { takes: ['2'] });
    await held.arrived;
    expect(await h.bot.store.get(2)).toMatchObject({
      takeIndex: 2,
      takeCount: 2,
      replyMessageId: null,
      fallbackChannelId: channelId,
      interactionToken: null,
    });
    await h.bot.stop(100);
    held.release();
    await until(() => cardsReplyingTo(h, target.id).length === 2);
    await h.restart({ alreadyStopped: true });
    // The first-card hold of the process that died runs out.
    h.advance(31_000);
    for (const id of [1, 2]) h.video.completeJob((await h.bot.store.get(id))?.remoteId ?? '');

    const [first, second] = (await deliveredJobs(h, 2)).sort((a, b) => a.id - b.id);
    const cards = cardsReplyingTo(h, target.id);
    expect([first?.replyMessageId, second?.replyMessageId]).toEqual(cards.map((card) => card.id));
    // Two posts, each its own nonce: Discord would answer a repeat of one with its first card.
    const posts = repliesTo(h, target.id);
    expect(posts.map((post) => body(post).nonce)).toEqual(
      [first, second].map((job) => job && cardNonce(job)),
    );
    for (const job of [first, second]) {
      const uploads = h.discord.calls.filter(isCardUpload(job?.replyMessageId ?? ''));
      expect(uploads).toHaveLength(1);
      expect(uploads[0]?.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    }
    expect(cardText(h, first?.replyMessageId ?? null)).toContain('Take 1 of 2');
    expect(cardText(h, first?.replyMessageId ?? null)).toContain(
      `From [a message](${messageLinkOf(target.id)}) by Bob B.`,
    );
    expect(cardText(h, second?.replyMessageId ?? null)).toContain(
      `Take 2 of 2 · first take: [job #1](${messageLinkOf(first?.replyMessageId ?? '')})`,
    );
    // In the channel: the two cards and a notice under each; nothing posted anew, no DM. A notice
    // follows its job's delivered mark, so the last one may still be on its way.
    const postedInChannel = () =>
      h.discord.calls.filter(
        (c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages` && c.status === 200,
      );
    await until(() => postedInChannel().length >= 4);
    const channelPosts = postedInChannel();
    expect(
      channelPosts.map((post) => (body(post).message_reference as { message_id: string }).message_id),
    ).toEqual(expect.arrayContaining([target.id, target.id, first?.replyMessageId, second?.replyMessageId]));
    expect(channelPosts).toHaveLength(4);
    expect(h.discord.calls.some((c) => c.path === '/users/@me/channels')).toBe(false);
  });

  it('links every take’s reply in the private answer', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const h = harness;
    const target = bobsMessage(h, { content: 'three kites' });
    const submit = await submitForm(h, target.id, { takes: ['3'] });
    const pointer = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.endsWith(`${submit.token}/messages/@original`),
    );
    const cards = cardsReplyingTo(h, target.id);
    expect(cards).toHaveLength(3);
    expect(body(pointer).content).toBe(
      cards
        .map(
          (card, index) =>
            `Job #${index + 1} is on its way, as a reply to the message: ${messageLinkOf(card.id)}`,
        )
        .join('\n'),
    );
  });

  it('on a model that takes one image, uses the message’s first and names the others in the private answer', async () => {
    harness = await startHarness({
      env: { VIDEO_MODELS: 'veo-3.1-fast-generate-preview,sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' },
    });
    const h = harness;
    const images = [
      h.discord.addAttachment(referencePng(), 'first.png', 'image/png'),
      h.discord.addAttachment(referencePng(), 'second.png', 'image/png'),
    ];
    const target = bobsMessage(h, { content: 'a kite', attachments: images });
    const { token } = makeVideoOn(h, target.id);
    // The veo model takes three: the form offers one more.
    expect((await formShown(h, token)).components[4]?.component).toMatchObject({ max_values: 1 });
    const submit = h.discord.submitModal(token, { model: ['sora-2'] });
    const create = await until(() => providerCreates(h)[0]);
    // sora-2 takes its one image as a file.
    expect(create.multipart?.fileCounts.input_reference).toBe(1);
    const pointer = await h.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.endsWith(`${submit.token}/messages/@original`),
    );
    expect(String(body(pointer).content).split('\n')[1]).toBe(
      'Images left out (Sora 2 takes 1): second.png.',
    );
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
    expect(job.referenceImages.map((image) => image.name)).toEqual(['first.png']);
  });

  it('refuses, privately and at no cost: a message’s images on a model that takes none, and uploads that do not fit', async () => {
    harness = await startHarness({
      env: {
        VIDEO_MODELS_JSON: JSON.stringify([
          { id: 'text-only', seconds: [5], sizes: ['1280x720'], maxReferenceImages: 0 },
        ]),
        VIDEO_MODELS: 'veo-3.1-fast-generate-preview,sora-2,text-only',
      },
    });
    const h = harness;
    const image = h.discord.addAttachment(referencePng(), 'kite.png', 'image/png');
    const target = bobsMessage(h, { content: 'a kite', attachments: [image] });
    const none = await submitForm(h, target.id, { model: ['text-only'] });
    expect(await ephemeralReply(h, none.token)).toBe(
      'text-only takes no reference images, and that message carries 1. Choose a model that takes images.',
    );
    const upload = h.discord.addAttachment(referencePng(), 'more.png', 'image/png');
    const tooMany = await submitForm(h, target.id, { model: ['sora-2'], images: [upload] });
    expect(await ephemeralReply(h, tooMany.token)).toBe(
      'Too many reference images for Sora 2 (it takes 1 at most): 1 from that message and 1 uploaded. Upload fewer, or choose a model that takes more.',
    );
    const { token } = makeVideoOn(h, target.id, 'zh-TW');
    await formShown(h, token);
    const zh = h.discord.submitModal(token, { model: ['text-only'] });
    expect(await ephemeralReply(h, zh.token)).toBe(
      'text-only 不使用參考圖片，而該訊息附有 1 張圖片。請選擇能使用圖片的模型。',
    );
    // Refused from what Discord said: nothing downloaded, sent or written.
    expect(h.discord.cdnFetches).toEqual([]);
    await noJobsAndNoProviderCall(h);
  });
});
