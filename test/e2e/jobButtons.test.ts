import { ApplicationCommandOptionType, ChannelType, InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobAction } from '../../src/discord/customIds.ts';
import { countJobs } from '../jobs/helpers.ts';
import {
  body,
  cardMessageId,
  channelId,
  commandWithImage,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  isUpload,
  jobButtonId,
  member,
  moderatorPermissions,
  otherChannelId,
  otherGuildId,
  prompt,
  referencePng,
  startHarness,
  until,
  uploadModelEnv,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const providerCreates = (h: Harness) =>
  h.video.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/videos'));
const jobRows = (h: Harness) => countJobs(h.bot.store);
const delivered = (h: Harness) => until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);

async function click(h: Harness, action: string, jobId: number, input: Record<string, unknown> = {}) {
  return h.discord.sendButton({
    guildId,
    channelId,
    user: member,
    customId: await jobButtonId(h, action as JobAction, jobId),
    messageId: cardMessageId(
      h,
      (await h.bot.store.get(jobId)) ?? { replyMessageId: null, interactionToken: null },
    ),
    ...input,
  });
}

/**
 * Regenerate, Remix and a remix modal already open all answer `refusal`, only to the clicker,
 * with no provider call and no new row.
 */
async function expectEveryPathRefused(h: Harness, jobId: number, refusal: string): Promise<void> {
  const before = { creates: providerCreates(h).length, rows: await jobRows(h) };
  expect(await ephemeralReply(h, (await click(h, 'regen', jobId)).token)).toBe(refusal);
  expect(await ephemeralReply(h, (await click(h, 'remix', jobId)).token)).toBe(refusal);
  // The modal may have been opened before the refusal applied: its submission is checked too.
  const submit = h.discord.sendModalSubmit({
    guildId,
    channelId,
    user: member,
    customId: await jobButtonId(h, 'remix-modal', jobId),
    fields: { prompt: 'the same boat at night' },
  });
  expect(await ephemeralReply(h, submit.token)).toBe(refusal);
  expect(providerCreates(h)).toHaveLength(before.creates);
  expect(await jobRows(h)).toBe(before.rows);
}

const blockedText =
  'You are not allowed to make videos in this server. Ask a moderator if you think this is a mistake.';

describe('only allowed members in allowed channels generate, whatever the path', () => {
  it("refuses a blocked member's Regenerate and Remix (button and modal) with no provider call and no row", async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    harness.command({ options: [prompt('a boat')] });
    const job = await delivered(harness);
    await harness.bot.context.moderation.block(guildId, member.id, '1', 'spam');
    await expectEveryPathRefused(harness, job.id, blockedText);
  });

  it('refuses Regenerate and Remix clicked in a channel that is no longer allowed', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    harness.command({ options: [prompt('a boat')] });
    const job = await delivered(harness);
    await harness.bot.store.updateGuildSettings(guildId, { allowedChannelIds: [otherChannelId] });
    await expectEveryPathRefused(
      harness,
      job.id,
      `Videos cannot be made in this channel. Try one of: <#${otherChannelId}>.`,
    );
  });

  it('accepts /video in a thread whose parent channel is allowed, and refuses one whose parent is not', async () => {
    harness = await startHarness();
    await harness.bot.store.updateGuildSettings(guildId, { allowedChannelIds: [otherChannelId] });
    const h = harness;
    const inThread = (id: string, parentId: string, text: string) =>
      h.command({ channelId: id, channelType: ChannelType.PublicThread, parentId, options: [prompt(text)] });
    // One thread the bot heard of over the gateway, one it must ask Discord about.
    h.discord.createThread({ guildId, id: '222222222222222290', parentId: otherChannelId });
    await until(() => h.bot.client.channels.cache.has('222222222222222290'));
    h.discord.createThread({ guildId, id: '222222222222222292', parentId: otherChannelId, announce: false });
    h.discord.createThread({ guildId, id: '222222222222222291', parentId: channelId });
    await until(() => h.bot.client.channels.cache.has('222222222222222291'));

    for (const [index, id] of ['222222222222222290', '222222222222222292'].entries()) {
      const { token } = inThread(id, otherChannelId, `in thread ${index}`);
      const acknowledged = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
      expect(body(acknowledged).type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
      await until(() => providerCreates(h).length === index + 1);
    }
    const outside = inThread('222222222222222291', channelId, 'elsewhere');
    expect(await ephemeralReply(h, outside.token)).toBe(
      `Videos cannot be made in this channel. Try one of: <#${otherChannelId}>.`,
    );
    expect(providerCreates(h)).toHaveLength(2);
    expect(h.discord.calls.some((c) => c.method === 'GET' && c.path === '/channels/222222222222222292')).toBe(
      true,
    );
  });
});

describe('Remix', () => {
  it('refuses a remix prompt of only invisible characters as empty, with no provider call and no row', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    harness.command({ options: [prompt('a boat')] });
    const job = await delivered(harness);
    const rows = await jobRows(harness);
    const submit = harness.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(harness, 'remix-modal', job.id),
      fields: { prompt: '\u3164\u200b \u2800' },
    });
    expect(await ephemeralReply(harness, submit.token)).toBe(
      'Please describe the video you want: the prompt is empty.',
    );
    expect(harness.video.requests.filter((r) => r.path.endsWith('/remix'))).toHaveLength(0);
    expect(await jobRows(harness)).toBe(rows);
  });
});

describe('Cancel', () => {
  it("is acknowledged at once and still cancels when the provider's DELETE takes longer than Discord waits", async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    harness.command({ options: [prompt('slow')] });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    await until(async () => (await harness?.bot.store.get(job.id))?.replyMessageId);
    harness.video.fail({ method: 'DELETE' }, { kind: 'delay', ms: 4_000 });

    const cancel = await click(harness, 'cancel', job.id);
    const callback = await harness.discord.waitForCall((c) => c.path.endsWith(`${cancel.token}/callback`));
    // Discord answers 404 "Unknown interaction" to a callback later than 3 seconds.
    expect(callback.status).toBe(204);
    expect(body(callback).type).toBe(InteractionResponseType.DeferredMessageUpdate);

    const shown = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && embedText(c).includes('🚫 Canceled'),
      10_000,
    );
    expect(shown.status).toBe(200);
    expect((await harness.bot.store.get(job.id))?.state).toBe('canceled');
    expect(harness.video.requests.some((r) => r.method === 'DELETE')).toBe(true);
  });

  it('leaves no progress state behind in the notifier for jobs canceled by the button', async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    const h = harness;
    for (const text of ['first', 'second']) {
      h.command({ options: [prompt(text)] });
      const job = await until(async () => {
        const running = (await h.bot.store.byState(['queued', 'in_progress']))[0];
        return running?.replyMessageId ? running : undefined;
      });
      // Progress edits have been made for it: the notifier keeps state for the running job.
      await until(async () => (await h.bot.store.get(job.id))?.state === 'in_progress');
      expect(h.bot.context.notifier.watching).toBe(1);
      const cancel = await click(h, 'cancel', job.id);
      await h.discord.waitForCall(
        (c) => c.method === 'PATCH' && c.path.includes(cancel.token) && embedText(c).includes('🚫 Canceled'),
      );
      expect((await h.bot.store.get(job.id))?.state).toBe('canceled');
      expect(h.bot.context.notifier.watching).toBe(0);
    }
  });

  it('keeps no progress state for a job a moderator canceled while its create was still at the provider', async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    const h = harness;
    h.video.fail({ method: 'POST', path: /^\/v1\/videos$/ }, { kind: 'delay', ms: 500 });
    h.command({ options: [prompt('canceled on its way')] });
    const job = await until(async () => (await h.bot.store.byState(['submitting']))[0]);
    h.discord.sendCommand({
      guildId,
      channelId,
      user: { id: '333333333333333335', username: 'mod' },
      memberPermissions: moderatorPermissions,
      name: 'video-admin',
      options: [
        {
          name: 'cancel',
          type: ApplicationCommandOptionType.Subcommand,
          options: [{ name: 'job', type: ApplicationCommandOptionType.Integer, value: job.id }],
        },
      ],
    });
    await until(async () => (await h.bot.store.get(job.id))?.state === 'canceled');
    // The provider's answer arrives after the cancel: the bot withdraws the job there.
    await until(() => h.video.requests.some((r) => r.method === 'DELETE'));
    await until(() => h.bot.context.submissions.size === 0);
    expect(await h.bot.store.get(job.id)).toMatchObject({ state: 'canceled', remoteId: expect.any(String) });
    expect(h.bot.context.notifier.watching).toBe(0);
  });

  it('tells the clicker, only them, when the job had already finished', async () => {
    harness = await startHarness();
    harness.command({ options: [prompt('quick')] });
    const job = await delivered(harness);
    expect(await ephemeralReply(harness, (await click(harness, 'cancel', job.id)).token)).toBe(
      'This job has already finished.',
    );
    expect((await harness.bot.store.get(job.id))?.state).toBe('delivered');
  });
});

describe('Regenerate with a reference image', () => {
  it("submits the same image bytes after Discord's link to it has expired (file upload model)", async () => {
    harness = await startHarness({ env: uploadModelEnv });
    const { image } = commandWithImage(harness, referencePng(), 'lion.png', { prompt: 'a lion' });
    const job = await delivered(harness);
    harness.discord.expireAttachment(image);

    const regen = await click(harness, 'regen', job.id);
    await harness.discord.waitForCall(isUpload(regen.token), 15_000);
    const [first, second] = providerCreates(harness).map((r) => r.multipart?.files.input_reference);
    expect(first?.bytes.equals(referencePng())).toBe(true);
    expect(second?.bytes.equals(referencePng())).toBe(true);
    expect(second?.filename).toBe('lion.png');
  });

  it('sends the kept bytes as a data URL to a model that takes a link, once the link is dead', async () => {
    harness = await startHarness();
    const { image } = commandWithImage(harness, referencePng(), 'lion.png', { prompt: 'a lion' });
    const job = await delivered(harness);
    harness.discord.expireAttachment(image);

    const regen = await click(harness, 'regen', job.id);
    await harness.discord.waitForCall(isUpload(regen.token), 15_000);
    const creates = providerCreates(harness).map((r) => r.json as { input_reference: string[] });
    expect(creates[0]?.input_reference).toEqual([image.url]);
    const [dataUrl] = creates[1]?.input_reference ?? [];
    expect(dataUrl?.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(dataUrl?.split(',')[1] ?? '', 'base64').equals(referencePng())).toBe(true);
    // Regenerating the regenerated job works too: its image was kept as well.
    const second = await until(async () => (await harness?.bot.store.byState(['delivered']))?.[1], 15_000);
    const again = await click(harness, 'regen', second.id);
    await harness.discord.waitForCall(isUpload(again.token), 15_000);
    expect(providerCreates(harness)).toHaveLength(3);
  });

  it("sends the bot's own signed link to the kept image when PUBLIC_URL is set, once Discord's link is dead", async () => {
    harness = await startHarness({
      env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' },
    });
    const { image } = commandWithImage(harness, referencePng(), 'lion.png', { prompt: 'a lion' });
    const job = await delivered(harness);
    harness.discord.expireAttachment(image);

    const regen = await click(harness, 'regen', job.id);
    await harness.discord.waitForCall(isUpload(regen.token), 15_000);
    const creates = providerCreates(harness).map((r) => r.json as { input_reference: string[] });
    const [link] = creates[1]?.input_reference ?? [];
    const path = new RegExp(
      `^http://placeholder\\.invalid(/media/${job.id}-${job.mediaKey}/reference\\?expires=\\d+&sig=[\\w-]+)$`,
    ).exec(link ?? '')?.[1];
    expect(path, `the provider was sent ${link}`).toBeDefined();
    const address = harness.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const served = await fetch(`http://127.0.0.1:${address.port}${path}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(referencePng())).toBe(true);
    // The same signature does not open the job's video, nor another job's image.
    const asVideo = `http://127.0.0.1:${address.port}${path?.replace('/reference', '.mp4')}`;
    expect((await fetch(asVideo)).status).toBe(404);
    const otherJob = `http://127.0.0.1:${address.port}${path?.replace(`/${job.id}-`, `/${job.id + 1}-`)}`;
    expect((await fetch(otherJob)).status).toBe(404);
  });

  it('says plainly that the image is gone when neither the link nor a kept copy exists', async () => {
    harness = await startHarness();
    const { image } = commandWithImage(harness, referencePng(), 'lion.png', { prompt: 'a lion' });
    const job = await delivered(harness);
    harness.discord.expireAttachment(image);
    const { rm } = await import('node:fs/promises');
    await rm(`${harness.dir}/media/reelbot-${job.id}-${job.mediaKey}-reference-1.img`);
    expect(await ephemeralReply(harness, (await click(harness, 'regen', job.id)).token)).toBe(
      'The reference image of this video is no longer available, so it cannot be made again with it. Use /video and attach the image again.',
    );
    expect(providerCreates(harness)).toHaveLength(1);
  });
});

describe('custom ids carry no authority', () => {
  it("refuses a button naming another server's job, revealing nothing about it", async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    harness.discord.sendCommand({
      guildId: otherGuildId,
      channelId: '222222222222222224',
      user: member,
      name: 'video',
      options: [prompt('a secret prompt in guild B')],
    });
    const foreign = await until(
      async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0],
    );
    const creates = providerCreates(harness).length;
    for (const action of ['cancel', 'regen', 'remix']) {
      const attempt = harness.discord.sendButton({
        guildId,
        channelId,
        user: member,
        memberPermissions: moderatorPermissions,
        customId: await jobButtonId(harness, action as JobAction, foreign.id),
        messageId: foreign.replyMessageId ?? '1',
      });
      const text = await ephemeralReply(harness, attempt.token);
      expect(text).toBe('That video job no longer exists.');
    }
    const modal = harness.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      memberPermissions: moderatorPermissions,
      customId: await jobButtonId(harness, 'remix-modal', foreign.id),
      fields: { prompt: 'steal it' },
    });
    expect(await ephemeralReply(harness, modal.token)).toBe('That video job no longer exists.');
    expect((await harness.bot.store.get(foreign.id))?.state).not.toBe('canceled');
    expect(providerCreates(harness)).toHaveLength(creates);
    expect(harness.video.requests.some((r) => r.method === 'DELETE')).toBe(false);
    const answers = harness.discord.calls.filter((c) => c.path.includes('/interactions/'));
    expect(JSON.stringify(answers.map((c) => c.json))).not.toContain('secret prompt');
  });
});

describe('/video autocomplete', () => {
  async function durations(h: Harness, model: string | null, typed = ''): Promise<unknown> {
    const options: unknown[] = [
      { name: 'duration', type: ApplicationCommandOptionType.Integer, value: typed, focused: true },
    ];
    if (model) options.unshift({ name: 'model', type: ApplicationCommandOptionType.String, value: model });
    const { token } = h.discord.sendAutocomplete({
      guildId,
      channelId,
      user: member,
      name: 'video',
      options,
    });
    const call = await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
    return body(call);
  }

  it('offers the durations of the chosen model, of the default one when none is chosen', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'veo-3.1-fast-generate-preview,sora-2' } });
    const seconds = (values: number[]) => ({
      type: InteractionResponseType.ApplicationCommandAutocompleteResult,
      data: { choices: values.map((value) => ({ name: `${value} s`, value })) },
    });
    expect(await durations(harness, 'sora-2')).toEqual(seconds([4, 8, 12]));
    expect(await durations(harness, 'veo-3.1-fast-generate-preview')).toEqual(seconds([4, 6, 8]));
    expect(await durations(harness, null)).toEqual(seconds([4, 6, 8]));
    expect(await durations(harness, 'sora-2', '1')).toEqual(seconds([12]));
  });

  it('names the durations in the member’s language', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const { token } = harness.discord.sendAutocomplete({
      guildId,
      channelId,
      user: member,
      locale: 'zh-CN',
      name: 'video',
      options: [{ name: 'duration', type: ApplicationCommandOptionType.Integer, value: '', focused: true }],
    });
    const call = await harness.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
    expect((body(call).data as { choices: { name: string }[] }).choices.map((c) => c.name)).toEqual([
      '4 秒',
      '8 秒',
      '12 秒',
    ]);
  });
});

describe('a result that reached the member by DM', () => {
  /** The reply cannot be edited and the channel refuses posts: the result goes by DM. */
  function onlyDmWorks(h: Harness, token: string): void {
    h.discord.expireToken(token);
    h.advance(15 * 60_000);
    for (const method of ['PATCH', 'POST']) {
      h.discord.failNext(
        { method, path: new RegExp(`^/channels/${channelId}/messages`) },
        403,
        { message: 'Missing Access', code: 50001 },
        100,
      );
    }
  }
  const dmPosts = (h: Harness) =>
    h.discord.calls.filter(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${h.discord.dmChannelOf(member.id)}/messages` &&
        c.status === 200 &&
        (body(c).embeds as unknown[] | undefined)?.length,
    );
  const buttonsIn = (components: unknown) =>
    JSON.stringify(components ?? []).match(/reelbot:(?:regen|remix|cancel):\d+/g) ?? [];

  it('carries no Regenerate or Remix, and a click on an older DM card that had them says where they work', async () => {
    harness = await startHarness({
      env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' },
      video: { pollsToComplete: 1_000 },
    });
    const h = harness;
    const { token } = h.command({ options: [prompt('a boat, privately')] });
    const job = await until(async () => {
      const running = (await h.bot.store.byState(['queued', 'in_progress']))[0];
      return running?.replyMessageId ? running : undefined;
    });
    onlyDmWorks(h, token);
    h.video.completeJob(job.remoteId ?? '');
    await until(async () => (await h.bot.store.get(job.id))?.state === 'delivered', 15_000);
    const [card] = dmPosts(h);
    expect(card?.files).toHaveLength(1);
    expect(buttonsIn(body(card as NonNullable<typeof card>).components)).toEqual([]);

    // Cards sent by DM before this change carried both buttons; Discord sends their clicks from the DM.
    const before = { creates: providerCreates(h).length, rows: await jobRows(h) };
    const dmMessage = [...h.discord.messages.values()].find(
      (message) => message.channelId === h.discord.dmChannelOf(member.id),
    );
    for (const action of ['regen', 'remix']) {
      const click = h.discord.sendDmButton({
        user: member,
        customId: await jobButtonId(h, action as JobAction, job.id),
        messageId: dmMessage?.id ?? '',
      });
      expect(await ephemeralReply(h, click.token)).toBe(
        'Regenerate and Remix work in the server the video was made in: use them on its message there, or run /video again.',
      );
    }
    // A Traditional Chinese client lists the command as /影片: the reply names it so.
    const inChinese = h.discord.sendDmButton({
      user: member,
      locale: 'zh-TW',
      customId: await jobButtonId(h, 'regen', job.id),
      messageId: dmMessage?.id ?? '',
    });
    expect(await ephemeralReply(h, inChinese.token)).toBe(
      '「重新產生」和「改編」只能在製作這部影片的伺服器中使用：請到那裡點擊影片訊息上的按鈕，或重新使用 /影片。',
    );
    expect(providerCreates(h)).toHaveLength(before.creates);
    expect(await jobRows(h)).toBe(before.rows);
  });

  it('after a crash between the DM and recording it, finds that DM card without buttons and does not send it again', async () => {
    // Too large for the server: a link card, which carries no file to recognise it by.
    harness = await startHarness({ video: { variant: 'hingnet', pollsToComplete: 1_000 } });
    const h = harness;
    const { token } = h.command({ options: [prompt('a link by DM')], attachmentSizeLimit: 50_000 });
    const job = await until(async () => {
      const running = (await h.bot.store.byState(['queued', 'in_progress']))[0];
      return running?.replyMessageId ? running : undefined;
    });
    onlyDmWorks(h, token);
    // The channel post meets the 403 above; the DM (its card and thumbnail) is held in flight.
    const toDm = h.discord.holdNext({ method: 'POST', path: /^\/channels\/\d+\/messages$/, withFiles: true });
    h.video.completeJob(job.remoteId ?? '');
    const dm = await toDm.arrived;
    expect(dm.path).toBe(`/channels/${h.discord.dmChannelOf(member.id)}/messages`);
    // The process dies with the DM in flight; Discord goes on to accept it.
    await h.bot.stop(100);
    toDm.release();
    await until(() => dmPosts(h).length === 1);

    await h.restart({ alreadyStopped: true });
    await until(async () => (await h.bot.store.get(job.id))?.state === 'delivered', 15_000);
    expect(dmPosts(h)).toHaveLength(1);
    expect(buttonsIn(body(dmPosts(h)[0] as NonNullable<ReturnType<typeof dmPosts>[0]>).components)).toEqual(
      [],
    );
  });
});
