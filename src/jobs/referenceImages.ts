// A job's reference image, kept in the media folder beside the videos (and pruned with them):
// Discord's attachment links are signed and expire after about a day, so Regenerate cannot
// rely on downloading the image again.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export function referenceImagePath(mediaDir: string, jobId: number): string {
  return join(mediaDir, `reelbot-${jobId}-reference.img`);
}

export async function saveReferenceImage(mediaDir: string, jobId: number, bytes: Uint8Array): Promise<void> {
  const path = referenceImagePath(mediaDir, jobId);
  await mkdir(mediaDir, { recursive: true });
  // Written under a temporary name so a crash never leaves a truncated image that looks whole.
  const partial = `${path}.part`;
  try {
    await writeFile(partial, bytes);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** The stored bytes, or null when the job had none or they were pruned. */
export async function loadReferenceImage(mediaDir: string, jobId: number): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(referenceImagePath(mediaDir, jobId)));
  } catch {
    return null;
  }
}
