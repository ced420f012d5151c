// A built-in stand-in for the video API: jobs progress over a few seconds and finish with a
// real sample MP4, so an operator can try the whole flow without a key or spending credits.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalogue } from './catalogue.ts';
import type { DownloadOptions, VideoClient, VideoDownload } from './client.ts';
import { type CreateVideoRequest, ProviderError, type VideoJob } from './types.ts';

const assets = join(import.meta.dirname, '../../assets');

interface SimulatedJob {
  request: CreateVideoRequest;
  createdAt: number;
  remixedFrom: string | null;
}

export function createSimulatedClient(options: {
  catalogue: Catalogue;
  now?: () => number;
  durationMs?: number;
}): VideoClient {
  const now = options.now ?? Date.now;
  const durationMs = options.durationMs ?? 12_000;
  const jobs = new Map<string, SimulatedJob>();
  let counter = 0;

  function view(id: string, job: SimulatedJob): VideoJob {
    const elapsed = now() - job.createdAt;
    const done = elapsed >= durationMs;
    const seconds = Math.floor(job.createdAt / 1000);
    return {
      id,
      status: done ? 'completed' : elapsed < 1_000 ? 'queued' : 'in_progress',
      progress: done ? 100 : Math.floor((elapsed / durationMs) * 100),
      reportsProgress: true,
      model: job.request.model,
      prompt: job.request.prompt,
      seconds: job.request.seconds,
      size: job.request.size,
      createdAt: seconds,
      completedAt: done ? Math.floor((job.createdAt + durationMs) / 1000) : null,
      expiresAt: done ? Math.floor((job.createdAt + durationMs) / 1000) + 3600 : null,
      videoUrl: null,
      error: null,
      remixedFromVideoId: job.remixedFrom,
    };
  }

  /** Stateless by design: the id carries its creation time, so jobs survive a bot restart. */
  function find(id: string): SimulatedJob {
    const known = jobs.get(id);
    if (known) return known;
    const createdAt = Number.parseInt(/^sim_([0-9a-z]+)_\d+$/.exec(id)?.[1] ?? '', 36);
    if (!Number.isFinite(createdAt))
      throw new ProviderError('not_found', `no simulated video ${id}`, { status: 404 });
    const request = { model: options.catalogue.defaultModel.id, prompt: '', seconds: 4, size: '1280x720' };
    return { request, createdAt, remixedFrom: null };
  }

  async function open(file: string, options: DownloadOptions, contentType: string): Promise<VideoDownload> {
    const path = join(assets, file);
    const size = (await stat(path)).size;
    if (size > options.maxBytes) throw new ProviderError('too_large', `the video is ${size} bytes`);
    return { stream: createReadStream(path), contentType, contentLength: size };
  }

  function create(request: CreateVideoRequest, remixedFrom: string | null = null): VideoJob {
    if (!options.catalogue.find(request.model))
      throw new ProviderError('invalid_request', `model "${request.model}" is not offered`);
    const id = `sim_${now().toString(36)}_${++counter}`;
    const job = { request, createdAt: now(), remixedFrom };
    jobs.set(id, job);
    return view(id, job);
  }

  return {
    create: async (request) => create(request),
    retrieve: async (id) => view(id, find(id)),
    download: async (id, downloadOptions) => {
      const job = view(id, find(id));
      if (job.status !== 'completed')
        throw new ProviderError('not_found', 'the video is not ready', { status: 404 });
      return downloadOptions.variant === 'thumbnail'
        ? open('sample-thumbnail.webp', downloadOptions, 'image/webp')
        : open('sample.mp4', downloadOptions, 'video/mp4');
    },
    downloadLink: async (_url, downloadOptions) => open('sample.mp4', downloadOptions, 'video/mp4'),
    remix: async (id, prompt) => {
      const original = find(id);
      return create({ ...original.request, prompt }, id);
    },
    remove: async (id) => {
      jobs.delete(id);
    },
    list: async () => ({
      videos: [...jobs].map(([id, job]) => view(id, job)),
      hasMore: false,
      lastId: null,
    }),
    close: async () => undefined,
  };
}
