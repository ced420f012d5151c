// Signed, expiring links to what the bot keeps in its media folder, served by its own HTTP
// endpoint: finished videos, and reference images (for gateways that take an image by URL). Pure.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type MediaKind = 'video' | 'reference';

function signature(jobId: number, kind: MediaKind, expires: number, secret: string): Buffer {
  // The kind is signed too, so a video link cannot be turned into a reference link or back.
  const subject = kind === 'video' ? `${jobId}:${expires}` : `${jobId}:${kind}:${expires}`;
  return createHmac('sha256', secret).update(subject).digest();
}

function path(jobId: number, kind: MediaKind): string {
  return kind === 'video' ? `/media/${jobId}.mp4` : `/media/${jobId}/reference`;
}

export function signMediaPath(
  jobId: number,
  expiresAt: number,
  secret: string,
  kind: MediaKind = 'video',
): string {
  const expires = Math.floor(expiresAt / 1000);
  const sig = signature(jobId, kind, expires, secret).toString('base64url');
  return `${path(jobId, kind)}?expires=${expires}&sig=${sig}`;
}

/** The job and what of it the link names, when the link is genuine and not expired, else null. */
export function verifyMediaLink(
  url: URL,
  secret: string,
  now: number,
): { jobId: number; kind: MediaKind } | null {
  const match = /^\/media\/(\d{1,15})(\.mp4|\/reference)$/.exec(url.pathname);
  const expires = Number(url.searchParams.get('expires'));
  const given = Buffer.from(url.searchParams.get('sig') ?? '', 'base64url');
  if (!match?.[1] || !Number.isInteger(expires) || expires * 1000 < now) return null;
  const jobId = Number(match[1]);
  const kind: MediaKind = match[2] === '.mp4' ? 'video' : 'reference';
  const expected = signature(jobId, kind, expires, secret);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { jobId, kind } : null;
}
