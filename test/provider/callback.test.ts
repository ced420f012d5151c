// The callback URL a gateway takes on each create (VIDEO_WEBHOOK_CALLBACK_FIELD): sent in every
// create, JSON or multipart, and every remix; never sent when not configured.
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalogue, createVideoClient, type VideoClient } from '../../src/provider/index.ts';
import { type FakeVideoApi, startFakeVideoApi } from '../fakes/videoApi.ts';

const catalogue = (() => {
  const built = buildCatalogue({
    enabledIds: ['veo-3.1-fast-generate-preview', 'sora-2'],
    custom: [],
    defaultModelId: 'veo-3.1-fast-generate-preview',
  });
  if (!built.catalogue) throw new Error(built.problems.join());
  return built.catalogue;
})();

let fake: FakeVideoApi | undefined;
let client: VideoClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.close();
});

const callback = { field: 'callback_url', url: 'https://reelbot.example.com/webhooks/video' };

describe('the callback URL on create', () => {
  it('is sent in JSON creates, multipart creates and remixes', async () => {
    fake = await startFakeVideoApi({ apiKey: 'test-key' });
    client = createVideoClient({ baseUrl: fake.url, apiKey: 'test-key', catalogue, callback });
    const created = await client.create({
      model: 'veo-3.1-fast-generate-preview',
      prompt: 'p',
      seconds: 8,
      size: '1280x720',
    });
    const image = await sharp({ create: { width: 720, height: 1280, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    await client.create({
      model: 'sora-2',
      prompt: 'p',
      seconds: 8,
      size: '720x1280',
      references: [{ url: 'https://x/ref.png', bytes: image, contentType: 'image/png', fileName: 'ref.png' }],
    });
    await client.remix(created.id, 'again');
    const [json, multipart, remix] = fake.requests;
    expect((json?.json as Record<string, unknown> | undefined)?.callback_url).toBe(callback.url);
    expect(multipart?.multipart?.fields.callback_url).toBe(callback.url);
    expect((remix?.json as Record<string, unknown> | undefined)?.callback_url).toBe(callback.url);
    expect(fake.jobs.get(created.id)?.callbackUrl).toBe(callback.url);
  });

  it('is not sent when no callback field is configured', async () => {
    fake = await startFakeVideoApi({ apiKey: 'test-key' });
    client = createVideoClient({ baseUrl: fake.url, apiKey: 'test-key', catalogue });
    await client.create({
      model: 'veo-3.1-fast-generate-preview',
      prompt: 'p',
      seconds: 8,
      size: '1280x720',
    });
    expect(Object.keys(fake.requests[0]?.json as Record<string, unknown>)).not.toContain('callback_url');
  });
});
