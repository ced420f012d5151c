// The names of the files a job keeps in the media folder. Each carries the job's number and its
// media key (random, made when the row is inserted), so a folder that outlives its database, or
// is shared by two, never hands one job's file to another job with the same number.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/** What names a job's files: its number and its key. */
export interface MediaOwner {
  id: number;
  mediaKey: string;
}

export function newMediaKey(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The short part of the key that Discord sees: in the job's button ids and uploaded file name,
 * so a card or an upload of another database's job with the same number is never this job's.
 */
export function jobTag(job: Pick<MediaOwner, 'mediaKey'>): string {
  return job.mediaKey.slice(0, 8);
}

export function keptVideoPath(mediaDir: string, job: MediaOwner): string {
  return join(mediaDir, `reelbot-${job.id}-${job.mediaKey}.mp4`);
}

/** Where the job's reference image `index` (from 1) is kept. */
export function keptReferencePath(mediaDir: string, job: MediaOwner, index = 1): string {
  return join(mediaDir, `reelbot-${job.id}-${job.mediaKey}-reference-${index}.img`);
}

/** Where a version that kept one image per job kept it: still read as image 1. */
export function singleReferencePath(mediaDir: string, job: MediaOwner): string {
  return join(mediaDir, `reelbot-${job.id}-${job.mediaKey}-reference.img`);
}

/**
 * The bot's own naming, today's and before (`reelbot-7-<key>-reference.img` of one image per job,
 * read as image 1; `reelbot-7.mp4` and `reelbot-7-reference.img` of before media keys, never read
 * again), with the `.part` of a download or write in progress. Only these are pruned.
 */
const keptFileName = /^reelbot-\d+(-[0-9a-f]{32})?(\.mp4|-reference(-\d)?\.img)(\.part)?$/;

export function isKeptFileName(name: string): boolean {
  return keptFileName.test(name);
}
