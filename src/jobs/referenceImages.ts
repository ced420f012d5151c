// A job's reference images, kept in the media folder beside the videos (and pruned with them):
// Discord's attachment links are signed and expire after about a day, so Regenerate cannot
// rely on downloading the images again.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { keptReferencePath, type MediaOwner, singleReferencePath } from './keptFiles.ts';

/** Keeps the bytes of the job's reference image `index` (from 1). */
export async function saveReferenceImage(
  mediaDir: string,
  job: MediaOwner,
  bytes: Uint8Array,
  index = 1,
): Promise<void> {
  const path = keptReferencePath(mediaDir, job, index);
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

/**
 * This job's stored bytes of image `index`, or null when it had none or they were pruned. Image 1
 * of a job kept by a version with one image per job is under that version's name.
 */
export async function loadReferenceImage(
  mediaDir: string,
  job: MediaOwner,
  index = 1,
): Promise<Uint8Array | null> {
  const paths = [keptReferencePath(mediaDir, job, index)];
  if (index === 1) paths.push(singleReferencePath(mediaDir, job));
  for (const path of paths) {
    try {
      return new Uint8Array(await readFile(path));
    } catch {
      // Not under this name: the next, or none.
    }
  }
  return null;
}
