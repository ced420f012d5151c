import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { ApplicationCommandOptionType, InteractionResponseType, MessageFlags } from 'discord.js';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { videoFileName } from '../../src/discord/messenger.ts';
import { keptReferencePath } from '../../src/jobs/keptFiles.ts';
import type { RecordedCall } from '../fakes/discord.ts';
import type { GatewayVariant } from '../fakes/videoApi.ts';
import { countJobs } from '../jobs/helpers.ts';
import {
  apiKey,
  body,
  botToken,
  channelId,
  clickRegenerate,
  commandWithImage,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  isUpload,
  jobButtonId,
  member,
  moderatorPermissions,
  otherMember,
  prompt,
  referencePng,
  sampleVideo,
  startHarness,
  until,
  uploadModelEnv,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const isNotice = (call: RecordedCall) =>
  call.method === 'POST' &&
  call.path === `/channels/${channelId}/messages` &&
  /your video/.test(String(body(call).content));
const providerCreates = (h: Harness) =>
  h.video.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos');

const delivered = (h: Harness, index = 0) =>
  until(async () => (await h.bot.store.byState(['delivered']))[index]);
const jobRows = (h: Harness) => countJobs(h.bot.store);

/** The type of the interaction's first response (a message, or a deferral). */
async function acknowledgement(h: Harness, token: string): Promise<unknown> {
  return body(await h.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`))).type;
}

/** Two frames, as an animated GIF or WebP. */
async function animated(format: 'gif' | 'webp'): Promise<Buffer> {
  const frame = (background: string) =>
    sharp({ create: { width: 16, height: 16, channels: 3, background } })
      .png()
      .toBuffer();
  const frames = await Promise.all([frame('#f00'), frame('#00f')]);
  return sharp(frames, { join: { animated: true } })
    [format]()
    .toBuffer();
}

const unreadable =
  'Your reference image could not be read (damaged, or not a picture). Nothing was sent to the video provider; try another image.';

/** Every message the bot sent: JSON bodies of creates and edits. */
function sentMessages(h: Harness): Record<string, unknown>[] {
  return h.discord.calls
    .filter((call) => ['POST', 'PATCH'].includes(call.method) && !call.path.startsWith('/applications'))
    .map((call) => {
      const json = body(call);
      return (
        (call.path.endsWith('/callback') ? (json.data as Record<string, unknown> | undefined) : json) ?? {}
      );
    });
}

describe('/video end to end', () => {
  it('takes a reference image, shows progress, uploads the finished MP4 (bytes compared) and pings the requester', async () => {
    harness = await startHarness({ video: { pollsToComplete: 12 } });
    const { discord, video } = harness;
    const image = discord.addAttachment(referencePng(), 'lion.png', 'image/png');
    const { token } = harness.command({
      options: [
        prompt('A cinematic lion at sunset'),
        { name: 'image', type: ApplicationCommandOptionType.Attachment, value: image.id },
      ],
      resolved: { attachments: { [image.id]: image } },
    });
    const deferred = await discord.waitForCall((call) => call.path.endsWith(`${token}/callback`));
    expect(body(deferred)).toMatchObject({ type: InteractionResponseType.DeferredChannelMessageWithSource });
    const upload = await discord.waitForCall(isUpload(token), 15_000);
    // Acknowledged before the image was downloaded or the provider called.
    const create = providerCreates(harness)[0];
    expect(deferred.at).toBeLessThanOrEqual(create?.at ?? 0);
    expect(create?.json).toMatchObject({
      model: 'veo-3.1-fast-generate-preview',
      prompt: 'A cinematic lion at sunset',
      seconds: 6,
      size: '1280x720',
      input_reference: [image.url],
    });
    expect(video.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(upload.files[0]?.contentType).toBe('video/mp4');
    expect(embedText(upload)).toContain('✅ Done');
    const notice = await discord.waitForCall(isNotice);
    expect(body(notice)).toMatchObject({
      content: `<@${member.id}> your video is ready.`,
      allowed_mentions: { parse: [], users: [member.id] },
    });

    const progressEdits = discord.calls.filter(
      (c) => c.method === 'PATCH' && c.files.length === 0 && c.path.includes(token),
    );
    expect(progressEdits.some((c) => embedText(c).includes('Generating'))).toBe(true);
    const job = await delivered(harness);
    expect(job).toMatchObject({
      state: 'delivered',
      userId: member.id,
      referenceImages: [{ url: image.url, name: 'lion.png', size: '320x180' }],
      charged: true,
    });
    expect(discord.originalMessage(token)?.attachments[0]?.filename).toBe(job && videoFileName(job));
  });

  it.each<GatewayVariant>(['official', 'hingnet', 'result_url', 'no_progress'])(
    'delivers with the %s gateway variant',
    async (variant) => {
      harness = await startHarness({ video: { variant } });
      const { token } = harness.command({ options: [prompt('waves')] });
      const upload = await harness.discord.waitForCall(isUpload(token), 15_000);
      expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    },
  );

  it('refuses a moderated prompt ephemerally, spends no quota and keeps the reason', async () => {
    harness = await startHarness();
    const { token } = harness.command({ options: [prompt('something forbidden')] });
    const text = await ephemeralReply(harness, token);
    expect(text).toBe('The video provider blocked this prompt or image under its content rules.');
    await until(() => harness?.discord.calls.some((c) => c.method === 'DELETE' && c.path.includes(token)));
    const [job] = await harness.bot.store.byState(['failed']);
    expect(job).toMatchObject({ errorKind: 'moderation', charged: false });
  });

  it.each([
    { what: 'a 503', fault: { kind: 'status', status: 503 } as const },
    { what: 'no answer in time', fault: { kind: 'hang' } as const },
  ])(
    'never says "nothing was charged" when a create got $what: it may have started, and it counts toward the quota',
    async ({ fault }) => {
      harness = await startHarness({
        env: { VIDEO_API_TIMEOUT_MS: '1000', QUOTA_JOBS_PER_USER_PER_DAY: '1' },
      });
      const h = harness;
      h.video.fail({ method: 'POST', path: /^\/v1\/videos$/ }, fault);
      const first = h.command({ options: [prompt('a lion')] });
      expect(await ephemeralReply(h, first.token)).toBe(
        'The video provider did not answer clearly, so it may have started this video (and may bill it): it counts toward your quota. Check /video-history before trying again.',
      );
      // Sent once, never repeated: a second create could be billed twice.
      expect(providerCreates(h)).toHaveLength(1);
      const [job] = await until(async () => await h.bot.store.byState(['failed']));
      expect(job).toMatchObject({ errorKind: 'provider_down', charged: true });
      // As the member was told: it counts. With one video a day, the next is refused, and not sent.
      const second = h.command({ options: [prompt('a lion, again')] });
      expect(await ephemeralReply(h, second.token)).toMatch(
        /^You have reached your limit of 1 videos per day/,
      );
      expect(providerCreates(h)).toHaveLength(1);
      expect(JSON.stringify(sentMessages(h))).not.toContain('Nothing was charged');
    },
  );

  it('says it to a zh-CN member with the localised name of /video-history', async () => {
    harness = await startHarness();
    harness.video.fail({ method: 'POST', path: /^\/v1\/videos$/ }, { kind: 'status', status: 502 });
    const { token } = harness.command({ locale: 'zh-CN', options: [prompt('一只狮子')] });
    expect(await ephemeralReply(harness, token)).toBe(
      '视频服务商没有给出明确答复，它可能已经开始制作这个视频（并可能计费）：这次会计入你的额度。再次尝试前，请先查看 /视频记录。',
    );
  });

  it('says plainly that a model the provider no longer serves is not available, spends nothing, and warns the operator once', async () => {
    harness = await startHarness();
    const h = harness;
    h.video.retireModel('veo-3.1-fast-generate-preview', 'fail_to_fetch_task');
    h.video.retireModel('veo-3.1-generate-preview', 'model_not_found');
    const ask = (model?: string) =>
      h.command({
        options: [
          prompt('a lion'),
          ...(model ? [{ name: 'model', type: ApplicationCommandOptionType.String, value: model }] : []),
        ],
      }).token;
    const expected = (model: string) =>
      `The model ${model} is not available at the video provider (it may have been retired). Nothing was charged. A bot admin can offer other models by changing VIDEO_MODELS.`;
    expect(await ephemeralReply(h, ask())).toBe(expected('veo-3.1-fast-generate-preview'));
    expect(await ephemeralReply(h, ask())).toBe(expected('veo-3.1-fast-generate-preview'));
    expect(await ephemeralReply(h, ask('veo-3.1-generate-preview'))).toBe(
      expected('veo-3.1-generate-preview'),
    );
    // One create each, never retried; every row failed and uncharged.
    expect(providerCreates(h)).toHaveLength(3);
    const failed = await until(async () => {
      const rows = await h.bot.store.byState(['failed']);
      return rows.length === 3 ? rows : undefined;
    });
    for (const job of failed) expect(job).toMatchObject({ errorKind: 'model_unavailable', charged: false });
    // Once per model, at warn, naming the model and the setting to change.
    const warnings = h.logs
      .map((line) => JSON.parse(line) as { level: number; model?: string; setting?: string; msg: string })
      .filter((line) => line.level === 40 && line.model);
    expect(warnings.map(({ model, setting }) => ({ model, setting }))).toEqual([
      { model: 'veo-3.1-fast-generate-preview', setting: 'VIDEO_DEFAULT_MODEL' },
      { model: 'veo-3.1-generate-preview', setting: 'VIDEO_MODELS' },
    ]);
    expect(warnings[0]?.msg).toContain('VIDEO_DEFAULT_MODEL');
    expect(warnings[1]?.msg).toContain('remove it from VIDEO_MODELS');
    expect(JSON.stringify(warnings)).not.toContain('a lion');
  });

  it('names a retired model in Chinese to a zh-CN member', async () => {
    harness = await startHarness();
    harness.video.retireModel('veo-3.1-fast-generate-preview', 'retired_400');
    const { token } = harness.command({ locale: 'zh-CN', options: [prompt('一只狗')] });
    expect(await ephemeralReply(harness, token)).toBe(
      '视频服务商不提供模型 veo-3.1-fast-generate-preview（可能已下线），未产生任何费用。部署本机器人的人可以修改 VIDEO_MODELS 来提供其他模型。',
    );
  });

  it('shows a job that the provider fails later in plain words and pings the requester', async () => {
    harness = await startHarness({ video: { pollsToComplete: 50 } });
    const { token } = harness.command({ options: [prompt('a storm')] });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    harness.video.failJob(job.remoteId ?? '', 'moderation_blocked', 'Output flagged by moderation');
    const final = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('Failed'),
    );
    expect(embedText(final)).toContain(
      'The video provider blocked this prompt or image under its content rules.',
    );
    const notice = await harness.discord.waitForCall(isNotice);
    expect(body(notice).content).toBe(`<@${member.id}> your video could not be made.`);
    expect(await harness.bot.store.get(job.id)).toMatchObject({ state: 'failed', charged: false });
  });

  it('refuses a file that is not an image by its content, with no provider call and no row', async () => {
    harness = await startHarness();
    const fake = harness.discord.addAttachment(
      Buffer.from('just text, not a picture'),
      'cat.png',
      'image/png',
    );
    const { token } = harness.command({
      options: [
        prompt('a cat'),
        { name: 'image', type: ApplicationCommandOptionType.Attachment, value: fake.id },
      ],
      resolved: { attachments: { [fake.id]: fake } },
    });
    expect(await ephemeralReply(harness, token)).toBe(
      'The attached file "cat.png" is not an image. Attach a PNG, JPEG, WebP or GIF.',
    );
    expect(await acknowledgement(harness, token)).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(providerCreates(harness)).toHaveLength(0);
    expect(await jobRows(harness)).toBe(0);
  });

  it.each(['sora-2', 'veo-3.1-fast-generate-preview'])(
    'refuses a damaged image (right magic bytes, garbage after) for %s before acknowledging: no provider call, no row',
    async (model) => {
      harness = await startHarness({ env: { VIDEO_MODELS: model, VIDEO_DEFAULT_MODEL: model } });
      const damaged = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        Buffer.from('not the rest of a png'),
      ]);
      const { token } = commandWithImage(harness, damaged, 'broken.png');
      expect(await ephemeralReply(harness, token)).toBe(unreadable);
      expect(await acknowledgement(harness, token)).toBe(InteractionResponseType.ChannelMessageWithSource);
      expect(providerCreates(harness)).toHaveLength(0);
      expect(await jobRows(harness)).toBe(0);
    },
  );

  it('shows a hostile attachment name in a refusal as plain text', async () => {
    harness = await startHarness();
    const fake = harness.discord.addAttachment(
      Buffer.from('not a picture'),
      '# **<@1>** [x](y).png',
      'image/png',
    );
    const { token } = harness.command({
      options: [
        prompt('a cat'),
        { name: 'image', type: ApplicationCommandOptionType.Attachment, value: fake.id },
      ],
      resolved: { attachments: { [fake.id]: fake } },
    });
    expect(await ephemeralReply(harness, token)).toBe(
      'The attached file "\\# \\*\\*<\u200b@\u200b1\\>\\*\\* \\[x\\](y).png" is not an image. Attach a PNG, JPEG, WebP or GIF.',
    );
  });

  it('refuses a prompt of only invisible characters as empty, before acknowledging, with no provider call and no row', async () => {
    harness = await startHarness();
    const { token } = harness.command({ options: [prompt('\u200b\u2060\u3164\u2800 \u200b')] });
    const callback = await harness.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
    expect(body(callback).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(await ephemeralReply(harness, token)).toBe(
      'Please describe the video you want: the prompt is empty.',
    );
    expect(providerCreates(harness)).toHaveLength(0);
    expect(await jobRows(harness)).toBe(0);
  });

  it('refuses a duration the model cannot do before acknowledging, listing the allowed values', async () => {
    harness = await startHarness();
    const { token } = harness.command({
      options: [prompt('a dog'), { name: 'duration', type: ApplicationCommandOptionType.Integer, value: 12 }],
    });
    expect(await ephemeralReply(harness, token)).toBe(
      'veo-3.1-fast-generate-preview cannot make 12-second videos. Choose one of: 4, 6, 8 seconds.',
    );
    expect(providerCreates(harness)).toHaveLength(0);
  });

  it('answers in Chinese to a zh-CN member', async () => {
    harness = await startHarness();
    const { token } = harness.command({
      locale: 'zh-CN',
      options: [
        prompt('一只狗'),
        { name: 'size', type: ApplicationCommandOptionType.String, value: '999x1' },
      ],
    });
    expect(await ephemeralReply(harness, token)).toBe(
      'veo-3.1-fast-generate-preview 无法生成 999x1 尺寸的视频，可选尺寸：1280x720、720x1280、1920x1080、1080x1920。',
    );
  });

  it('answers in Taiwan usage to a zh-TW member, with the locale’s list separator', async () => {
    harness = await startHarness();
    const { token } = harness.command({
      locale: 'zh-TW',
      options: [
        prompt('一隻狗'),
        { name: 'duration', type: ApplicationCommandOptionType.Integer, value: 12 },
      ],
    });
    expect(await ephemeralReply(harness, token)).toBe(
      'veo-3.1-fast-generate-preview 無法產生 12 秒的影片，可選的長度：4、6、8 秒。',
    );
    expect(providerCreates(harness)).toHaveLength(0);
  });

  it('offers only the durations and sizes of the chosen model in autocomplete', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'veo-3.1-fast-generate-preview,sora-2' } });
    const { token } = harness.discord.sendAutocomplete({
      guildId,
      channelId,
      user: member,
      name: 'video',
      options: [
        { name: 'model', type: ApplicationCommandOptionType.String, value: 'sora-2' },
        { name: 'size', type: ApplicationCommandOptionType.String, value: '', focused: true },
      ],
    });
    const call = await harness.discord.waitForCall((c) => c.path.endsWith(`${token}/callback`));
    expect(body(call)).toEqual({
      type: InteractionResponseType.ApplicationCommandAutocompleteResult,
      data: {
        choices: [
          { name: 'Portrait · 720×1280', value: '720x1280' },
          { name: 'Landscape · 1280×720', value: '1280x720' },
        ].sort((a, b) => (a.value === '1280x720' ? -1 : b.value === '1280x720' ? 1 : 0)),
      },
    });
  });

  it('refuses a member over the in-flight quota with when it frees up, leaving no row', async () => {
    harness = await startHarness({ env: { QUOTA_IN_FLIGHT_PER_USER: '1' }, video: { pollsToComplete: 500 } });
    harness.command({ options: [prompt('one')] });
    await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.length === 1);
    const { token } = harness.command({ options: [prompt('two')] });
    expect(await ephemeralReply(harness, token)).toBe(
      'You already have 1 videos in progress. Wait for one to finish, then try again.',
    );
    expect(providerCreates(harness)).toHaveLength(1);
  });

  it('never lets a prompt ping anyone, in any message', async () => {
    // Enough polls for the first card and some progress edits to be drawn before the end.
    harness = await startHarness({ video: { pollsToComplete: 20 } });
    const { token } = harness.command({ options: [prompt('@everyone look <@&123456789012345678> here')] });
    const upload = await harness.discord.waitForCall(isUpload(token), 15_000);
    const notice = await harness.discord.waitForCall(isNotice);
    const withText = sentMessages(harness).filter((message) => 'content' in message || 'embeds' in message);
    // Whatever progress edits the timing allowed, the upload and the notice are always among them.
    expect(withText).toContainEqual(body(upload));
    expect(withText).toContainEqual(body(notice));
    for (const message of withText) {
      // Stated on every message, never left to a default: parse nothing, ping only the requester.
      const allowed = message.allowed_mentions as { parse?: unknown; users?: unknown } | undefined;
      expect(allowed).toBeDefined();
      expect(allowed?.parse).toEqual([]);
      const pingsRequester = String(message.content ?? '').includes(`<@${member.id}>`);
      if (pingsRequester) expect(allowed?.users).toEqual([member.id]);
      else expect(allowed?.users ?? []).toEqual([]);
      expect(JSON.stringify(message)).not.toContain('@everyone');
    }
    expect(withText.some((message) => String(message.content ?? '').includes(`<@${member.id}>`))).toBe(true);
  });

  it('never writes the bot token or the API key to the logs', async () => {
    harness = await startHarness();
    const { token } = harness.command({ options: [prompt('logs')] });
    await harness.discord.waitForCall(isUpload(token), 15_000);
    const logs = harness.logs.join('');
    // The configuration (with both secrets in it) is logged at debug level on start.
    expect(logs).toContain('"msg":"starting with configuration"');
    expect(logs).not.toContain(botToken);
    expect(logs).not.toContain(apiKey);
  });
});

describe('reference images are decoded before anything is spent', () => {
  const fitted = "fitted to the video's 1280×720 (it was 320×180)";

  it('refuses an image whose pixels are cut short (a valid header, truncated data)', async () => {
    harness = await startHarness();
    const png = referencePng();
    const { token } = commandWithImage(harness, png.subarray(0, Math.floor(png.length / 2)), 'cut.png');
    expect(await ephemeralReply(harness, token)).toBe(unreadable);
    expect(providerCreates(harness)).toHaveLength(0);
    expect(await jobRows(harness)).toBe(0);
  });

  it('refuses an image larger than 8,192 pixels on a side, naming its size, in English and Chinese', async () => {
    harness = await startHarness();
    const tall = await sharp({ create: { width: 2, height: 8_193, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(await ephemeralReply(harness, commandWithImage(harness, tall, 'tall.png').token)).toBe(
      'Your reference image is 2×8193 pixels; the longest side may be 8192 pixels. Attach a smaller image.',
    );
    expect(
      await ephemeralReply(harness, commandWithImage(harness, tall, 'tall.png', { locale: 'zh-CN' }).token),
    ).toBe('你的参考图为 2×8193 像素，最长边不能超过 8192 像素，请换一张较小的图片。');
    expect(providerCreates(harness)).toHaveLength(0);
    expect(await jobRows(harness)).toBe(0);
  });

  it.each(['gif', 'webp'] as const)(
    'refuses an animated %s for a model that takes a still',
    async (format) => {
      harness = await startHarness();
      const { token } = commandWithImage(harness, await animated(format), `moving.${format}`);
      expect(await ephemeralReply(harness, token)).toBe(
        'veo-3.1-fast-generate-preview takes a still image, and your reference image is animated (2 frames). Attach a single picture.',
      );
      expect(await acknowledgement(harness, token)).toBe(InteractionResponseType.ChannelMessageWithSource);
      expect(providerCreates(harness)).toHaveLength(0);
      expect(await jobRows(harness)).toBe(0);
    },
  );

  it('takes an animated image for a model described as taking one, and a still GIF for any model', async () => {
    const moving = {
      id: 'anim-1',
      seconds: [5],
      sizes: ['1280x720'],
      referenceShape: 'multipart',
      animatedReference: true,
    };
    harness = await startHarness({
      env: { VIDEO_MODELS_JSON: JSON.stringify([moving]), VIDEO_DEFAULT_MODEL: 'anim-1' },
    });
    const gif = await animated('gif');
    commandWithImage(harness, gif, 'moving.gif');
    await until(() => providerCreates(harness as Harness).length === 1);
    expect(providerCreates(harness)[0]?.multipart?.files.input_reference?.bytes.equals(gif)).toBe(true);
    const still = await sharp(referencePng()).gif().toBuffer();
    commandWithImage(harness, still, 'still.gif');
    await until(() => providerCreates(harness as Harness).length === 2);
    expect(providerCreates(harness)[1]?.multipart?.files.input_reference?.contentType).toBe('image/gif');
  });

  it("sends a valid image's own bytes to a model that takes a file as it is", async () => {
    harness = await startHarness({ env: uploadModelEnv });
    const { token } = commandWithImage(harness, referencePng(), 'lion.png');
    await harness.discord.waitForCall(isUpload(token), 15_000);
    const sent = providerCreates(harness)[0]?.multipart?.files.input_reference;
    expect(sent?.bytes.equals(referencePng())).toBe(true);
    expect(sent?.contentType).toBe('image/png');
    // The model takes any size: the card says nothing of fitting.
    expect(JSON.stringify(harness.discord.originalMessage(token)?.embeds)).not.toContain('fitted');
    expect((await delivered(harness)).referenceImages).toMatchObject([{ name: 'lion.png', size: '320x180' }]);
  });

  it('sends the image fitted to the video size to a model that requires it, the card says so, and Regenerate does the same', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const { token } = commandWithImage(harness, referencePng(), 'lion.png');
    await harness.discord.waitForCall(isUpload(token), 15_000);
    const sent = providerCreates(harness)[0]?.multipart?.files.input_reference;
    expect(await sharp(sent?.bytes).metadata()).toMatchObject({ format: 'png', width: 1280, height: 720 });
    const card = JSON.stringify(harness.discord.originalMessage(token)?.embeds);
    expect(card).toContain(`lion.png\\n${fitted}`);
    const job = await delivered(harness);
    expect(job).toMatchObject({ referenceImages: [{ name: 'lion.png', size: '320x180' }], size: '1280x720' });

    const regen = await clickRegenerate(harness, job);
    await harness.discord.waitForCall(isUpload(regen.token), 15_000);
    const again = providerCreates(harness)[1]?.multipart?.files.input_reference;
    expect(again?.bytes.equals(sent?.bytes ?? Buffer.alloc(0))).toBe(true);
    expect(JSON.stringify(harness.discord.originalMessage(regen.token)?.embeds)).toContain(fitted);
  });

  it('checks an image the CDN is slow to send behind a public acknowledgement, then refuses it ephemerally with no row', async () => {
    harness = await startHarness({ checkBeforeAcknowledgeMs: 50 });
    const { token } = commandWithImage(harness, await animated('gif'), 'moving.gif', { delayMs: 400 });
    // Acknowledged publicly in time, while the image was still on its way.
    expect(await acknowledgement(harness, token)).toBe(
      InteractionResponseType.DeferredChannelMessageWithSource,
    );
    expect(await ephemeralReply(harness, token)).toMatch(
      /^veo-3\.1-fast-generate-preview takes a still image/,
    );
    expect(harness.discord.calls.some((c) => c.method === 'DELETE' && c.path.includes(token))).toBe(true);
    expect(providerCreates(harness)).toHaveLength(0);
    expect(await jobRows(harness)).toBe(0);

    const second = commandWithImage(harness, referencePng(), 'lion.png', { delayMs: 400 });
    expect(await acknowledgement(harness, second.token)).toBe(
      InteractionResponseType.DeferredChannelMessageWithSource,
    );
    await harness.discord.waitForCall(isUpload(second.token), 15_000);
    expect(providerCreates(harness)).toHaveLength(1);
  });

  it('checks the kept image again on Regenerate: a damaged copy is not sent', async () => {
    harness = await startHarness({ env: uploadModelEnv });
    const { image } = commandWithImage(harness, referencePng(), 'lion.png');
    const job = await delivered(harness);
    harness.discord.expireAttachment(image);
    const png = referencePng();
    await writeFile(keptReferencePath(`${harness.dir}/media`, job), png.subarray(0, png.length / 2));
    expect(await ephemeralReply(harness, (await clickRegenerate(harness, job)).token)).toBe(unreadable);
    expect(providerCreates(harness)).toHaveLength(1);
    expect(await jobRows(harness)).toBe(1);
  });
});

describe('buttons', () => {
  it('cancels for the requester, refuses anyone else ephemerally', async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    const { token } = harness.command({ options: [prompt('slow')] });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    const messageId = await until(async () => (await harness?.bot.store.get(job.id))?.replyMessageId);
    const customId = await jobButtonId(harness, 'cancel', job.id);

    const stranger = harness.discord.sendButton({
      guildId,
      channelId,
      user: otherMember,
      customId,
      messageId,
    });
    expect(await ephemeralReply(harness, stranger.token)).toBe(
      'Only the member who asked for this video, or a moderator, can do that.',
    );
    expect((await harness.bot.store.get(job.id))?.state).not.toBe('canceled');

    const owner = harness.discord.sendButton({ guildId, channelId, user: member, customId, messageId });
    const update = await harness.discord.waitForCall((c) => c.path.endsWith(`${owner.token}/callback`));
    // Acknowledged before the provider is asked to delete; the card then shows the cancel.
    expect(body(update).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    await harness.discord.waitForCall((c) => c.method === 'PATCH' && embedText(c).includes('🚫 Canceled'));
    expect(await harness.bot.store.get(job.id)).toMatchObject({ state: 'canceled', nextPollAt: null });
    await until(() => harness?.video.requests.some((r) => r.method === 'DELETE'));
    // The member's own card shows the cancel, with no Cancel button left on it.
    const card = harness.discord.originalMessage(token);
    expect(JSON.stringify(card?.embeds)).toContain('🚫 Canceled');
    expect(JSON.stringify(card?.components)).not.toContain(await jobButtonId(harness, 'cancel', job.id));
  });

  it('lets a moderator cancel anyone', async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    harness.command({ options: [prompt('slow')] });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    const messageId = await until(async () => (await harness?.bot.store.get(job.id))?.replyMessageId);
    const click = harness.discord.sendButton({
      guildId,
      channelId,
      user: otherMember,
      memberPermissions: moderatorPermissions,
      customId: await jobButtonId(harness, 'cancel', job.id),
      messageId,
    });
    await harness.discord.waitForCall((c) => c.path.endsWith(`${click.token}/callback`));
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'canceled');
  });

  it('regenerates with the same settings as a new job', async () => {
    harness = await startHarness();
    const first = harness.command({
      options: [prompt('again'), { name: 'duration', type: ApplicationCommandOptionType.Integer, value: 8 }],
    });
    const job = await delivered(harness);
    // The first video was uploaded into its own reply, once.
    expect(harness.discord.calls.filter(isUpload(first.token))).toHaveLength(1);
    const click = harness.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(harness, 'regen', job.id),
      messageId: job?.replyMessageId ?? '',
    });
    await harness.discord.waitForCall(isUpload(click.token), 15_000);
    const creates = providerCreates(harness).map((r) => r.json);
    expect(creates).toHaveLength(2);
    expect(creates[1]).toEqual(creates[0]);
  });

  it('remixes a finished sora-2 video through a modal and the remix endpoint', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const first = harness.command({ options: [prompt('a boat')] });
    const job = await delivered(harness);
    // The first video was uploaded into its own reply, once.
    expect(harness.discord.calls.filter(isUpload(first.token))).toHaveLength(1);
    const click = harness.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(harness, 'remix', job.id),
      messageId: job?.replyMessageId ?? '',
    });
    const modal = await harness.discord.waitForCall((c) => c.path.endsWith(`${click.token}/callback`));
    expect(body(modal)).toMatchObject({
      type: InteractionResponseType.Modal,
      data: { custom_id: await jobButtonId(harness, 'remix-modal', job?.id) },
    });
    const submit = harness.discord.sendModalSubmit({
      guildId,
      channelId,
      user: member,
      customId: await jobButtonId(harness, 'remix-modal', job?.id),
      fields: { prompt: 'the same boat at night' },
    });
    await harness.discord.waitForCall(isUpload(submit.token), 15_000);
    const remix = harness.video.requests.find((r) => r.path.endsWith('/remix'));
    expect(remix?.path).toBe(`/v1/videos/${job?.remoteId}/remix`);
    expect(remix?.json).toEqual({ prompt: 'the same boat at night' });
    const remixJob = await until(async () =>
      (await harness?.bot.store.byState(['delivered']))?.find((j) => j.remixOfJobId === job.id),
    );
    expect(remixJob.prompt).toBe('the same boat at night');
  });
});

describe('surviving Discord and restarts', () => {
  it('edits through the channel route once the interaction token has expired', async () => {
    harness = await startHarness({ video: { pollsToComplete: 6 } });
    const { token } = harness.command({ options: [prompt('long job')] });
    const job = await until(async () => {
      const queued = (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0];
      return queued?.replyMessageId ? queued : undefined;
    });
    harness.discord.expireToken(token);
    harness.advance(15 * 60_000);
    const upload = await harness.discord.waitForCall(
      (c) =>
        c.method === 'PATCH' &&
        c.path === `/channels/${channelId}/messages/${job.replyMessageId}` &&
        c.files.length > 0,
      15_000,
    );
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'delivered');
  });

  it('posts the result as a new message mentioning the requester when the reply cannot be edited, else DMs', async () => {
    harness = await startHarness({ video: { pollsToComplete: 6 } });
    const { token } = harness.command({ options: [prompt('no access')] });
    const job = await until(async () => {
      const queued = (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0];
      return queued?.replyMessageId ? queued : undefined;
    });
    harness.discord.expireToken(token);
    harness.discord.failNext(
      { method: 'PATCH', path: /^\/channels\// },
      403,
      { message: 'Missing Access', code: 50001 },
      100,
    );
    harness.discord.failNext(
      { method: 'POST', path: /^\/channels\/2+\/messages$/ },
      403,
      { message: 'Missing Access', code: 50001 },
      100,
    );
    const dm = await harness.discord.waitForCall(
      (c) =>
        c.method === 'POST' &&
        /^\/channels\/\d+\/messages$/.test(c.path) &&
        c.status === 200 &&
        c.files.length > 0,
      15_000,
    );
    expect(dm.path).not.toBe(`/channels/${channelId}/messages`);
    expect(dm.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(harness.discord.calls.some((c) => c.path === '/users/@me/channels')).toBe(true);
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'delivered');
  });

  it('says the video is on its way, never "nothing was charged", when the first card fails after the job was created, and still delivers it once', async () => {
    harness = await startHarness({ env: uploadModelEnv });
    // Discord answers 5xx to the first edit of the reply, past discord.js's own three retries.
    harness.discord.failNext(
      { method: 'PATCH', path: /\/messages\/@original$/ },
      502,
      { message: 'Bad Gateway', code: 0 },
      4,
    );
    const { token, image } = commandWithImage(harness, referencePng(), 'lion.png');
    const told = await harness.discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/webhooks/${harness?.discord.applicationId}/${token}`,
    );
    const job = await until(
      async () => (await harness?.bot.store.byState(['queued', 'in_progress', 'delivered']))?.[0],
    );
    expect(body(told)).toMatchObject({
      content: `Your video (job #${job.id}) is on its way: the provider is making it, but Discord did not let this message be updated. The result will appear here, or in a new message in this channel, when it is ready. No need to ask again: that would be a second video.`,
      flags: MessageFlags.Ephemeral,
    });
    const firstEdits = harness.discord.calls.filter((c) => c.method === 'PATCH' && c.path.includes(token));
    expect(firstEdits.slice(0, 4).map((c) => c.status)).toEqual([502, 502, 502, 502]);
    expect(JSON.stringify(sentMessages(harness))).not.toContain('Nothing was charged');

    const done = await delivered(harness);
    expect(done).toMatchObject({ id: job.id, charged: true });
    await harness.discord.waitForCall(isNotice);
    expect(harness.discord.calls.filter(isUpload(token))).toHaveLength(1);
    expect(harness.discord.originalMessage(token)?.attachments[0]?.filename).toBe(videoFileName(job));
    expect(providerCreates(harness)).toHaveLength(1);

    // The reference image was kept although the card failed: Regenerate sends it once Discord's link is dead.
    harness.discord.expireAttachment(image);
    const regen = await clickRegenerate(harness, done);
    await harness.discord.waitForCall(isUpload(regen.token), 15_000);
    const sent = providerCreates(harness).map((r) => r.multipart?.files.input_reference?.bytes);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.equals(referencePng())).toBe(true);
  });

  it('finishes a job after a restart mid-job, delivering it exactly once', async () => {
    harness = await startHarness({ video: { pollsToComplete: 8 } });
    const { token } = harness.command({ options: [prompt('restart me')] });
    const job = await until(async () => (await harness?.bot.store.byState(['in_progress']))?.[0]);
    await harness.restart();
    await harness.discord.waitForCall(isUpload(token), 15_000);
    await harness.discord.waitForCall(isNotice);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(harness.discord.calls.filter(isUpload(token))).toHaveLength(1);
    expect(providerCreates(harness)).toHaveLength(1);
    expect((await harness.bot.store.get(job.id))?.state).toBe('delivered');
  });

  it('after a crash between the upload and marking it delivered, does not upload again', async () => {
    harness = await startHarness();
    const { token } = harness.command({ options: [prompt('exactly once')] });
    const job = await delivered(harness);
    await harness.discord.waitForCall(isNotice);
    // As if the process died right after Discord accepted the upload.
    await harness.database.run("UPDATE jobs SET state = 'delivering', delivered_at = NULL WHERE id = ?", [
      job.id,
    ]);
    await harness.restart();
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'delivered');
    expect(harness.discord.calls.filter(isUpload(token))).toHaveLength(1);
  });

  it('after a crash between marking delivering and the upload, uploads exactly once', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const { token } = harness.command({ options: [prompt('interrupted upload')] });
    const job = await until(async () => {
      const running = (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0];
      return running?.replyMessageId ? running : undefined;
    });
    await harness.bot.stop();
    harness.video.completeJob(job.remoteId ?? '');
    // The row says an upload began; Discord's message has no video yet.
    // The stopped bot's store is closed: written straight to the database.
    await harness.database.run(
      "UPDATE jobs SET state = 'delivering', progress = 100, next_poll_at = NULL, video_expires_at = ? WHERE id = ?",
      [Date.now() + 3_600_000, job.id],
    );
    await harness.restart({ alreadyStopped: true });
    await harness.discord.waitForCall(isUpload(token), 15_000);
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'delivered');
    expect(harness.discord.calls.filter(isUpload(token))).toHaveLength(1);
  });

  it('posts a thumbnail and a link when the video is larger than the server allows', async () => {
    harness = await startHarness({ video: { variant: 'hingnet' } });
    const { token } = harness.command({ attachmentSizeLimit: 50_000, options: [prompt('big')] });
    const final = await harness.discord.waitForCall(
      (c) =>
        c.method === 'PATCH' &&
        c.path.includes(token) &&
        embedText(c).includes("over this server's upload limit"),
      15_000,
    );
    expect(embedText(final)).toContain("The video is 106 KB, over this server's upload limit of 49 KB.");
    expect(final.files.map((f) => f.contentType)).toEqual(['image/webp']);
    expect(embedText(final)).toMatch(
      /\[Watch or download the video\]\(http:\/\/127\.0\.0\.1:\d+\/files\/video_/,
    );
    const job = await delivered(harness);
    expect(job.mediaBytes).toBe(sampleVideo().length);
    expect(body(await harness.discord.waitForCall(isNotice)).content).toBe(
      `<@${member.id}> your video is ready.`,
    );
  });
});

describe('delivering exactly once, whatever Discord does', () => {
  const channelPosts = (h: Harness) =>
    h.discord.calls.filter(
      (c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages` && c.files.length > 0,
    );

  /** A running job whose interaction token has died and whose reply the bot may no longer edit. */
  async function replyNotEditable(h: Harness, token: string) {
    const job = await until(async () => {
      const running = (await h.bot.store.byState(['queued', 'in_progress']))[0];
      return running?.replyMessageId ? running : undefined;
    });
    h.discord.expireToken(token);
    h.advance(15 * 60_000);
    h.discord.failNext(
      { method: 'PATCH', path: new RegExp(`^/channels/${channelId}/messages/${job.replyMessageId}$`) },
      403,
      { message: 'Missing Permissions', code: 50013 },
      100,
    );
    return job;
  }

  it('posts the result as a new channel message that mentions only the requester when the reply cannot be edited', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const { token } = harness.command({ options: [prompt('uneditable reply')] });
    const job = await replyNotEditable(harness, token);
    harness.video.completeJob(job.remoteId ?? '');
    const post = await harness.discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages` && c.files.length > 0,
      15_000,
    );
    expect(post.status).toBe(200);
    expect(post.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(String(body(post).content)).toMatch(new RegExp(`^<@${member.id}>`));
    expect(body(post).allowed_mentions).toEqual({ parse: [], users: [member.id] });
    expect(embedText(post)).toContain('✅ Done');
    const done = await until(async () => {
      const row = await harness?.bot.store.get(job.id);
      return row?.state === 'delivered' ? row : undefined;
    });
    // The new message is now the job's message; no DM was needed.
    const posted = [...harness.discord.messages.values()].find((m) => m.attachments.length > 0);
    expect(done).toMatchObject({ replyMessageId: posted?.id, fallbackChannelId: null });
    expect(harness.discord.calls.some((c) => c.path === '/users/@me/channels')).toBe(false);
  });

  it('after a crash between posting the fallback message and recording it, finds the post and does not post again', async () => {
    harness = await startHarness({ video: { pollsToComplete: 1_000 } });
    const { token } = harness.command({ options: [prompt('crash after posting')] });
    const job = await replyNotEditable(harness, token);
    const held = harness.discord.holdNext({
      method: 'POST',
      path: new RegExp(`^/channels/${channelId}/messages$`),
      withFiles: true,
    });
    harness.video.completeJob(job.remoteId ?? '');
    await held.arrived;
    // Where the post goes was written before it was sent.
    const peek = await harness.database.openStore();
    expect(await peek.get(job.id)).toMatchObject({ state: 'delivering', fallbackChannelId: channelId });
    await peek.close();
    // The process dies with the post in flight; Discord goes on to accept it.
    await harness.bot.stop(100);
    held.release();
    await harness.discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages` && c.files.length > 0,
    );
    const afterCrash = await harness.database.openStore();
    expect(await afterCrash.get(job.id)).toMatchObject({
      state: 'delivering',
      replyMessageId: job.replyMessageId,
    });
    await afterCrash.close();

    await harness.restart({ alreadyStopped: true });
    const done = await until(async () => {
      const row = await harness?.bot.store.get(job.id);
      return row?.state === 'delivered' ? row : undefined;
    }, 15_000);
    await harness.discord.waitForCall(isNotice);
    expect(channelPosts(harness)).toHaveLength(1);
    expect(harness.discord.calls.some((c) => c.path === '/users/@me/channels')).toBe(false);
    // It looked among the channel's recent messages, and adopted the post as the job's message.
    expect(
      harness.discord.calls.some((c) => c.method === 'GET' && c.path === `/channels/${channelId}/messages`),
    ).toBe(true);
    const posted = [...harness.discord.messages.values()].filter((m) => m.attachments.length > 0);
    expect(posted).toHaveLength(1);
    expect(done.replyMessageId).toBe(posted[0]?.id);
  });

  it('after a crash mid-upload, waits while Discord cannot say whether the upload landed, then does not upload again', async () => {
    harness = await startHarness();
    const { token } = harness.command({ options: [prompt('unsure')] });
    const job = await delivered(harness);
    await harness.discord.waitForCall(isNotice);
    // As if the process died right after Discord accepted the upload.
    await harness.database.run("UPDATE jobs SET state = 'delivering', delivered_at = NULL WHERE id = ?", [
      job.id,
    ]);
    // Reading the message back fails with 5xx (discord.js retries 3 times itself), twice over.
    harness.discord.failNext(
      { method: 'GET', path: /\/messages\/@original$/ },
      502,
      { message: 'Bad Gateway', code: 0 },
      8,
    );
    await harness.restart();
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'delivered', 15_000);
    const reads = harness.discord.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/@original'));
    expect(reads.filter((c) => c.status === 502)).toHaveLength(8);
    expect(reads.some((c) => c.status === 200)).toBe(true);
    expect(harness.discord.calls.filter(isUpload(token))).toHaveLength(1);
  });

  it('tries an upload that met a Discord 5xx again, as an upload, one delivery attempt each', async () => {
    harness = await startHarness();
    harness.discord.failNext(
      { method: 'PATCH', withFiles: true },
      500,
      { message: 'Internal Server Error', code: 0 },
      2,
    );
    const { token } = harness.command({ options: [prompt('flaky upload')] });
    const job = await delivered(harness);
    const uploads = harness.discord.calls.filter(isUpload(token));
    // Not repeated at once inside discord.js: each try is a delivery attempt, after its backoff.
    expect(uploads.map((c) => c.status)).toEqual([500, 500, 200]);
    expect(harness.discord.originalMessage(token)?.attachments[0]?.filename).toBe(videoFileName(job));
    expect(job.deliveryAttempts).toBe(3);
  });

  it('lands an upload edit that Discord rate-limited, after its Retry-After', async () => {
    harness = await startHarness();
    harness.discord.rateLimitNext({ method: 'PATCH', withFiles: true }, 0.2);
    const { token } = harness.command({ options: [prompt('rate limited')] });
    await delivered(harness);
    const uploads = harness.discord.calls.filter(isUpload(token));
    expect(uploads.map((c) => c.status)).toEqual([429, 200]);
    expect(uploads[0]?.files[0]?.bytes.equals(sampleVideo())).toBe(true);
  });

  it('falls back to a link when Discord refuses the upload as too large (413, 40005)', async () => {
    harness = await startHarness({ video: { variant: 'hingnet', pollsToComplete: 1_000 } });
    const { token } = harness.command({ options: [prompt('boost lost')] });
    const job = await until(async () => (await harness?.bot.store.byState(['queued', 'in_progress']))?.[0]);
    // The server lost its boost after the command: its limit is now below the video's size.
    harness.discord.setUploadLimit(channelId, 50_000);
    harness.video.completeJob(job.remoteId ?? '');
    const refused = await harness.discord.waitForCall(isUpload(token), 15_000);
    expect(refused.status).toBe(413);
    const linked = await harness.discord.waitForCall(
      (c) =>
        c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('Discord refused the upload'),
    );
    expect(linked.status).toBe(200);
    expect(embedText(linked)).toMatch(
      /\[Watch or download the video\]\(http:\/\/127\.0\.0\.1:\d+\/files\/video_/,
    );
    expect(await delivered(harness)).toMatchObject({ id: job.id });
    // Refused as too large: not tried again as an upload.
    expect(
      harness.discord.calls.filter(
        (c) => isUpload(token)(c) && c.files.some((f) => f.contentType === 'video/mp4'),
      ),
    ).toHaveLength(1);
  });

  it('does not mark a job delivered, or say it is ready, until Discord accepted the link', async () => {
    harness = await startHarness({ video: { variant: 'hingnet' } });
    // The link edit (with its thumbnail, so it goes out as an upload) fails with a 5xx.
    harness.discord.failNext({ method: 'PATCH', withFiles: true }, 503, {
      message: 'Service Unavailable',
      code: 0,
    });
    const { token } = harness.command({ attachmentSizeLimit: 50_000, options: [prompt('link later')] });
    const job = await until(async () => (await harness?.bot.store.byState(['delivering']))?.[0], 15_000);
    const failed = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && c.files.length > 0 && c.status === 503,
    );
    expect(embedText(failed)).toContain('Watch or download the video');
    const landed = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && c.files.length > 0 && c.status === 200,
    );
    const notice = await harness.discord.waitForCall(isNotice);
    expect(notice.at).toBeGreaterThanOrEqual(landed.at);
    expect(await harness.bot.store.get(job.id)).toMatchObject({ state: 'delivered', deliveryAttempts: 2 });
    expect(JSON.stringify(harness.discord.originalMessage(token)?.embeds)).toContain(
      'Watch or download the video',
    );
  });

  it('keeps a video too large for the server with no link: delivered, thumbnail, and what an admin can do', async () => {
    // The official contract gives no video_url, and PUBLIC_URL is unset: no link exists.
    harness = await startHarness();
    expect(harness.logs.join('')).toContain('PUBLIC_URL is not set: videos over a server');
    const { token } = harness.command({ attachmentSizeLimit: 50_000, options: [prompt('too big')] });
    const job = await delivered(harness);
    const card = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('✅ Done'),
    );
    expect(embedText(card)).toContain("The video is 106 KB, over this server's upload limit of 49 KB.");
    expect(embedText(card)).toContain(
      'An admin of the bot can set PUBLIC_URL (with HTTP_PORT) to get download links.',
    );
    expect(card.files.map((f) => f.contentType)).toEqual(['image/webp']);
    expect(job).toMatchObject({ state: 'delivered', mediaBytes: sampleVideo().length });
    expect(existsSync(job.mediaPath ?? '')).toBe(true);
    expect(body(await harness.discord.waitForCall(isNotice)).content).toBe(
      `<@${member.id}> your video is ready, but it is too large to post in this server.`,
    );
  });

  it('after a crash between showing the too-large card and marking it delivered, says "too large" again, once', async () => {
    harness = await startHarness();
    const { token } = harness.command({
      attachmentSizeLimit: 50_000,
      options: [prompt('too big, then a crash')],
    });
    const job = await delivered(harness);
    await harness.discord.waitForCall(isNotice);
    // As if the process died right after Discord accepted the card, before the row said delivered.
    await harness.database.run("UPDATE jobs SET state = 'delivering', delivered_at = NULL WHERE id = ?", [
      job.id,
    ]);
    const cardsBefore = harness.discord.calls.filter(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('✅ Done'),
    ).length;
    await harness.restart();
    await until(async () => (await harness?.bot.store.get(job.id))?.state === 'delivered');
    const notices = await until(() => {
      const sent = harness?.discord.calls.filter(isNotice) ?? [];
      return sent.length === 2 ? sent : undefined;
    });
    expect(body(notices[1] as RecordedCall).content).toBe(
      `<@${member.id}> your video is ready, but it is too large to post in this server.`,
    );
    const cardsAfter = harness.discord.calls.filter(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('✅ Done'),
    ).length;
    expect(cardsAfter).toBe(cardsBefore);
  });

  it('links the provider copy of a video larger than the bot downloads (MAX_VIDEO_BYTES)', async () => {
    harness = await startHarness({ video: { variant: 'hingnet' }, env: { MAX_VIDEO_BYTES: '50000' } });
    const { token } = harness.command({ options: [prompt('huge')] });
    const job = await delivered(harness);
    const card = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('✅ Done'),
    );
    expect(embedText(card)).toContain('larger than this bot is set to download');
    expect(embedText(card)).toMatch(/\]\(http:\/\/127\.0\.0\.1:\d+\/files\/video_/);
    expect(job.mediaPath).toBeNull();
  });
});
