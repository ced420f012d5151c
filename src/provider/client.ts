// The video API client: create, retrieve, download, remix, remove, list. Only this room knows the wire format.
import { randomUUID } from 'node:crypto';
import { type Readable, Transform } from 'node:stream';
import { FormData, request } from 'undici';
import type { Catalogue } from './catalogue.ts';
import {
  abandonBody,
  defaultHttpOptions,
  errorFromResponse,
  errorFromThrown,
  type HttpOptions,
  type RetryRule,
  retryTransient,
  retryUnprocessed,
  withRetries,
} from './http.ts';
import { prepareReferences } from './reference.ts';
import { normaliseList, normaliseVideo } from './schemas.ts';
import { type CreateVideoRequest, ProviderError, type VideoJob } from './types.ts';

export interface VideoClientOptions {
  /** Including the version, e.g. https://models.hingnet.com.cn/v1 */
  baseUrl: string;
  apiKey: string;
  catalogue: Catalogue;
  /**
   * A JSON request must complete, and a download's headers arrive, within this. A download's
   * body has no total limit, only at most this long between two chunks.
   */
  timeoutMs?: number;
  /** The clock an HTTP-date Retry-After is measured against. */
  now?: () => number;
  http?: Partial<HttpOptions>;
  /**
   * Gateways that take a callback URL per request (VIDEO_WEBHOOK_CALLBACK_FIELD): every create and
   * remix carries `url` in the request field `field`, so the gateway signals the end there.
   */
  callback?: { field: string; url: string };
}

export interface VideoDownload {
  stream: Readable;
  contentType: string;
  /** From Content-Length, when the server sent one. */
  contentLength: number | null;
}

export interface DownloadOptions {
  maxBytes: number;
  variant?: 'video' | 'thumbnail' | 'spritesheet';
}

export interface VideoClient {
  create(request: CreateVideoRequest): Promise<VideoJob>;
  retrieve(id: string): Promise<VideoJob>;
  download(id: string, options: DownloadOptions): Promise<VideoDownload>;
  /** Fetches a direct link (a gateway's video_url). Never sends the API key. */
  downloadLink(url: string, options: DownloadOptions): Promise<VideoDownload>;
  remix(id: string, prompt: string, idempotencyKey?: string): Promise<VideoJob>;
  remove(id: string): Promise<void>;
  list(query?: { limit?: number; after?: string; order?: 'asc' | 'desc' }): Promise<{
    videos: VideoJob[];
    hasMore: boolean;
    lastId: string | null;
  }>;
  close(): Promise<void>;
}

const maxRedirects = 5;

/** Polls: a 429 goes straight up so the tracker can pause every poll, not just this one. */
const retryPoll: RetryRule = (error) => retryTransient(error) && error.kind !== 'rate_limited';

export function createVideoClient(options: VideoClientOptions): VideoClient {
  const http: HttpOptions = { ...defaultHttpOptions(options.timeoutMs ?? 30_000), ...options.http };
  const now = options.now ?? Date.now;
  const base = new URL(`${options.baseUrl.replace(/\/+$/, '')}/`);
  const auth = { authorization: `Bearer ${options.apiKey}` };
  const callbackFields = options.callback ? { [options.callback.field]: options.callback.url } : {};

  const endpoint = (path: string, query?: Record<string, string | number | undefined>) => {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  };

  async function call(
    method: 'GET' | 'POST' | 'DELETE',
    url: URL,
    init: {
      body?: string | FormData;
      headers?: Record<string, string>;
      /** A create or remix, of this model when known: its 400/404 may say the model is gone. */
      creating?: { model: string | null };
    } = {},
  ): Promise<unknown> {
    const response = await request(url, {
      method,
      headers: { ...auth, accept: 'application/json', ...init.headers },
      body: init.body,
      dispatcher: http.dispatcher,
      signal: AbortSignal.timeout(http.timeoutMs),
    }).catch((error: unknown) => {
      throw errorFromThrown(error);
    });
    const text = await response.body.text().catch((error: unknown) => {
      throw errorFromThrown(error);
    });
    const body = parseJson(text);
    if (response.statusCode >= 400) {
      throw errorFromResponse(response.statusCode, body, response.headers, now(), init.creating);
    }
    if (body === undefined) {
      throw new ProviderError(
        'bad_response',
        `the video API answered ${response.statusCode} with a body that is not JSON`,
        {
          status: response.statusCode,
        },
      );
    }
    return body;
  }

  const postJson = (url: URL, payload: unknown, idempotencyKey: string, model: string | null) =>
    call('POST', url, {
      body: JSON.stringify(payload),
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      creating: { model },
    });

  async function create(input: CreateVideoRequest): Promise<VideoJob> {
    const model = options.catalogue.find(input.model);
    if (!model) throw new ProviderError('invalid_request', `model "${input.model}" is not offered here`);
    const idempotencyKey = input.idempotencyKey ?? randomUUID();
    const seconds = model.secondsAsString ? String(input.seconds) : input.seconds;
    const reference = await prepareReferences(input.references ?? [], model, input.size);
    // Idempotency-Key protects only on gateways that honour it, so retries are limited to
    // answers that prove nothing was started (see retryUnprocessed).
    return withRetries(
      http,
      async () => {
        if (reference?.kind === 'file') {
          const form = new FormData();
          form.set('model', input.model);
          form.set('prompt', input.prompt);
          form.set('seconds', String(input.seconds));
          form.set('size', input.size);
          for (const [field, value] of Object.entries(callbackFields)) form.set(field, value);
          form.set(
            'input_reference',
            new Blob([reference.bytes], { type: reference.contentType }),
            reference.fileName,
          );
          return normaliseVideo(
            await call('POST', endpoint('videos'), {
              body: form,
              headers: { 'idempotency-key': idempotencyKey },
              creating: { model: input.model },
            }),
          );
        }
        const payload = {
          model: input.model,
          prompt: input.prompt,
          seconds,
          size: input.size,
          ...(reference ? { input_reference: reference.value } : {}),
          ...callbackFields,
        };
        return normaliseVideo(await postJson(endpoint('videos'), payload, idempotencyKey, input.model));
      },
      retryUnprocessed,
    );
  }

  async function open(url: URL, withKey: boolean, maxBytes: number): Promise<VideoDownload> {
    let current = url;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      // The key goes only to the API's own origin, never to a CDN a redirect points at.
      const sendKey = withKey && current.origin === base.origin;
      // No total timer: a large video may stream for minutes. The headers must come in time,
      // and the body may pause at most as long between two chunks.
      const response = await request(current, {
        method: 'GET',
        headers: sendKey ? auth : {},
        dispatcher: http.dispatcher,
        headersTimeout: http.timeoutMs,
        bodyTimeout: http.timeoutMs,
      });
      const location = response.headers.location;
      if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
        await response.body.dump();
        current = new URL(location, current);
        continue;
      }
      if (response.statusCode >= 400) {
        const body = parseJson(await response.body.text());
        throw errorFromResponse(response.statusCode, body, response.headers, now());
      }
      const lengthHeader = response.headers['content-length'];
      const contentLength = typeof lengthHeader === 'string' ? Number(lengthHeader) : null;
      if (contentLength !== null && contentLength > maxBytes) {
        abandonBody(response.body);
        throw tooLarge(contentLength, maxBytes);
      }
      const header = response.headers['content-type'];
      const contentType = typeof header === 'string' ? header : 'application/octet-stream';
      if (isDocumentType(contentType)) {
        // Gateways answer /content with 200 and a JSON error, or a proxy's HTML page: never the file.
        abandonBody(response.body);
        throw new ProviderError(
          'bad_content',
          `the video API answered ${response.statusCode} with ${contentType.split(';')[0]} instead of the file`,
          { status: response.statusCode },
        );
      }
      return { stream: cappedBody(response.body, maxBytes, contentLength), contentType, contentLength };
    }
    throw new ProviderError('bad_response', `more than ${maxRedirects} redirects while downloading`);
  }

  const openWithRetries = (url: URL, withKey: boolean, maxBytes: number) =>
    withRetries(http, () =>
      open(url, withKey, maxBytes).catch((error: unknown) => Promise.reject(errorFromThrown(error))),
    );

  return {
    create,
    retrieve: (id) =>
      withRetries(
        http,
        async () => normaliseVideo(await call('GET', endpoint(`videos/${encodeURIComponent(id)}`))),
        retryPoll,
      ),
    download: (id, { maxBytes, variant }) =>
      openWithRetries(
        endpoint(`videos/${encodeURIComponent(id)}/content`, {
          variant: variant === 'video' ? undefined : variant,
        }),
        true,
        maxBytes,
      ),
    downloadLink: (link, { maxBytes }) => openWithRetries(new URL(link), false, maxBytes),
    remix: (id, prompt, idempotencyKey = randomUUID()) =>
      withRetries(
        http,
        async () =>
          normaliseVideo(
            await postJson(
              endpoint(`videos/${encodeURIComponent(id)}/remix`),
              { prompt, ...callbackFields },
              idempotencyKey,
              null,
            ),
          ),
        retryUnprocessed,
      ),
    remove: async (id) => {
      await withRetries(http, () => call('DELETE', endpoint(`videos/${encodeURIComponent(id)}`)));
    },
    list: async (query = {}) =>
      normaliseList(await withRetries(http, () => call('GET', endpoint('videos', { ...query })))),
    close: () => http.dispatcher.close(),
  };
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** JSON, XML, HTML or any text: what an error answer is, and never a video or an image. */
function isDocumentType(contentType: string): boolean {
  return /^\s*(text\/|application\/(xhtml\+xml|([\w.-]+\+)?(json|xml))\s*(;|$))/i.test(contentType);
}

function tooLarge(bytes: number, maxBytes: number): ProviderError {
  return new ProviderError('too_large', `the video is ${bytes} bytes, over the ${maxBytes}-byte limit`);
}

/**
 * The body as the caller reads it: capped at `maxBytes`, as long as its Content-Length said, and
 * failing with a ProviderError whatever went wrong in transfer (`pipe` alone would leave the
 * reader waiting forever). A reader that stops early releases the connection.
 */
function cappedBody(body: Readable, maxBytes: number, contentLength: number | null): Readable {
  const capped = byteCap(maxBytes, contentLength);
  body.on('error', (error: unknown) => capped.destroy(errorFromThrown(error)));
  capped.on('close', () => {
    if (!body.readableEnded) abandonBody(body);
  });
  return body.pipe(capped);
}

/**
 * Fails the stream as soon as it carries more than `maxBytes`, whatever Content-Length claimed, and
 * at its end when it carried another length than Content-Length said (undici already refuses a
 * connection that closes early; this holds whatever the transport).
 */
function byteCap(maxBytes: number, contentLength: number | null): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(tooLarge(seen, maxBytes));
      else done(null, chunk);
    },
    flush(done) {
      if (contentLength === null || seen === contentLength) return done();
      done(new ProviderError('bad_content', `the download ended after ${seen} of ${contentLength} bytes`));
    },
  });
}

/** Reads a whole download into memory (small files and tests). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
