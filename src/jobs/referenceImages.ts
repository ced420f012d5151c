// A job's reference image, kept in the media folder beside the videos (and pruned with them):
// Discord's attachment links are signed and expire after about a day, so Regenerate cannot
// rely on downloading the image again.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { keptReferencePath, type MediaOwner } from './keptFiles.ts';

export async function saveReferenceImage(
  mediaDir: string,
  job: MediaOwner,
  bytes: Uint8Array,
): Promise<void> {
  const path = keptReferencePath(mediaDir, job);
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

/** This job's stored bytes, or null when it had none or they were pruned. */
export async function loadReferenceImage(mediaDir: string, job: MediaOwner): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(keptReferencePath(mediaDir, job)));
  } catch {
    return null;
  }
}
