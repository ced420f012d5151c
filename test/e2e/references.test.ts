// Several reference images end to end: three images reaching the veo route as three fetchable URLs,
// kept for Regenerate, listed on the card and counted in the history; and every refusal (too many
// for the model, a model that takes none, a file that is not an image) private, localised and free.
import { existsSync } from 'node:fs';
import { ApplicationCommandOptionType } from 'discord.js';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { keptReferencePath } from '../../src/jobs/keptFiles.ts';
import type { FakeAttachment } from '../fakes/discord.ts';
import { countJobs } from '../jobs/helpers.ts';
import {
  clickRegenerate,
  ephemeralReply,
  type Harness,
  isUpload,
  prompt,
  providerCreates,
  referencePng,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A small still picture of one colour, as a member's photo would be. */
const picture = (background: string) =>
  sharp({ create: { width: 64, height: 48, channels: 3, background } })
    .png()
    .toBuffer();

const imageOptions = ['image', 'image2', 'image3'];

/** /video with `images` attached as image, image2, image3 (and any other options). */
function commandWithImages(
  h: Harness,
  images: FakeAttachment[],
  options: { locale?: string; extra?: unknown[]; text?: string } = {},
) {
  return h.command({
    locale: options.locale ?? 'en-US',
    options: [
      prompt(options.text ?? 'the same fox, three angles'),
      ...images.map((image, index) => ({
        name: imageOptions[index],
        type: ApplicationCommandOptionType.Attachment,
        value: image.id,
      })),
      ...(options.extra ?? []),
    ],
    resolved: { attachments: Object.fromEntries(images.map((image) => [image.id, image])) },
  });
}

/** /video with three pictures of different colours, once delivered: what was attached, and the job. */
async function deliveredWithThreeImages(h: Harness) {
  const bytes = await Promise.all(['#f00', '#0f0', '#00f'].map(picture));
  const images = bytes.map((data, index) => h.discord.addAttachment(data, `angle-${index}.png`, 'image/png'));
  commandWithImages(h, images);
  const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
  return { bytes, images, job };
}

describe('several reference images', () => {
  it('sends three images to the veo route as three URLs, each fetchable as the bytes attached, and lists them on the card', async () => {
    harness = await startHarness();
    const h = harness;
    const bytes = await Promise.all(['#f00', '#0f0', '#00f'].map(picture));
    const names = ['front.png', 'side_*view*.png', '背面.png'];
    const images = bytes.map((data, index) => h.discord.addAttachment(data, names[index] ?? '', 'image/png'));
    const { token } = commandWithImages(h, images);
    const upload = await h.discord.waitForCall(isUpload(token), 15_000);

    const [create] = providerCreates(h);
    const sent = (create?.json as { input_reference?: string[] } | undefined)?.input_reference ?? [];
    expect(sent).toEqual(images.map((image) => image.url));
    // What the gateway fetches: each URL answers the very bytes the member attached.
    for (const [index, url] of sent.entries()) {
      const answer = await fetch(url);
      expect(answer.status).toBe(200);
      expect(Buffer.from(await answer.arrayBuffer()).equals(bytes[index] ?? Buffer.alloc(0))).toBe(true);
    }
    expect(h.video.jobs.get((await h.bot.store.get(1))?.remoteId ?? '')?.reference).toEqual(sent);

    // The card names every image, as text: the asterisks are the file's, not markdown.
    const fields = (upload.json as { embeds: { fields: { name: string; value: string }[] }[] }).embeds[0]
      ?.fields;
    expect(fields?.find((field) => field.name === 'Reference images (3)')?.value).toBe(
      'front.png\nside\\_\\*view\\*.png\n背面.png',
    );
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);
    expect(job.referenceImages).toEqual(
      images.map((image, index) => ({ url: image.url, name: names[index], size: '64x48' })),
    );
    // Kept for Regenerate, one file per image.
    for (const index of [1, 2, 3]) {
      expect(existsSync(keptReferencePath(`${h.dir}/media`, job, index))).toBe(true);
    }
  });

  it('keeps all three on Regenerate, and the history says how many images a job had', async () => {
    harness = await startHarness();
    const h = harness;
    const { bytes, images, job } = await deliveredWithThreeImages(h);
    // Discord's links die after about a day: Regenerate sends what it kept.
    for (const image of images.slice(1)) h.discord.expireAttachment(image);
    const regen = await clickRegenerate(h, job);
    await h.discord.waitForCall(isUpload(regen.token), 15_000);
    const [, again] = providerCreates(h);
    const urls = (again?.json as { input_reference?: string[] } | undefined)?.input_reference ?? [];
    expect(urls).toHaveLength(3);
    expect(urls[0]).toBe(images[0]?.url);
    // The expired ones go as the kept bytes themselves (no PUBLIC_URL here), in order.
    for (const [index, url] of urls.slice(1).entries()) {
      expect(url).toBe(`data:image/png;base64,${bytes[index + 1]?.toString('base64')}`);
    }
    const made = await until(async () => (await h.bot.store.byState(['delivered']))[1]);
    expect(made.referenceImages.map((image) => image.url)).toEqual(images.map((image) => image.url));

    const list = h.discord.sendCommand({
      guildId: '111111111111111111',
      channelId: '222222222222222222',
      user: { id: job.userId },
      name: 'video-history',
      options: [],
    });
    const answer = await h.discord.waitForCall((c) => c.path.endsWith(`${list.token}/callback`));
    const description = JSON.stringify(answer.json);
    expect(description).toContain('reference images: 3');
  });

  it("sends the bot's own signed link to each kept image on Regenerate when PUBLIC_URL is set, each opening only its image", async () => {
    harness = await startHarness({
      env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' },
    });
    const h = harness;
    const { bytes, images, job } = await deliveredWithThreeImages(h);
    for (const image of images) h.discord.expireAttachment(image);
    const regen = await clickRegenerate(h, job);
    await h.discord.waitForCall(isUpload(regen.token), 15_000);
    const [, again] = providerCreates(h);
    const links = (again?.json as { input_reference?: string[] } | undefined)?.input_reference ?? [];
    const address = h.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const local = (link: string) =>
      link.replace('http://placeholder.invalid', `http://127.0.0.1:${address.port}`);
    expect(links.map((link) => new URL(link).pathname)).toEqual(
      ['reference', 'reference-2', 'reference-3'].map((name) => `/media/${job.id}-${job.mediaKey}/${name}`),
    );
    for (const [index, link] of links.entries()) {
      const served = await fetch(local(link));
      expect(served.status).toBe(200);
      expect(Buffer.from(await served.arrayBuffer()).equals(bytes[index] ?? Buffer.alloc(0))).toBe(true);
    }
    // One image's signature opens no other image of the job.
    const swapped = local(links[1] ?? '').replace('/reference-2', '/reference-3');
    expect((await fetch(swapped)).status).toBe(404);
  });
});

describe('reference images a model cannot take are refused before anything is spent', () => {
  it('refuses a second image for a model that takes one, in the member’s language, with no provider call and no row', async () => {
    harness = await startHarness({ env: { VIDEO_MODELS: 'sora-2', VIDEO_DEFAULT_MODEL: 'sora-2' } });
    const h = harness;
    const images = [
      h.discord.addAttachment(referencePng(), 'a.png', 'image/png'),
      h.discord.addAttachment(referencePng(), 'b.png', 'image/png'),
    ];
    expect(await ephemeralReply(h, commandWithImages(h, images).token)).toBe(
      'You attached 2 reference images; sora-2 takes at most 1. Attach fewer, or choose a model that takes more.',
    );
    expect(await ephemeralReply(h, commandWithImages(h, images, { locale: 'zh-CN' }).token)).toBe(
      '你附上了 2 张参考图，而 sora-2 最多接受 1 张。请少附几张，或选择可接受更多的模型。',
    );
    expect(await ephemeralReply(h, commandWithImages(h, images, { locale: 'zh-TW' }).token)).toBe(
      '你附上了 2 張參考圖片，而 sora-2 最多接受 1 張。請少附幾張，或選擇可接受更多的模型。',
    );
    // Refused from what Discord said of the command: the images were never even downloaded.
    expect(h.discord.cdnFetches).toEqual([]);
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);
  });

  it('refuses any image for a model that takes none', async () => {
    harness = await startHarness({
      env: {
        VIDEO_MODELS_JSON: JSON.stringify([
          { id: 'text-only', seconds: [5], sizes: ['1280x720'], maxReferenceImages: 0 },
        ]),
        VIDEO_DEFAULT_MODEL: 'text-only',
      },
    });
    const h = harness;
    const image = h.discord.addAttachment(referencePng(), 'a.png', 'image/png');
    expect(await ephemeralReply(h, commandWithImages(h, [image]).token)).toBe(
      'text-only takes no reference image. Remove the image, or choose another model.',
    );
    expect(await ephemeralReply(h, commandWithImages(h, [image], { locale: 'zh-TW' }).token)).toBe(
      'text-only 不接受參考圖片。請移除圖片，或選擇其他模型。',
    );
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);
  });

  it('refuses a PDF or a video among the images, whichever option it is in, by what Discord says or by its bytes', async () => {
    harness = await startHarness();
    const h = harness;
    const photo = h.discord.addAttachment(referencePng(), 'photo.png', 'image/png');
    const pdf = h.discord.addAttachment(Buffer.from('%PDF-1.7\n1 0 obj\n'), 'brief.pdf', 'application/pdf');
    expect(await ephemeralReply(h, commandWithImages(h, [photo, pdf]).token)).toBe(
      'The attached file "brief.pdf" is not an image. Attach a PNG, JPEG, WebP or GIF.',
    );
    // Named an image, but a video by its bytes: the download and decoding tell.
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(64)]);
    const disguised = h.discord.addAttachment(mp4, 'clip.png', 'image/png');
    expect(
      await ephemeralReply(h, commandWithImages(h, [photo, photo, disguised], { locale: 'zh-CN' }).token),
    ).toBe('附件“clip.png”不是图片，请附上 PNG、JPEG、WebP 或 GIF 格式的图片。');
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);
  });

  it('refuses more than four takes, whatever the client sent', async () => {
    harness = await startHarness();
    const h = harness;
    const takes = (value: number) => ({ name: 'takes', type: ApplicationCommandOptionType.Integer, value });
    expect(await ephemeralReply(h, commandWithImages(h, [], { extra: [takes(5)] }).token)).toBe(
      'A request makes 1 to 4 takes, not 5.',
    );
    expect(
      await ephemeralReply(h, commandWithImages(h, [], { extra: [takes(9)], locale: 'zh-TW' }).token),
    ).toBe('一次要求可產生 1 到 4 個版本，不能是 9 個。');
    expect(providerCreates(h)).toHaveLength(0);
    expect(await countJobs(h.bot.store)).toBe(0);
  });
});
