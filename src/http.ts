// The optional HTTP endpoint: health, Prometheus metrics, and finished videos by signed link.
import { open, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import {
  type Job,
  type JobStore,
  keptVideoPath,
  type MediaOwner,
  type MediaStore,
  StoreUnavailableError,
  sniffImageType,
} from './jobs/index.ts';
import { loadReferenceImage } from './jobs/referenceImages.ts';
import { type WebhookReceiver, webhookPath } from './jobs/webhooks.ts';
import { referenceIndex, verifyMediaLink } from './mediaLinks.ts';
import type { Metrics } from './metrics.ts';

export interface HttpDeps {
  port: number;
  host: string;
  store: JobStore;
  metrics: Metrics;
  logger: Logger;
  mediaSecret: string;
  /** Where reference images are kept (the media folder). */
  mediaDir: string;
  /** Fetches a kept video this folder lacks (kept by a process on another host) while the provider has it. */
  media?: Pick<MediaStore, 'ensure'>;
  /** POST /webhooks/video, when provider webhooks are on (VIDEO_WEBHOOK_SECRET). */
  webhooks?: WebhookReceiver;
  /** Gateway connected and database open. */
  ready: () => boolean;
  now?: () => number;
}

function text(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * Serves a kept video, whole or by one byte range. The file is opened before anything is sent, so
 * a file pruned meanwhile is a 404; `pipeline` closes it however the viewer leaves (seeking,
 * closing the tab, Discord's embedder probing ranges).
 */
async function serveVideo(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return text(response, 404, 'The video is gone.\n');
  try {
    const info = await file.stat();
    if (!info.isFile()) return text(response, 404, 'The video is gone.\n');
    const size = info.size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
    const headers = {
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      'cache-control': 'private, max-age=3600',
    };
    let start = 0;
    let end = size - 1;
    if (range && (range[1] || range[2])) {
      // Browsers and Discord's embedder seek with single byte ranges.
      start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        response.writeHead(416, { 'content-range': `bytes */${size}` });
        response.end();
        return;
      }
      response.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': end - start + 1,
      });
    } else {
      response.writeHead(200, { ...headers, 'content-length': size });
    }
    if (request.method === 'HEAD' || size === 0) {
      response.end();
      return;
    }
    // A viewer that goes away rejects the pipeline; that is an ordinary end of a download.
    await pipeline(file.createReadStream({ start, end, autoClose: false }), response).catch(() => undefined);
  } finally {
    await file.close();
  }
}

/** A job's kept reference image `index`, for gateways that fetch images by URL (Regenerate). */
async function serveReference(
  response: ServerResponse,
  mediaDir: string,
  job: MediaOwner,
  index: number,
): Promise<void> {
  const bytes = await loadReferenceImage(mediaDir, job, index);
  const type = bytes ? sniffImageType(bytes) : null;
  if (!bytes || !type) return text(response, 404, 'The image is gone.\n');
  response.writeHead(200, { 'content-type': type, 'content-length': bytes.byteLength });
  response.end(bytes);
}

/** No provider event comes near this; a larger body is refused before it is read whole. */
const maxWebhookBytes = 256 * 1024;

/** The body as it arrived (a signature covers these bytes), or null past `maxBytes`. */
async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function serveWebhook(
  request: IncomingMessage,
  response: ServerResponse,
  receive: WebhookReceiver,
  metrics: Metrics,
): Promise<void> {
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return text(response, 405, 'POST only\n');
  }
  const declared = Number(request.headers['content-length'] ?? 0);
  const body = declared > maxWebhookBytes ? null : await readBody(request, maxWebhookBytes);
  if (!body) {
    metrics.providerWebhooks.inc({ outcome: 'too_large' });
    response.setHeader('connection', 'close');
    return text(response, 413, 'too large\n');
  }
  const answer = await receive(body, request.headers);
  metrics.providerWebhooks.inc({ outcome: answer.outcome });
  return text(response, answer.status, answer.body, 'application/json');
}

const isFile = (path: string) =>
  stat(path).then(
    (info) => info.isFile(),
    () => false,
  );

/**
 * Where this process keeps the job's video. A job delivered by a process on another host was kept
 * in that host's folder: when MEDIA_DIR is not shared, the video is downloaded again here while the
 * provider still has it. Once the provider no longer has it, the path of a missing file: "gone".
 */
async function keptHere(deps: HttpDeps, job: Job): Promise<string | 'unavailable'> {
  const path = keptVideoPath(deps.mediaDir, job);
  if (!deps.media || (await isFile(path))) return path;
  const fetched = await deps.media.ensure(job);
  if (fetched.ok) return fetched.path;
  deps.logger.info(
    { jobId: job.id, kind: fetched.error.kind, status: fetched.error.status },
    'a linked video is not kept here and could not be downloaded again',
  );
  return fetched.error.transient ? 'unavailable' : path;
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  deps: HttpDeps,
  now: () => number,
): Promise<void> {
  // A target such as `//x:70000/` is no URL at all; URL.parse says so instead of throwing.
  const url = URL.parse(request.url ?? '/', 'http://localhost');
  if (!url) return text(response, 400, 'bad request target\n');
  if (url.pathname === '/livez') return text(response, 200, 'ok\n');
  if (url.pathname === '/readyz')
    return deps.ready() ? text(response, 200, 'ready\n') : text(response, 503, 'not ready\n');
  if (url.pathname === '/metrics') {
    return text(response, 200, await deps.metrics.registry.metrics(), deps.metrics.registry.contentType);
  }
  if (url.pathname === webhookPath && deps.webhooks)
    return serveWebhook(request, response, deps.webhooks, deps.metrics);
  if (url.pathname.startsWith('/media/')) {
    const link = verifyMediaLink(url, deps.mediaSecret, now());
    const job = link ? await deps.store.get(link.job.id) : undefined;
    // The number alone is not enough: the key says the link was made for this very job.
    if (!link || !job || job.mediaKey !== link.job.mediaKey) {
      return text(response, 404, 'This link is not valid or has expired.\n');
    }
    const reference = referenceIndex(link.kind);
    if (reference !== null) return serveReference(response, deps.mediaDir, job, reference);
    // Removed by its requester or a moderator: gone for good, never fetched again from the provider.
    if (job.removedAt !== null) return text(response, 410, 'This video was removed.\n');
    if (!job.mediaPath) return text(response, 404, 'The video is gone.\n');
    const path = await keptHere(deps, job);
    if (path === 'unavailable')
      return text(response, 503, 'The video cannot be fetched now. Please try again later.\n');
    return serveVideo(request, response, path);
  }
  return text(response, 404, 'not found\n');
}

export function startHttpServer(deps: HttpDeps): Promise<Server> {
  const now = deps.now ?? Date.now;
  const server = createServer((request, response) => {
    // Everything a request can throw ends here: one request never takes the process down.
    handleRequest(request, response, deps, now).catch((error: unknown) => {
      // A link opened while the database is away: it works again once the database is back.
      if (error instanceof StoreUnavailableError && !response.headersSent) {
        return text(response, 503, 'The database is unavailable. Please try again in a moment.\n');
      }
      deps.logger.error({ err: error, method: request.method }, 'HTTP request failed');
      if (!response.headersSent) text(response, 500, 'internal error\n');
      else response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => resolve(server));
  });
}
