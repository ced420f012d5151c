// Signed, expiring links to what the bot keeps in its media folder, served by its own HTTP
// endpoint: finished videos, and reference images (for gateways that take an image by URL). Pure.
// A link names the job by its number and its media key, both signed: a link made for one job
// never opens another, even one with the same number in a database started afresh.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MediaOwner } from './jobs/index.ts';

/** A finished video, or a reference image by its number (from 1; the first is plain `reference`). */
export type MediaKind = 'video' | 'reference' | `reference-${number}`;

/** The kind naming reference image `index` (from 1): links to image 1 stay as they were. */
export function referenceKind(index: number): MediaKind {
  return index === 1 ? 'reference' : `reference-${index}`;
}

/** The image a reference kind names (from 1), or null for the video. */
export function referenceIndex(kind: MediaKind): number | null {
  if (kind === 'video') return null;
  return kind === 'reference' ? 1 : Number(kind.slice('reference-'.length));
}

function signature(job: MediaOwner, kind: MediaKind, expires: number, secret: string): Buffer {
  // The kind is signed too, so a video link cannot be turned into a reference link or back.
  return createHmac('sha256', secret).update(`${job.id}:${job.mediaKey}:${kind}:${expires}`).digest();
}

function path(job: MediaOwner, kind: MediaKind): string {
  const name = `${job.id}-${job.mediaKey}`;
  return kind === 'video' ? `/media/${name}.mp4` : `/media/${name}/${kind}`;
}

export function signMediaPath(
  job: MediaOwner,
  expiresAt: number,
  secret: string,
  kind: MediaKind = 'video',
): string {
  const expires = Math.floor(expiresAt / 1000);
  const sig = signature(job, kind, expires, secret).toString('base64url');
  return `${path(job, kind)}?expires=${expires}&sig=${sig}`;
}

/** The job (number and key) and what of it the link names, when genuine and not expired, else null. */
export function verifyMediaLink(
  url: URL,
  secret: string,
  now: number,
): { job: MediaOwner; kind: MediaKind } | null {
  const match = /^\/media\/(\d{1,15})-([0-9a-f]{32})(\.mp4|\/reference(?:-[2-9])?)$/.exec(url.pathname);
  const expires = Number(url.searchParams.get('expires'));
  const given = Buffer.from(url.searchParams.get('sig') ?? '', 'base64url');
  if (!match?.[1] || !match[2] || !Number.isInteger(expires) || expires * 1000 < now) return null;
  const job = { id: Number(match[1]), mediaKey: match[2] };
  const kind = (match[3] === '.mp4' ? 'video' : (match[3] ?? '').slice(1)) as MediaKind;
  const expected = signature(job, kind, expires, secret);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { job, kind } : null;
}
