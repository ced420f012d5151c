// A member's reference image, decoded before anything is spent: its type by content, its size, its frames.
import sharp from 'sharp';
import type { ModelSpec } from '../provider/index.ts';
import { sniffImageType } from './validate.ts';

/** The longest side accepted, in pixels: far above any video size, and a bound on decoding work. */
export const maxReferenceSide = 8_192;

export type ReferenceProblem =
  /** Not a PNG, JPEG, WebP or GIF by its bytes (a text file named .png, say). */
  | { problem: 'not_image' }
  /** Starts like an image, but its header or pixels cannot be read (damaged, truncated). */
  | { problem: 'undecodable' }
  | { problem: 'zero_size' }
  | { problem: 'too_large_side'; width: number; height: number; max: number }
  | { problem: 'animated'; frames: number; model: string };

export interface CheckedReference {
  contentType: string;
  /** As the image is shown, after its EXIF orientation. */
  width: number;
  height: number;
}

/** What sharp's metadata says of an image, as far as the checks need it. */
export interface ImageHeader {
  width?: number;
  height?: number;
  /** Frames of an animated GIF or WebP; absent or 1 for a still. */
  pages?: number;
  autoOrient?: { width: number; height: number };
}

/** The size the image is shown at: a photo turned by its EXIF orientation has its sides swapped. */
function shownSize(header: ImageHeader): { width: number; height: number } {
  return {
    width: header.autoOrient?.width ?? header.width ?? 0,
    height: header.autoOrient?.height ?? header.height ?? 0,
  };
}

/** What is wrong with an image of this header for `model`, or null. Pure. */
export function referenceProblem(
  header: ImageHeader,
  model: Pick<ModelSpec, 'id' | 'animatedReference'>,
): ReferenceProblem | null {
  const { width, height } = shownSize(header);
  if (width <= 0 || height <= 0) return { problem: 'zero_size' };
  if (width > maxReferenceSide || height > maxReferenceSide) {
    return { problem: 'too_large_side', width, height, max: maxReferenceSide };
  }
  const frames = header.pages ?? 1;
  if (frames > 1 && !model.animatedReference) return { problem: 'animated', frames, model: model.id };
  return null;
}

export type ReferenceCheck = { ok: true; image: CheckedReference } | ({ ok: false } & ReferenceProblem);

/**
 * Decodes the image with sharp: its header (type, size, frames), then its pixels, shrunk on load
 * to a thumbnail so the work stays small (under half a second for the largest image allowed), so
 * that a damaged or truncated file is refused here rather than by the provider after the job was
 * made. Never throws.
 */
export async function checkReferenceImage(
  bytes: Uint8Array,
  model: Pick<ModelSpec, 'id' | 'animatedReference'>,
): Promise<ReferenceCheck> {
  const contentType = sniffImageType(bytes);
  if (!contentType) return { ok: false, problem: 'not_image' };
  let header: ImageHeader;
  try {
    header = await sharp(bytes).metadata();
  } catch {
    return { ok: false, problem: 'undecodable' };
  }
  const problem = referenceProblem(header, model);
  if (problem) return { ok: false, ...problem };
  try {
    await sharp(bytes, { failOn: 'truncated' }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch {
    return { ok: false, problem: 'undecodable' };
  }
  return { ok: true, image: { contentType, ...shownSize(header) } };
}

/** The size as jobs spell it, WIDTHxHEIGHT. */
export function imageSize(image: Pick<CheckedReference, 'width' | 'height'>): string {
  return `${image.width}x${image.height}`;
}
