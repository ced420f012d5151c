import { afterEach, describe, expect, it } from 'vitest';
import {
  buildCatalogue,
  createVideoClient,
  ProviderError,
  readAll,
  type VideoClient,
} from '../../src/provider/index.ts';
import { normaliseVideo } from '../../src/provider/schemas.ts';
import { type GatewayVariant, sampleMp4, startFakeCdn, startFakeVideoApi } from '../fakes/videoApi.ts';

const catalogue = (() => {
  const built = buildCatalogue({
    enabledIds: ['veo-3.1-fast-generate-preview', 'sora-2'],
    custom: [],
    defaultModelId: 'veo-3.1-fast-generate-preview',
  });
  if (!built.catalogue) throw new Error(built.problems.join());
  return built.catalogue;
})();

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Parameters<typeof startFakeVideoApi>[0] = {}, http: { retries?: number } = {}) {
  const fake = await startFakeVideoApi({ apiKey: 'test-key', ...options });
  const client = createVideoClient({
    baseUrl: fake.url,
    apiKey: 'test-key',
    catalogue,
    timeoutMs: 2_000,
    http: { sleep: async () => undefined, retries: http.retries ?? 3 },
  });
  cleanups.push(
    () => fake.close(),
    () => client.close(),
  );
  return { fake, client };
}

async function expectError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

async function untilDone(client: VideoClient, id: string) {
  for (let poll = 0; poll < 20; poll++) {
    const job = await client.retrieve(id);
    if (job.status === 'completed' || job.status === 'failed') return job;
  }
  throw new Error('never finished');
}

const veo = {
  model: 'veo-3.1-fast-generate-preview',
  prompt: 'A cinematic lion at sunset',
  seconds: 6,
  size: '1280x720',
};

describe('video API client, each gateway variant end to end', () => {
  it.each<GatewayVariant>(['official', 'hingnet', 'result_url', 'no_progress'])(
    '%s: create → retrieve until done → download, bytes compared',
    async (variant) => {
      const { fake, client } = await setup({ variant, pollsToComplete: 3 });
      const created = await client.create(veo);
      expect(created).toMatchObject({ status: 'queued', progress: 0, seconds: 6, size: '1280x720' });
      const running = await client.retrieve(created.id);
      expect(running.status).toBe('in_progress');
      // result_url omits the field while running; no_progress sends a 0 that never moves.
      expect(running.reportsProgress).toBe(variant !== 'result_url');
      expect(running.progress).toBe(variant === 'official' || variant === 'hingnet' ? 33 : 0);
      const done = await untilDone(client, created.id);
      expect(done).toMatchObject({ status: 'completed', progress: 100, error: null, seconds: 6 });
      if (variant === 'hingnet' || variant === 'result_url')
        expect(done.videoUrl).toMatch(/\/files\/.+\.mp4\?token=/);
      else expect(done.videoUrl).toBeNull();
      const download = await client.download(created.id, { maxBytes: 10_000_000 });
      expect(download.contentType).toBe('video/mp4');
      expect((await readAll(download.stream)).equals(sampleMp4())).toBe(true);
      if (done.videoUrl) {
        const direct = await client.downloadLink(done.videoUrl, { maxBytes: 10_000_000 });
        expect((await readAll(direct.stream)).equals(sampleMp4())).toBe(true);
        expect(fake.requests.at(-1)?.headers.authorization).toBeUndefined();
      }
    },
  );

  it('sends the veo reference image as a URL array, with seconds as an integer', async () => {
    const { fake, client } = await setup();
    await client.create({ ...veo, reference: { url: 'https://cdn.example/ref.png' } });
    expect(fake.requests[0]?.json).toEqual({ ...veo, input_reference: ['https://cdn.example/ref.png'] });
  });

  it('uploads the sora reference image as a multipart file cropped to the video size', async () => {
    const sharp = (await import('sharp')).default;
    const square = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const { fake, client } = await setup();
    await client.create({
      model: 'sora-2',
      prompt: 'p',
      seconds: 8,
      size: '720x1280',
      reference: { url: 'https://x/ref.png', bytes: square, contentType: 'image/png', fileName: 'ref.png' },
    });
    const multipart = fake.requests[0]?.multipart;
    expect(multipart?.fields).toMatchObject({ model: 'sora-2', prompt: 'p', seconds: '8', size: '720x1280' });
    const file = multipart?.files.input_reference;
    expect(file?.contentType).toBe('image/png');
    const metadata = await sharp(file?.bytes).metadata();
    expect([metadata.width, metadata.height]).toEqual([720, 1280]);
  });

  it('sends an Idempotency-Key with every create, and a retry with the same key is not billed twice', async () => {
    const { fake, client } = await setup();
    fake.fail({ method: 'POST', path: /^\/v1\/videos$/ }, { kind: 'status', status: 503 });
    const created = await client.create({ ...veo, idempotencyKey: 'reelbot-1-123' });
    const posts = fake.requests.filter((request) => request.method === 'POST');
    expect(posts.map((request) => request.headers['idempotency-key'])).toEqual([
      'reelbot-1-123',
      'reelbot-1-123',
    ]);
    expect(fake.jobs.size).toBe(1);
    const again = await client.create({ ...veo, idempotencyKey: 'reelbot-1-123' });
    expect(again.id).toBe(created.id);
    expect(fake.jobs.size).toBe(1);
  });

  it('remixes, lists and deletes', async () => {
    const { fake, client } = await setup();
    const original = await client.create(veo);
    const remix = await client.remix(original.id, 'now at night');
    expect(remix.remixedFromVideoId).toBe(original.id);
    const list = await client.list({ limit: 1 });
    expect(list.videos.map((video) => video.id)).toEqual([original.id]);
    expect(list.hasMore).toBe(true);
    await client.remove(original.id);
    expect(fake.jobs.has(original.id)).toBe(false);
  });
});

describe('video API client errors', () => {
  it('maps a refused key to bad_key', async () => {
    const { fake } = await setup();
    const client = createVideoClient({
      baseUrl: fake.url,
      apiKey: 'wrong',
      catalogue,
      http: { sleep: async () => undefined },
    });
    cleanups.push(() => client.close());
    expect((await expectError(client.create(veo))).kind).toBe('bad_key');
  });

  it('maps a moderation block to moderation, with the provider message', async () => {
    const { client } = await setup();
    const error = await expectError(client.create({ ...veo, prompt: 'something forbidden' }));
    expect(error.kind).toBe('moderation');
    expect(error.message).toContain('moderation system');
  });

  it('maps an invalid request to invalid_request with the provider message', async () => {
    const { client } = await setup();
    const error = await expectError(client.create({ ...veo, prompt: '' }));
    expect(error).toMatchObject({ kind: 'invalid_request', status: 400, message: 'prompt is required' });
  });

  it('maps 429 to rate_limited with Retry-After, and waits it out on GETs when short', async () => {
    const { fake, client } = await setup({}, { retries: 0 });
    const job = await client.create(veo);
    fake.fail({ method: 'GET' }, { kind: 'status', status: 429, headers: { 'retry-after': '120' } });
    const error = await expectError(client.retrieve(job.id));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 120_000 });

    const waits: number[] = [];
    const patient = createVideoClient({
      baseUrl: fake.url,
      apiKey: 'test-key',
      catalogue,
      http: { sleep: async (ms) => void waits.push(ms), retries: 2 },
    });
    cleanups.push(() => patient.close());
    fake.fail({ method: 'GET' }, { kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    expect((await patient.retrieve(job.id)).id).toBe(job.id);
    expect(waits[0]).toBeGreaterThanOrEqual(2_000);
  });

  it('maps 402 and insufficient_quota to quota', async () => {
    const { fake, client } = await setup({}, { retries: 0 });
    fake.fail(
      { method: 'POST' },
      {
        kind: 'status',
        status: 429,
        body: {
          error: {
            message: 'You exceeded your current quota',
            type: 'insufficient_quota',
            code: 'insufficient_quota',
          },
        },
      },
    );
    expect((await expectError(client.create(veo))).kind).toBe('quota');
    fake.fail({ method: 'POST' }, { kind: 'status', status: 402 });
    expect((await expectError(client.create(veo))).kind).toBe('quota');
  });

  it('retries 5xx on GETs with backoff, then reports provider_down', async () => {
    const { fake, client } = await setup({}, { retries: 2 });
    const job = await client.create(veo);
    fake.fail({ method: 'GET' }, { kind: 'status', status: 502 }, 2);
    expect((await client.retrieve(job.id)).id).toBe(job.id);
    fake.fail({ method: 'GET' }, { kind: 'status', status: 500 }, 3);
    expect((await expectError(client.retrieve(job.id))).kind).toBe('provider_down');
  });

  it('times out a hanging request', async () => {
    const { fake } = await setup();
    const client = createVideoClient({
      baseUrl: fake.url,
      apiKey: 'test-key',
      catalogue,
      timeoutMs: 200,
      http: { sleep: async () => undefined, retries: 0 },
    });
    cleanups.push(() => client.close());
    fake.fail({ method: 'GET' }, { kind: 'hang' });
    expect((await expectError(client.retrieve('video_x'))).kind).toBe('timeout');
  });

  it('reports a network error when nothing listens', async () => {
    const client = createVideoClient({
      baseUrl: 'http://127.0.0.1:9/v1',
      apiKey: 'k',
      catalogue,
      http: { sleep: async () => undefined, retries: 0 },
    });
    cleanups.push(() => client.close());
    expect((await expectError(client.retrieve('x'))).kind).toBe('network');
  });

  it('turns malformed JSON into bad_response, never a crash', async () => {
    const { fake, client } = await setup({}, { retries: 0 });
    fake.fail({ method: 'GET' }, { kind: 'malformed' });
    expect((await expectError(client.retrieve('video_x'))).kind).toBe('bad_response');
  });

  it('maps an unknown job to not_found', async () => {
    const { client } = await setup();
    expect((await expectError(client.retrieve('video_missing'))).kind).toBe('not_found');
  });
});

describe('downloads', () => {
  it('follows a redirect to a CDN without sending the API key there', async () => {
    const cdn = await startFakeCdn(sampleMp4());
    cleanups.push(() => cdn.close());
    const { fake, client } = await setup({ redirectContentTo: cdn.origin, pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    const download = await client.download(job.id, { maxBytes: 10_000_000 });
    expect((await readAll(download.stream)).equals(sampleMp4())).toBe(true);
    expect(fake.requests.at(-1)?.headers.authorization).toBe('Bearer test-key');
    expect(cdn.requests).toHaveLength(1);
    expect(cdn.requests[0]?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(cdn.requests[0]?.headers)).not.toContain('test-key');
  });

  it('refuses a video over the byte cap, by Content-Length or by counting', async () => {
    const { client } = await setup({ pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    expect((await expectError(client.download(job.id, { maxBytes: 1_000 }))).kind).toBe('too_large');
  });

  it('serves the thumbnail variant', async () => {
    const { fake, client } = await setup({ pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    const thumbnail = await client.download(job.id, { maxBytes: 1_000_000, variant: 'thumbnail' });
    expect(thumbnail.contentType).toBe('image/webp');
    expect(fake.requests.at(-1)?.query.get('variant')).toBe('thumbnail');
  });
});

describe('normaliseVideo', () => {
  it('reads every spelling the gateways use', () => {
    const base = { id: 'v', object: 'video', created_at: 1 };
    expect(normaliseVideo({ ...base, status: 'processing', progress: '35', seconds: '8' })).toMatchObject({
      status: 'in_progress',
      progress: 35,
      seconds: 8,
      reportsProgress: true,
    });
    expect(
      normaliseVideo({ ...base, status: 'success', result: { video_url: 'https://x/v.mp4' } }),
    ).toMatchObject({
      status: 'completed',
      progress: 100,
      videoUrl: 'https://x/v.mp4',
    });
    expect(normaliseVideo({ ...base, status: 'failed', error: 'upstream exploded' }).error).toEqual({
      code: null,
      message: 'upstream exploded',
    });
    expect(
      normaliseVideo({ ...base, status: 'failed', error: { code: 'moderation_blocked', message: 'no' } })
        .error,
    ).toEqual({
      code: 'moderation_blocked',
      message: 'no',
    });
    expect(normaliseVideo({ ...base, status: 'queued', error: null })).toMatchObject({
      progress: 0,
      reportsProgress: false,
    });
  });

  it('makes an unreadable object a typed error', () => {
    expect(() => normaliseVideo({ status: 'queued' })).toThrow(ProviderError);
    expect(() => normaliseVideo({ id: 'v', status: 'teleporting' })).toThrow(/unknown status/);
    expect(() => normaliseVideo('nope')).toThrow(ProviderError);
  });
});
