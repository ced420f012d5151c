// A fake OpenAI-compatible video API: a real HTTP server on 127.0.0.1 that speaks each gateway
// variant, advances jobs per poll (or by time), serves a real MP4, and injects faults on demand.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';

export type GatewayVariant = 'official' | 'hingnet' | 'result_url' | 'no_progress';

export interface FakeVideoApiOptions {
  variant?: GatewayVariant;
  apiKey?: string;
  /** Polls of GET /videos/{id} until a job completes; progress advances linearly per poll. */
  pollsToComplete?: number;
  now?: () => number;
  /** When set, jobs complete by time instead of by poll count. */
  completeAfterMs?: number;
  video?: Buffer;
  /** Each job's own video instead of `video` (a test that must tell one job's delivery from another's). */
  videoOf?: (job: FakeJob) => Buffer;
  thumbnail?: Buffer;
  /** When set, /content answers 302 to `${redirectContentTo}/cdn/{id}.mp4`. */
  redirectContentTo?: string;
  /** A gateway that never says when a finished video's content expires (no `expires_at`). */
  omitExpiresAt?: boolean;
  /** Sends signed webhooks (Standard Webhooks) when a job finishes. */
  webhooks?: FakeWebhookOptions;
  /** Called with each job it creates before the create is answered (an event that outruns the answer). */
  beforeCreateAnswer?: (job: FakeJob) => Promise<void> | void;
}

/** How the fake signals the end of a job, as OpenAI (configured per project) or a gateway (per create) does. */
export interface FakeWebhookOptions {
  /** The signing secret, `whsec_…`. */
  secret: string;
  /** Where every event goes (settable later: `api.webhooks.url`); unset, the create's callback URL. */
  url?: string;
  /** The create's field that carries a callback URL (OpenRouter: `callback_url`). */
  callbackField?: string;
  /** Event types: OpenAI's `video.completed` / `video.failed` by default. */
  names?: { completed: string; failed: string };
  /** Events to lose: they are recorded as lost and never sent. */
  lose?: (job: FakeJob) => boolean;
}

/** One webhook the fake sent (or lost), with what the receiver answered. */
export interface SentWebhook {
  webhookId: string;
  type: string;
  videoId: string;
  lost: boolean;
  /** The receiver's answer; null when lost or unreachable. */
  status: number | null;
  answer: string;
  url: string | null;
  body: string;
  headers: Record<string, string>;
}

/** A signed event as a Standard Webhooks sender makes it: `{id, type, created_at, data: {id}}` and its three headers. */
export function signedWebhook(
  secret: string,
  event: { type: string; videoId: string; webhookId?: string; timestamp?: Date; body?: string },
): { body: string; headers: Record<string, string>; webhookId: string } {
  const webhookId = event.webhookId ?? `msg_${randomUUID()}`;
  const timestamp = event.timestamp ?? new Date();
  const body =
    event.body ??
    JSON.stringify({
      id: `evt_${randomBytes(8).toString('hex')}`,
      object: 'event',
      type: event.type,
      created_at: Math.floor(timestamp.getTime() / 1000),
      data: { id: event.videoId },
    });
  return {
    body,
    webhookId,
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(webhookId, timestamp, body),
    },
  };
}

/** Posts a signed event to `url`; the receiver's status and body. */
export async function postWebhook(
  url: string,
  signed: { body: string; headers: Record<string, string> },
): Promise<{ status: number; answer: string }> {
  const response = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
  return { status: response.status, answer: await response.text() };
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  contentType: string;
  json?: unknown;
  multipart?: {
    fields: Record<string, string>;
    /** The last file of each name; `fileCounts` says how many came under it. */
    files: Record<string, { filename: string; contentType: string; bytes: Buffer }>;
    fileCounts: Record<string, number>;
  };
  raw: Buffer;
  /** When the request arrived (ms). */
  at: number;
  /** The label of the URL the client was given (`urlFor(label)`): which of several bots sent it. */
  client?: string;
}

export type Fault =
  /** An error answer, after `afterMs` when given (a provider that is slow and then fails). */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; afterMs?: number }
  | { kind: 'malformed' }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  /** A file body (video, thumbnail) sent in `chunks` pieces `gapMs` apart, with Content-Length. */
  | { kind: 'slow_body'; chunks: number; gapMs: number }
  /** A file body sent chunked, without Content-Length, so only counting can cap it. */
  | { kind: 'chunked' }
  /** A file body cut off after `bytes` (default: half), its Content-Length still the whole file's. */
  | { kind: 'truncated'; bytes?: number }
  /** 200 with this body and type instead of the file: gateways answer /content with JSON errors or HTML pages. */
  | { kind: 'body'; contentType: string; body: string | Buffer };

/** A request held by `hold()` until its release, then answered as `then` says. */
interface HeldRequest {
  kind: 'held';
  arrived: (request: RecordedRequest) => void;
  released: Promise<void>;
  then?: Fault;
}

type BodyFault = Extract<Fault, { kind: 'slow_body' | 'chunked' | 'truncated' }>;
const isBodyFault = (fault: Fault | undefined): fault is BodyFault =>
  fault?.kind === 'slow_body' || fault?.kind === 'chunked' || fault?.kind === 'truncated';

export interface FaultMatch {
  method?: string;
  path?: RegExp;
  query?: RegExp;
}

/**
 * How a gateway answers a create for a model it no longer routes, as seen in the wild:
 * OpenAI's 404 `model_not_found`; a gateway's 404 `fail_to_fetch_task` "… is no longer
 * available"; a 400 with no code that says the model was retired.
 */
export type RetiredAnswer = 'model_not_found' | 'fail_to_fetch_task' | 'retired_400';

function retiredAnswer(model: string, answer: RetiredAnswer): { status: number; body: unknown } {
  switch (answer) {
    case 'model_not_found':
      return {
        status: 404,
        body: openAiError(
          `The model \`${model}\` does not exist or you do not have access to it.`,
          'model_not_found',
        ),
      };
    case 'fail_to_fetch_task':
      return {
        status: 404,
        body: openAiError(`${model} is no longer available`, 'fail_to_fetch_task', 'upstream_error'),
      };
    case 'retired_400':
      return {
        status: 400,
        body: openAiError(`Model ${model} has been retired. Use a released model id instead.`, null),
      };
  }
}

export interface FakeJob {
  id: string;
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  polls: number;
  createdAtMs: number;
  status: string;
  reference: unknown;
  remixedFrom?: string;
  failure?: { code: string; message: string };
  forceComplete?: boolean;
  /** The callback URL its create carried (in `webhooks.callbackField`). */
  callbackUrl?: string;
  /** Its end was signalled (or lost) already. */
  announced?: boolean;
}

export interface FakeVideoApi {
  url: string;
  origin: string;
  /**
   * The same API at a URL of its own for one client: its requests are recorded with `client: label`
   * (and its path without the label), so a test running several bots can tell whose a request is.
   */
  urlFor(label: string): string;
  requests: RecordedRequest[];
  variant: GatewayVariant;
  /** `query` is tested against the query string (empty for a plain /content, `variant=thumbnail`…). */
  fail(match: FaultMatch, fault: Fault, times?: number): void;
  /**
   * Holds the next matching request until `release()`, then answers it as `then` says (or as
   * usual): a provider slow for exactly as long as the test needs, whatever the machine's load.
   * `arrived` resolves when the request has reached the fake.
   */
  hold(match: FaultMatch, then?: Fault): { arrived: Promise<RecordedRequest>; release: () => void };
  failJob(id: string, code: string, message: string): void;
  /** From now on, creates for `model` are answered as a gateway answers for a retired model. */
  retireModel(model: string, answer?: RetiredAnswer): void;
  completeJob(id: string): void;
  jobs: Map<string, FakeJob>;
  /** The webhooks sent or lost so far, and where they go (`url` may be set once the receiver listens). */
  webhooks: {
    url?: string;
    lose?: (job: FakeJob) => boolean;
    sent: SentWebhook[];
    /** Every send in flight has been answered. */
    settled(): Promise<void>;
  };
  /** Requests received and not yet answered, now and at most so far (a client's concurrency). */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

const assets = join(import.meta.dirname, '../../assets');
export const sampleMp4 = (): Buffer => readFileSync(join(assets, 'sample.mp4'));
export const sampleThumbnail = (): Buffer => readFileSync(join(assets, 'sample-thumbnail.webp'));

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `/client/{label}/…`: a request through `urlFor(label)`. */
const clientPrefix = /^\/client\/([\w-]+)(\/.*)$/;

/** The gateway's veo route takes `input_reference` as 1 to 3 image URLs (the seed's `string[]`). */
export const maxUrlReferences = 3;

const isImageUrl = (value: unknown) => typeof value === 'string' && /^(https?:\/\/|data:image\/)/.test(value);

/**
 * What the gateway answers a create whose `input_reference` its route cannot take, as the seed
 * describes them: the veo route an array of 1-3 image URLs; the official contract one file
 * (multipart) or one object (`{image_url}` or `{file_id}`), never an array. Null when it is fine.
 */
function referenceRefusal(model: string, recorded: RecordedRequest): string | null {
  if (recorded.multipart) {
    const files = recorded.multipart.fileCounts.input_reference ?? 0;
    return files > 1 ? `input_reference takes a single file, not ${files}` : null;
  }
  const reference = (recorded.json as { input_reference?: unknown } | undefined)?.input_reference;
  if (reference === undefined) return null;
  const veoRoute = model.startsWith('veo');
  if (Array.isArray(reference)) {
    if (!veoRoute) return "Invalid type for 'input_reference': expected an object, but got an array instead.";
    if (reference.length < 1 || reference.length > maxUrlReferences) {
      return `input_reference takes 1 to ${maxUrlReferences} image URLs, not ${reference.length}`;
    }
    return reference.every(isImageUrl) ? null : 'input_reference must be an array of image URLs';
  }
  if (veoRoute) return "Invalid type for 'input_reference': expected an array of image URLs.";
  const object = reference as { image_url?: unknown; file_id?: unknown } | null;
  return object && (isImageUrl(object.image_url) || typeof object.file_id === 'string')
    ? null
    : "Invalid 'input_reference': expected {image_url} or {file_id}.";
}

async function record(request: IncomingMessage): Promise<RecordedRequest> {
  const url = new URL(request.url ?? '/', 'http://fake');
  const raw = await readBody(request);
  const contentType = request.headers['content-type'] ?? '';
  const labelled = clientPrefix.exec(url.pathname);
  const recorded: RecordedRequest = {
    method: request.method ?? 'GET',
    path: labelled?.[2] ?? url.pathname,
    ...(labelled ? { client: labelled[1] } : {}),
    query: url.searchParams,
    headers: request.headers,
    contentType,
    raw,
    at: Date.now(),
  };
  if (contentType.startsWith('application/json') && raw.length > 0) {
    try {
      recorded.json = JSON.parse(raw.toString('utf8'));
    } catch {
      recorded.json = undefined;
    }
  } else if (contentType.startsWith('multipart/form-data')) {
    // The platform's own multipart parser, through a Request.
    const form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw,
    }).formData();
    const fields: Record<string, string> = {};
    const files: Record<string, { filename: string; contentType: string; bytes: Buffer }> = {};
    const fileCounts: Record<string, number> = {};
    for (const [name, value] of form) {
      if (typeof value === 'string') fields[name] = value;
      else {
        files[name] = {
          filename: value.name,
          contentType: value.type,
          bytes: Buffer.from(await value.arrayBuffer()),
        };
        fileCounts[name] = (fileCounts[name] ?? 0) + 1;
      }
    }
    recorded.multipart = { fields, files, fileCounts };
  }
  return recorded;
}

/** Sends a file as it is, or as a body fault asks. */
async function sendFile(
  response: ServerResponse,
  contentType: string,
  bytes: Buffer,
  fault: BodyFault | undefined,
): Promise<void> {
  if (!fault) {
    response.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
    response.end(bytes);
    return;
  }
  if (fault.kind === 'truncated') {
    response.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
    response.write(bytes.subarray(0, fault.bytes ?? Math.floor(bytes.length / 2)));
    // What a connection that dies mid-file looks like: fewer bytes than announced, then the end.
    setTimeout(() => response.socket?.end(), 20);
    return;
  }
  const chunks = fault.kind === 'slow_body' ? fault.chunks : 4;
  const gapMs = fault.kind === 'slow_body' ? fault.gapMs : 0;
  response.writeHead(
    200,
    fault.kind === 'slow_body'
      ? { 'content-type': contentType, 'content-length': bytes.length }
      : { 'content-type': contentType, 'transfer-encoding': 'chunked' },
  );
  const size = Math.ceil(bytes.length / chunks);
  for (let start = 0; start < bytes.length; start += size) {
    if (start > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    if (response.destroyed) return;
    response.write(bytes.subarray(start, start + size));
  }
  response.end();
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

const openAiError = (message: string, code: string | null, type = 'invalid_request_error') => ({
  error: { message, type, code },
});

export function startFakeCdn(
  video: Buffer,
): Promise<{ origin: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    void record(request).then((recorded) => {
      requests.push(recorded);
      if (/^\/cdn\/[\w-]+\.mp4$/.test(recorded.path)) {
        response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
        response.end(video);
      } else {
        send(response, 404, { error: 'not found' });
      }
    });
  });
  return listen(server).then((origin) => ({ origin, requests, close: () => closeServer(server) }));
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startFakeVideoApi(options: FakeVideoApiOptions = {}): Promise<FakeVideoApi> {
  const now = options.now ?? Date.now;
  const apiKey = options.apiKey ?? 'test-key';
  const pollsToComplete = options.pollsToComplete ?? 3;
  const video = options.video ?? sampleMp4();
  const videoOf = (job: FakeJob) => options.videoOf?.(job) ?? video;
  const thumbnail = options.thumbnail ?? sampleThumbnail();
  const jobs = new Map<string, FakeJob>();
  const requests: RecordedRequest[] = [];
  const faults: { match: FaultMatch; fault: Fault | HeldRequest; times: number }[] = [];
  const byIdempotencyKey = new Map<string, string>();
  const retired = new Map<string, RetiredAnswer>();
  const fileTokens = new Map<string, string>();
  const hanging = new Set<ServerResponse>();
  /** Releases of held requests: closing the fake lets them go, so a failed test ends at once. */
  const holds = new Set<() => void>();
  let counter = 0;
  let origin = '';
  const webhookOptions = options.webhooks;
  const endTimers = new Set<NodeJS.Timeout>();
  const sending = new Set<Promise<void>>();

  const api: FakeVideoApi = {
    url: '',
    origin: '',
    urlFor: (label) => `${origin}/client/${label}/v1`,
    requests,
    variant: options.variant ?? 'official',
    jobs,
    webhooks: {
      url: webhookOptions?.url,
      lose: webhookOptions?.lose,
      sent: [],
      settled: async () => {
        await Promise.all([...sending]);
      },
    },
    inFlight: 0,
    maxInFlight: 0,
    fail(match, fault, times = 1) {
      faults.push({ match, fault, times });
    },
    hold(match, then) {
      let arrived: (request: RecordedRequest) => void = () => {};
      let release = () => {};
      const arrival = new Promise<RecordedRequest>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.add(release);
      faults.push({ match, fault: { kind: 'held', arrived, released, then }, times: 1 });
      return { arrived: arrival, release };
    },
    failJob(id, code, message) {
      const job = jobs.get(id);
      if (!job) return;
      job.failure = { code, message };
      announce(job);
    },
    retireModel(model, answer = 'model_not_found') {
      retired.set(model, answer);
    },
    completeJob(id) {
      const job = jobs.get(id);
      if (!job) return;
      job.forceComplete = true;
      job.status = 'running';
      announce(job);
    },
    close: async () => {
      for (const timer of endTimers) clearTimeout(timer);
      for (const release of holds) release();
      for (const response of hanging) response.destroy();
      await closeServer(server);
    },
  };

  /** Signals a job's end once, as the provider's webhook would: sent, or lost when `lose` says so. */
  function announce(job: FakeJob): void {
    if (!webhookOptions || job.announced) return;
    job.announced = true;
    const names = webhookOptions.names ?? { completed: 'video.completed', failed: 'video.failed' };
    const type = job.failure ? names.failed : names.completed;
    const signed = signedWebhook(webhookOptions.secret, { type, videoId: job.id });
    const url = api.webhooks.url ?? job.callbackUrl ?? null;
    const sent: SentWebhook = {
      webhookId: signed.webhookId,
      type,
      videoId: job.id,
      lost: Boolean(api.webhooks.lose?.(job)),
      status: null,
      answer: '',
      url,
      body: signed.body,
      headers: signed.headers,
    };
    api.webhooks.sent.push(sent);
    if (sent.lost || !url) return;
    const delivery = postWebhook(url, signed)
      .then(({ status, answer }) => {
        sent.status = status;
        sent.answer = answer;
      })
      .catch(() => undefined)
      .finally(() => sending.delete(delivery));
    sending.add(delivery);
  }

  function progressOf(job: FakeJob): number {
    if (job.forceComplete) return 100;
    if (options.completeAfterMs !== undefined)
      return Math.min(100, Math.floor(((now() - job.createdAtMs) / options.completeAfterMs) * 100));
    return Math.min(100, Math.floor((job.polls / pollsToComplete) * 100));
  }

  /** The video object as the current variant spells it. */
  function view(job: FakeJob) {
    const variant = api.variant;
    const progress = progressOf(job);
    const done = !job.failure && progress >= 100 && job.status !== 'queued';
    const running = variant === 'hingnet' ? 'processing' : 'in_progress';
    const status = job.failure
      ? 'failed'
      : done
        ? variant === 'hingnet'
          ? 'success'
          : 'completed'
        : job.status === 'queued'
          ? 'queued'
          : running;
    const created = Math.floor(job.createdAtMs / 1000);
    const object: Record<string, unknown> = {
      id: job.id,
      object: 'video',
      created_at: created,
      status,
      model: job.model,
      prompt: job.prompt,
      seconds: variant === 'official' ? String(job.seconds) : job.seconds,
      size: job.size,
      remixed_from_video_id: job.remixedFrom ?? null,
      unknown_extra_field: { tolerated: true },
    };
    if (variant === 'no_progress') object.progress = done ? 100 : 0;
    else if (variant !== 'result_url' || done) object.progress = done ? 100 : progress;
    if (job.failure) {
      object.error =
        variant === 'hingnet'
          ? job.failure.message
          : { code: job.failure.code, message: job.failure.message };
    } else {
      object.error = null;
    }
    if (done) {
      object.completed_at = created + 60;
      if (!options.omitExpiresAt) object.expires_at = created + 3600;
      let token = fileTokens.get(job.id);
      if (!token) {
        token = randomBytes(8).toString('hex');
        fileTokens.set(job.id, token);
      }
      const link = `${origin}/files/${job.id}.mp4?token=${token}`;
      if (variant === 'hingnet') object.video_url = link;
      if (variant === 'result_url') object.result = { video_url: link };
    }
    return object;
  }

  function createJob(input: {
    model: string;
    prompt: string;
    seconds: number;
    size: string;
    reference: unknown;
    remixedFrom?: string;
  }): FakeJob {
    const job: FakeJob = {
      ...input,
      id: `video_${++counter}${randomBytes(6).toString('hex')}`,
      polls: 0,
      createdAtMs: now(),
      status: 'queued',
    };
    jobs.set(job.id, job);
    return job;
  }

  async function handle(
    recorded: RecordedRequest,
    response: ServerResponse,
    bodyFault?: BodyFault,
  ): Promise<void> {
    const { method, path } = recorded;
    const fileMatch = /^\/files\/([\w-]+)\.mp4$/.exec(path);
    if (method === 'GET' && fileMatch?.[1]) {
      if (recorded.query.get('token') !== fileTokens.get(fileMatch[1]))
        return send(response, 403, { error: 'bad token' });
      const job = jobs.get(fileMatch[1]);
      return sendFile(response, 'video/mp4', job ? videoOf(job) : video, bodyFault);
    }
    if (!path.startsWith('/v1/')) return send(response, 404, openAiError('not found', 'not_found'));
    if (recorded.headers.authorization !== `Bearer ${apiKey}`) {
      return send(response, 401, openAiError('Incorrect API key provided.', 'invalid_api_key'));
    }
    if (method === 'POST' && path === '/v1/videos') return createVideo(recorded, response);
    if (method === 'GET' && path === '/v1/videos') {
      const limit = Number(recorded.query.get('limit') ?? 20);
      const all = [...jobs.values()];
      const after = recorded.query.get('after');
      const start = after ? all.findIndex((job) => job.id === after) + 1 : 0;
      const page = all.slice(start, start + limit).map(view);
      return send(response, 200, {
        object: 'list',
        data: page,
        has_more: start + limit < all.length,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
      });
    }
    const match = /^\/v1\/videos\/([\w-]+)(\/content|\/remix)?$/.exec(path);
    const job = match?.[1] ? jobs.get(match[1]) : undefined;
    if (!job) return send(response, 404, openAiError('Video not found', 'not_found'));
    const tail = match?.[2];
    if (method === 'GET' && !tail) {
      job.polls++;
      if (job.status === 'queued') job.status = 'running';
      const answer = view(job);
      // Finished by this very poll (jobs that end by poll count): the provider says so as well.
      if (answer.status === 'completed' || answer.status === 'success') announce(job);
      return send(response, 200, answer);
    }
    if (method === 'GET' && tail === '/content') {
      const done = !job.failure && progressOf(job) >= 100 && job.status !== 'queued';
      if (!done) return send(response, 404, openAiError('Video is not ready', 'not_found'));
      if (recorded.query.get('variant') === 'thumbnail') {
        return sendFile(response, 'image/webp', thumbnail, bodyFault);
      }
      if (options.redirectContentTo) {
        response.writeHead(302, { location: `${options.redirectContentTo}/cdn/${job.id}.mp4` });
        response.end();
        return;
      }
      return sendFile(response, 'video/mp4', videoOf(job), bodyFault);
    }
    if (method === 'POST' && tail === '/remix') {
      const prompt = (recorded.json as { prompt?: unknown } | undefined)?.prompt;
      if (typeof prompt !== 'string' || !prompt)
        return send(response, 400, openAiError('prompt is required', null));
      const remix = createJob({
        model: job.model,
        prompt,
        seconds: job.seconds,
        size: job.size,
        reference: null,
        remixedFrom: job.id,
      });
      return send(response, 200, view(remix));
    }
    if (method === 'DELETE' && !tail) {
      jobs.delete(job.id);
      return send(response, 200, { id: job.id, object: 'video.deleted', deleted: true });
    }
    return send(response, 404, openAiError('not found', 'not_found'));
  }

  async function createVideo(recorded: RecordedRequest, response: ServerResponse): Promise<void> {
    const key = recorded.headers['idempotency-key'];
    const existing = typeof key === 'string' ? byIdempotencyKey.get(key) : undefined;
    const previous = existing ? jobs.get(existing) : undefined;
    if (previous) return send(response, 200, view(previous));
    const fields: Record<string, unknown> = recorded.multipart
      ? { ...recorded.multipart.fields }
      : ((recorded.json ?? {}) as Record<string, unknown>);
    const reference = recorded.multipart?.files.input_reference ?? fields.input_reference;
    const prompt = typeof fields.prompt === 'string' ? fields.prompt : '';
    const model = typeof fields.model === 'string' ? fields.model : 'sora-2';
    if (!prompt) return send(response, 400, openAiError('prompt is required', null));
    const gone = retired.get(model);
    if (gone) {
      const answer = retiredAnswer(model, gone);
      return send(response, answer.status, answer.body);
    }
    if (/forbidden/i.test(prompt)) {
      return send(
        response,
        400,
        openAiError('Your request was blocked by our moderation system.', 'moderation_blocked'),
      );
    }
    const refused = referenceRefusal(model, recorded);
    if (refused) return send(response, 400, openAiError(refused, null));
    const job = createJob({
      model,
      prompt,
      seconds: Number(fields.seconds ?? 4),
      size: String(fields.size ?? '720x1280'),
      reference,
    });
    if (typeof key === 'string') byIdempotencyKey.set(key, job.id);
    const callback = fields[webhookOptions?.callbackField ?? 'callback_url'];
    if (typeof callback === 'string') job.callbackUrl = callback;
    if (options.completeAfterMs !== undefined && webhookOptions) {
      const timer = setTimeout(() => {
        endTimers.delete(timer);
        if (jobs.has(job.id)) announce(job);
      }, options.completeAfterMs);
      endTimers.add(timer);
    }
    await options.beforeCreateAnswer?.(job);
    return send(response, 200, view(job));
  }

  function matchingFault(recorded: RecordedRequest): Fault | HeldRequest | undefined {
    const index = faults.findIndex(
      (entry) =>
        (!entry.match.method || entry.match.method === recorded.method) &&
        (!entry.match.path || entry.match.path.test(recorded.path)) &&
        (!entry.match.query || entry.match.query.test(recorded.query.toString())),
    );
    const entry = faults[index];
    if (!entry) return undefined;
    if (--entry.times <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  const server = createServer((request, response) => {
    api.inFlight++;
    api.maxInFlight = Math.max(api.maxInFlight, api.inFlight);
    response.once('close', () => api.inFlight--);
    void (async () => {
      const recorded = await record(request);
      requests.push(recorded);
      let fault = matchingFault(recorded);
      if (fault?.kind === 'held') {
        const held = fault;
        held.arrived(recorded);
        await held.released;
        fault = held.then;
      }
      if (fault?.kind === 'hang') {
        hanging.add(response);
        return;
      }
      if (fault?.kind === 'status') {
        if (fault.afterMs) await new Promise((resolve) => setTimeout(resolve, fault.afterMs));
        return send(
          response,
          fault.status,
          fault.body ?? openAiError(`HTTP ${fault.status}`, null, 'server_error'),
          fault.headers,
        );
      }
      if (fault?.kind === 'malformed') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('not json{');
        return;
      }
      if (fault?.kind === 'body') {
        const bytes = Buffer.from(fault.body);
        response.writeHead(200, { 'content-type': fault.contentType, 'content-length': bytes.length });
        response.end(bytes);
        return;
      }
      if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
      const bodyFault = isBodyFault(fault) ? fault : undefined;
      await handle(recorded, response, bodyFault);
    })().catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, openAiError(String(error), null, 'server_error'));
    });
  });
  origin = await listen(server);
  api.origin = origin;
  api.url = `${origin}/v1`;
  return api;
}
