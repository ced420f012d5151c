import { afterEach, describe, expect, it } from 'vitest';
import { errorFromResponse } from '../../src/provider/http.ts';
import {
  buildCatalogue,
  createVideoClient,
  longestRequestMs,
  ProviderError,
  readAll,
  tooManyReferencesCode,
  type VideoClient,
} from '../../src/provider/index.ts';
import { normaliseVideo } from '../../src/provider/schemas.ts';
import {
  type GatewayVariant,
  type RecordedRequest,
  type RetiredAnswer,
  sampleMp4,
  startFakeCdn,
  startFakeVideoApi,
} from '../fakes/videoApi.ts';

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

/** A second client for a running fake, recording every backoff wait instead of sleeping. */
function clientFor(
  baseUrl: string,
  options: { timeoutMs?: number; retries?: number; now?: () => number } = {},
): { client: VideoClient; waits: number[] } {
  const waits: number[] = [];
  const client = createVideoClient({
    baseUrl,
    apiKey: 'test-key',
    catalogue,
    timeoutMs: options.timeoutMs ?? 2_000,
    now: options.now,
    http: { sleep: async (ms) => void waits.push(ms), retries: options.retries ?? 3 },
  });
  cleanups.push(() => client.close());
  return { client, waits };
}

const posts = (fake: { requests: RecordedRequest[] }) =>
  fake.requests.filter((request) => request.method === 'POST');

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
    await client.create({ ...veo, references: [{ url: 'https://cdn.example/ref.png' }] });
    expect(fake.requests[0]?.json).toEqual({ ...veo, input_reference: ['https://cdn.example/ref.png'] });
  });

  it('sends up to three veo reference images as one URL array, in order', async () => {
    const { fake, client } = await setup();
    const urls = ['https://cdn.example/a.png', 'https://cdn.example/b.jpg', 'data:image/png;base64,AAAA'];
    const created = await client.create({ ...veo, references: urls.map((url) => ({ url })) });
    expect(fake.requests[0]?.json).toEqual({ ...veo, input_reference: urls });
    expect(fake.jobs.get(created.id)?.reference).toEqual(urls);
  });

  it.each([
    { model: 'sora-2', size: '720x1280', seconds: 8, count: 2, max: 1 },
    { model: 'veo-3.1-fast-generate-preview', size: '1280x720', seconds: 6, count: 4, max: 3 },
  ])(
    'refuses $count reference images for $model (it takes $max) without calling the provider',
    async ({ count, max, ...request }) => {
      const { fake, client } = await setup();
      const references = Array.from({ length: count }, (_, index) => ({
        url: `https://cdn.example/${index}.png`,
        bytes: new Uint8Array([1]),
        contentType: 'image/png',
      }));
      const error = await expectError(client.create({ ...request, prompt: 'p', references }));
      expect(error).toMatchObject({ kind: 'invalid_request', code: tooManyReferencesCode });
      expect(error.message).toBe(`${request.model} takes at most ${max} reference images, not ${count}`);
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('takes the fake gateway at its word: the veo route refuses more than three URLs, or none, or an object', async () => {
    const { fake } = await setup();
    const send = (input_reference: unknown) =>
      fetch(`${fake.url}/videos`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
        body: JSON.stringify({ ...veo, input_reference }),
      });
    const four = ['a', 'b', 'c', 'd'].map((name) => `https://cdn.example/${name}.png`);
    expect((await send(four)).status).toBe(400);
    expect((await send([])).status).toBe(400);
    expect((await send({ image_url: 'https://cdn.example/a.png' })).status).toBe(400);
    expect((await send(['not a url'])).status).toBe(400);
    expect((await send(four.slice(0, 3))).status).toBe(200);
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
      references: [
        { url: 'https://x/ref.png', bytes: square, contentType: 'image/png', fileName: 'ref.png' },
      ],
    });
    const multipart = fake.requests[0]?.multipart;
    expect(multipart?.fields).toMatchObject({ model: 'sora-2', prompt: 'p', seconds: '8', size: '720x1280' });
    const file = multipart?.files.input_reference;
    expect(file?.contentType).toBe('image/png');
    const metadata = await sharp(file?.bytes).metadata();
    expect([metadata.width, metadata.height]).toEqual([720, 1280]);
  });

  it('retries a create answered 429 once, with the same Idempotency-Key, after its Retry-After', async () => {
    const { fake } = await setup();
    const { client, waits } = clientFor(fake.url);
    fake.fail(
      { method: 'POST', path: /^\/v1\/videos$/ },
      { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
    );
    const created = await client.create({ ...veo, idempotencyKey: 'reelbot-1-123' });
    expect(posts(fake).map((request) => request.headers['idempotency-key'])).toEqual([
      'reelbot-1-123',
      'reelbot-1-123',
    ]);
    expect(waits).toHaveLength(1);
    expect([...fake.jobs.keys()]).toEqual([created.id]);
  });

  it('never repeats a create the provider may have accepted: a 500 reaches the caller after one POST', async () => {
    const { fake } = await setup();
    const { client, waits } = clientFor(fake.url);
    fake.fail({ method: 'POST', path: /^\/v1\/videos$/ }, { kind: 'status', status: 500 }, 5);
    const error = await expectError(client.create({ ...veo, idempotencyKey: 'reelbot-2-456' }));
    expect(error).toMatchObject({ kind: 'provider_down', status: 500 });
    expect(posts(fake)).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('never repeats a create or a remix that timed out', async () => {
    const { fake } = await setup({ pollsToComplete: 1 });
    const { client } = clientFor(fake.url, { timeoutMs: 200 });
    const original = await client.create(veo);
    fake.fail({ method: 'POST' }, { kind: 'hang' }, 5);
    expect((await expectError(client.create(veo))).kind).toBe('timeout');
    expect((await expectError(client.remix(original.id, 'again'))).kind).toBe('timeout');
    expect(posts(fake)).toHaveLength(3);
  });

  it('retries a create whose connection was refused, since nothing was sent', async () => {
    const { client, waits } = clientFor('http://127.0.0.1:9/v1', { retries: 2 });
    expect((await expectError(client.create(veo))).kind).toBe('network');
    expect(waits).toHaveLength(2);
  });

  it('sends the same Idempotency-Key again for the same job, and the provider answers the same video', async () => {
    const { fake, client } = await setup();
    const created = await client.create({ ...veo, idempotencyKey: 'reelbot-1-123' });
    const again = await client.create({ ...veo, idempotencyKey: 'reelbot-1-123' });
    expect(again.id).toBe(created.id);
    expect(posts(fake).map((request) => request.headers['idempotency-key'])).toEqual([
      'reelbot-1-123',
      'reelbot-1-123',
    ]);
    expect(fake.jobs.size).toBe(1);
  });

  it('reports a damaged reference image as a bad request, without calling the provider', async () => {
    const { fake, client } = await setup();
    const pngMagic = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const corrupt = Buffer.concat([pngMagic, Buffer.from('definitely not the rest of a PNG file')]);
    const error = await expectError(
      client.create({
        model: 'sora-2',
        prompt: 'p',
        seconds: 8,
        size: '720x1280',
        references: [
          {
            url: 'https://x/ref.png',
            bytes: corrupt,
            contentType: 'image/png',
            fileName: 'ref.png',
          },
        ],
      }),
    );
    expect(error.kind).toBe('invalid_request');
    expect(error.message).toMatch(/reference image/);
    expect(fake.requests).toHaveLength(0);
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

  it('hands a polled 429 straight to the caller with its Retry-After, so polling can pause', async () => {
    const { fake } = await setup();
    const { client, waits } = clientFor(fake.url, { retries: 3 });
    const job = await client.create(veo);
    fake.fail({ method: 'GET' }, { kind: 'status', status: 429, headers: { 'retry-after': '2' } });
    const error = await expectError(client.retrieve(job.id));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2_000 });
    expect(fake.requests.filter((request) => request.method === 'GET')).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('takes no longer to give up on a poll than longestRequestMs says (what the tracker leases a claim for)', async () => {
    const { fake } = await setup();
    const timeoutMs = 100;
    const { client, waits } = clientFor(fake.url, { timeoutMs, retries: 3 });
    const job = await client.create(veo);
    // The slowest answers there are: every try hangs until its timeout, or asks for the longest wait.
    fake.fail({ method: 'GET' }, { kind: 'hang' }, 2);
    fake.fail({ method: 'GET' }, { kind: 'status', status: 503, headers: { 'retry-after': '10' } }, 2);
    await expectError(client.retrieve(job.id));
    expect(fake.requests.filter((request) => request.method === 'GET')).toHaveLength(4);
    expect(waits).toHaveLength(3);
    const spent = 4 * timeoutMs + waits.reduce((sum, wait) => sum + wait, 0);
    expect(spent).toBeLessThanOrEqual(longestRequestMs(timeoutMs));
  });

  it('measures an HTTP-date Retry-After against the injected clock', async () => {
    const { fake } = await setup();
    const now = () => Date.parse('2030-01-01T00:00:00Z');
    const { client } = clientFor(fake.url, { now });
    fake.fail(
      { method: 'GET' },
      { kind: 'status', status: 429, headers: { 'retry-after': 'Tue, 01 Jan 2030 00:01:30 GMT' } },
    );
    expect(await expectError(client.retrieve('video_x'))).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 90_000,
    });
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

describe('a model the provider no longer serves', () => {
  it.each<RetiredAnswer>(['model_not_found', 'fail_to_fetch_task', 'retired_400'])(
    'names a create answered %s as model_unavailable, after one POST and no retry',
    async (answer) => {
      const { fake, client } = await setup();
      fake.retireModel('veo-3.1-fast-generate-preview', answer);
      const error = await expectError(client.create(veo));
      expect(error.kind).toBe('model_unavailable');
      expect(error.transient).toBe(false);
      expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
      // The other model still works.
      expect((await client.create({ ...veo, model: 'sora-2', size: '720x1280', seconds: 4 })).status).toBe(
        'queued',
      );
    },
  );

  it("keeps a poll's 404 an unknown job, whatever its words", async () => {
    const { fake, client } = await setup({}, { retries: 0 });
    expect((await expectError(client.retrieve('video_missing'))).kind).toBe('not_found');
    fake.fail(
      { method: 'GET' },
      {
        kind: 'status',
        status: 404,
        body: { error: { message: 'task is no longer available', code: 'fail_to_fetch_task' } },
      },
    );
    expect((await expectError(client.retrieve('video_gone'))).kind).toBe('not_found');
  });

  const created = (status: number, body: unknown, model: string | null = 'veo-3.1-generate-preview') =>
    errorFromResponse(status, body, {}, 0, { model }).kind;
  const error = (message: string, code: string | null = null) => ({ error: { message, code } });

  it.each([
    [
      404,
      error(
        'The model `veo-3.1-generate-preview` does not exist or you do not have access to it.',
        'model_not_found',
      ),
    ],
    [400, error('whatever the words', 'model_not_available')],
    [404, error('veo-3.1-generate-preview is no longer available', 'fail_to_fetch_task')],
    [400, error('Model veo-3.1-generate-preview has been retired')],
    [400, error('Unknown model: veo-3.1-generate-preview')],
    [400, error('The requested model is not available')],
    [400, error('No such model')],
    [404, error('veo-3.1-generate-preview has been deprecated')],
  ])('reads a create answered %d %j as model_unavailable', (status, body) => {
    expect(created(status, body)).toBe('model_unavailable');
  });

  it.each([
    [400, error('Invalid size 1920x1080: not supported by this model'), 'invalid_request'],
    [400, error('This model does not support input_reference'), 'invalid_request'],
    [400, error('The model is temporarily unavailable, try again later'), 'invalid_request'],
    [404, error('Not found', 'not_found'), 'not_found'],
    [503, error('model_not_found upstream', 'model_not_found'), 'provider_down'],
    [400, error('Your request was blocked by our moderation system.', 'moderation_blocked'), 'moderation'],
  ])('does not read a create answered %d %j as a retired model', (status, body, kind) => {
    expect(created(status, body)).toBe(kind);
  });

  it('reads nothing as a retired model outside a create or remix', () => {
    const answer = error('The model `x` does not exist', 'model_not_found');
    expect(errorFromResponse(404, answer, {}, 0).kind).toBe('not_found');
    expect(errorFromResponse(400, answer, {}, 0).kind).toBe('invalid_request');
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

  it('refuses a video over the byte cap by its Content-Length', async () => {
    const { client } = await setup({ pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    expect((await expectError(client.download(job.id, { maxBytes: 1_000 }))).kind).toBe('too_large');
  });

  it('counts the bytes of a video sent without Content-Length, and fails it as too_large over the cap', async () => {
    const { fake, client } = await setup({ pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    const content = { method: 'GET', path: /\/content$/ };
    fake.fail(content, { kind: 'chunked' });
    const capped = await client.download(job.id, { maxBytes: sampleMp4().length - 1 });
    expect(capped.contentLength).toBeNull();
    expect((await expectError(readAll(capped.stream))).kind).toBe('too_large');

    fake.fail(content, { kind: 'chunked' });
    const whole = await client.download(job.id, { maxBytes: sampleMp4().length });
    expect(whole.contentLength).toBeNull();
    expect((await readAll(whole.stream)).equals(sampleMp4())).toBe(true);
  });

  it('refuses a 200 answer of JSON, HTML or text as bad_content, and takes an octet stream', async () => {
    const { fake, client } = await setup({ pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    const content = { method: 'GET', path: /\/content$/ };
    for (const contentType of [
      'application/json',
      'application/problem+json; charset=utf-8',
      'text/html; charset=utf-8',
      'text/plain',
      'application/xml',
    ]) {
      fake.fail(content, { kind: 'body', contentType, body: '{"error":{"message":"not ready"}}' });
      const error = await expectError(client.download(job.id, { maxBytes: 10_000_000 }));
      expect(error.kind, contentType).toBe('bad_content');
      expect(error.transient, 'the client itself does not repeat it').toBe(false);
    }
    fake.fail(content, { kind: 'body', contentType: 'application/octet-stream', body: sampleMp4() });
    const download = await client.download(job.id, { maxBytes: 10_000_000 });
    expect((await readAll(download.stream)).equals(sampleMp4())).toBe(true);
  });

  it('fails a body that ends short of its Content-Length', async () => {
    const { fake, client } = await setup({ pollsToComplete: 1 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    fake.fail({ method: 'GET', path: /\/content$/ }, { kind: 'truncated', bytes: 1_000 });
    const download = await client.download(job.id, { maxBytes: 10_000_000 });
    expect(download.contentLength).toBe(sampleMp4().length);
    await expectError(readAll(download.stream));
  });

  it('downloads a video that streams for longer than the request timeout while it keeps flowing', async () => {
    const { fake } = await setup({ pollsToComplete: 1 });
    const { client } = clientFor(fake.url, { timeoutMs: 300 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    // Eight chunks 100 ms apart: about 700 ms in all, over twice the 300 ms timeout.
    fake.fail({ method: 'GET', path: /\/content$/ }, { kind: 'slow_body', chunks: 8, gapMs: 100 });
    const download = await client.download(job.id, { maxBytes: 10_000_000 });
    expect((await readAll(download.stream)).equals(sampleMp4())).toBe(true);
  });

  it('fails a download whose body stalls with a typed timeout', async () => {
    const { fake } = await setup({ pollsToComplete: 1 });
    const { client } = clientFor(fake.url, { timeoutMs: 200 });
    const job = await client.create(veo);
    await untilDone(client, job.id);
    fake.fail({ method: 'GET', path: /\/content$/ }, { kind: 'slow_body', chunks: 2, gapMs: 1_000 });
    const download = await client.download(job.id, { maxBytes: 10_000_000 });
    expect((await expectError(readAll(download.stream))).kind).toBe('timeout');
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
