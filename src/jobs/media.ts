// The local media folder: finished videos are kept here for re-sends and history links,
// because provider links expire within about an hour. Only a download that proved to be a video
// is kept (see videoCheck).
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import {
  errorFromThrown,
  type ProviderError,
  type VideoClient,
  type VideoDownload,
} from '../provider/index.ts';
import { isKeptFileName, keptVideoPath, type MediaOwner } from './keptFiles.ts';
import type { Job } from './store/index.ts';
import { videoCheck } from './videoCheck.ts';

/** The kept file, or why it could not be downloaded (a timeout or broken stream is typed too). */
export type MediaFile = { ok: true; path: string; bytes: number } | { ok: false; error: ProviderError };

export interface MediaStore {
  dir: string;
  /** Where this job's video is kept: its name carries the job's number and media key. */
  videoPath(job: MediaOwner): string;
  /**
   * Downloads the job's video (streamed, size-capped) unless it is already here: also when another
   * process, on another host with a folder of its own, kept it there. Never rejects.
   */
  ensure(job: Job): Promise<MediaFile>;
  /**
   * Deletes the bot's own files (see isKeptFileName) older than the retention, whatever job or
   * database they were named for; skips everything else. Returns how many went.
   */
  prune(): Promise<number>;
}

/** An answer of /content that settles the download: not a video, or no longer there. */
function speaksForTheVideo(error: ProviderError): boolean {
  return error.kind === 'bad_content' || error.kind === 'not_found' || error.status === 410;
}

export function createMediaStore(deps: {
  dir: string;
  client: Pick<VideoClient, 'download' | 'downloadLink'>;
  maxBytes: number;
  retentionMs: number;
  logger: Logger;
  now?: () => number;
}): MediaStore {
  const now = deps.now ?? Date.now;
  const videoPath = (job: MediaOwner) => keptVideoPath(deps.dir, job);

  async function existing(path: string): Promise<number | null> {
    try {
      return (await stat(path)).size;
    } catch {
      return null;
    }
  }

  async function download(job: Job): Promise<{ path: string; bytes: number }> {
    // Only a file named for this very job counts: one of another database never matches its key.
    const path = videoPath(job);
    const size = await existing(path);
    if (size !== null) return { path, bytes: size };
    await mkdir(deps.dir, { recursive: true });
    const options = { maxBytes: deps.maxBytes };
    if (!job.remoteId) return save(path, await deps.client.downloadLink(job.videoUrl ?? '', options));
    try {
      return await save(path, await deps.client.download(job.remoteId, options));
    } catch (contentError) {
      // Some gateways serve the file only through their direct link, or /content sent something else.
      if (!job.videoUrl) throw contentError;
      try {
        return await save(path, await deps.client.downloadLink(job.videoUrl, options));
      } catch (linkError) {
        // The API's own answer is the authority: when /content sent a wrong file or said the video
        // is gone, or failed in passing (a 5xx, a timeout, the network: an outage), that is the
        // reason to report, whatever the link's host said; a signed link lapses (404, 403) long
        // before the video does. Only a plain refusal of /content, which proves nothing, gives way.
        const content = errorFromThrown(contentError);
        throw content.transient || speaksForTheVideo(content) ? contentError : linkError;
      }
    }
  }

  /**
   * Writes a download to `path` only once it proved to be a video; written under a temporary name,
   * removed on any failure, so a crash or a bad file never leaves something that looks finished.
   */
  async function save(path: string, source: VideoDownload): Promise<{ path: string; bytes: number }> {
    const partial = `${path}.part`;
    try {
      await pipeline(source.stream, videoCheck(), createWriteStream(partial));
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { path, bytes: (await existing(path)) ?? 0 };
  }

  /** Downloads under way, by file: a second caller (a link opened during delivery) waits for the first. */
  const downloading = new Map<string, Promise<MediaFile>>();

  return {
    dir: deps.dir,
    videoPath,
    ensure(job) {
      const path = videoPath(job);
      const running = downloading.get(path);
      if (running) return running;
      const ensured = download(job).then(
        (file): MediaFile => ({ ok: true, ...file }),
        (error: unknown): MediaFile => ({ ok: false, error: errorFromThrown(error) }),
      );
      downloading.set(path, ensured);
      void ensured.finally(() => downloading.delete(path));
      return ensured;
    },
    async prune() {
      const entries = await readdir(deps.dir, { withFileTypes: true }).catch((error: unknown) => {
        // Not made yet: nothing was kept. Anything else (no permission, not a folder) would prune
        // nothing, at every run, until the disk fills: the operator must hear of it.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          deps.logger.warn({ err: error, dir: deps.dir }, 'could not read the media folder to prune it');
        }
        return [];
      });
      let removed = 0;
      let failed = 0;
      for (const entry of entries) {
        // Only what the bot wrote: an operator's files and folders (lost+found, backups/) stay.
        if (!entry.isFile() || !isKeptFileName(entry.name)) continue;
        const path = join(deps.dir, entry.name);
        try {
          if (now() - (await stat(path)).mtimeMs <= deps.retentionMs) continue;
          await rm(path, { force: true });
          removed++;
          deps.logger.debug({ file: entry.name }, 'pruned a kept file');
        } catch (error) {
          // One entry that cannot go must not stop the others (or the disk fills).
          failed++;
          deps.logger.warn({ err: error }, 'could not prune a kept file');
        }
      }
      if (removed > 0 || failed > 0) deps.logger.info({ removed, failed }, 'pruned the media folder');
      return removed;
    },
  };
}
