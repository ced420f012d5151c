// Signed, expiring links to finished videos served by the bot's own HTTP endpoint. Pure.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signMediaPath(jobId: number, expiresAt: number, secret: string): string {
  const expires = Math.floor(expiresAt / 1000);
  const signature = createHmac('sha256', secret).update(`${jobId}:${expires}`).digest('base64url');
  return `/media/${jobId}.mp4?expires=${expires}&sig=${signature}`;
}

/** The job id when the link is genuine and not expired, else null. */
export function verifyMediaPath(url: URL, secret: string, now: number): number | null {
  const match = /^\/media\/(\d{1,15})\.mp4$/.exec(url.pathname);
  const expires = Number(url.searchParams.get('expires'));
  const signature = url.searchParams.get('sig') ?? '';
  if (!match?.[1] || !Number.isInteger(expires) || expires * 1000 < now) return null;
  const jobId = Number(match[1]);
  const expected = createHmac('sha256', secret).update(`${jobId}:${expires}`).digest();
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) ? jobId : null;
}
