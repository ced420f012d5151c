// A member's reference images, checked by their bytes: what to send and keep of each, or what to tell them.
import { t } from '../i18n/index.ts';
import { checkReferenceImage, imageSize, type JobReferenceImage, maxReferenceBytes } from '../jobs/index.ts';
import type { ModelSpec, ReferenceImage } from '../provider/index.ts';
import type { BotContext } from './context.ts';
import { formatBytes } from './render.ts';
import { notAnImageText, referenceProblemText } from './replies.ts';

/** A reference image that passed the checks: what is sent of it, and what the job keeps. */
export interface CheckedImage {
  reference: ReferenceImage;
  kept: JobReferenceImage;
}

export type CheckedReferenceImage = { refusal: string } | CheckedImage;

/** An image a member attached, as Discord describes it (a command option, a message, a modal upload). */
export interface AttachedImage {
  url: string;
  name: string;
  /** Bytes, as Discord says. */
  size: number;
  contentType: string | null;
}

/** What Discord says of an attachment, as an image to check. */
export function attachedImage(attachment: AttachedImage): AttachedImage {
  const { url, name, size, contentType } = attachment;
  return { url, name, size, contentType };
}

/**
 * Decodes `bytes` for `model`: the reference to send (at `url`) and the record the job keeps (at
 * `source.url`, named `source.fileName`), or the refusal in the member's language.
 */
export async function checkedReference(
  bytes: Uint8Array,
  source: { url: string; fileName: string },
  model: ModelSpec,
  locale: string,
): Promise<CheckedReferenceImage> {
  const checked = await checkReferenceImage(bytes, model);
  if (!checked.ok) return { refusal: referenceProblemText(locale, checked, source.fileName) };
  return {
    reference: { ...source, bytes, contentType: checked.image.contentType },
    kept: { url: source.url, name: source.fileName, size: imageSize(checked.image) },
  };
}

/**
 * What Discord already says of an attachment is reason enough to refuse it: too large, not an
 * image (by its type; a file without one is judged by its bytes later). `notAnImage` says so in
 * the caller's words. Pure.
 */
export function attachmentRefusal(
  attachment: AttachedImage,
  locale: string,
  notAnImage: (fileName: string) => string = (fileName) => notAnImageText(locale, fileName),
): string | null {
  if (attachment.size > maxReferenceBytes) {
    return t(locale, 'error.attachment_too_large', {
      size: formatBytes(attachment.size),
      max: formatBytes(maxReferenceBytes),
    });
  }
  if (attachment.contentType && !attachment.contentType.startsWith('image/')) {
    return notAnImage(attachment.name);
  }
  return null;
}

/**
 * Downloads every image (at once) and decodes each for `model`: all of them checked, in order,
 * or the refusal of the first that fails. Nothing is spent either way.
 */
export async function checkAttachedImages(
  attachments: readonly AttachedImage[],
  model: ModelSpec,
  context: Pick<BotContext, 'fetchAttachment'>,
  locale: string,
): Promise<{ refusal: string } | { images: CheckedImage[] }> {
  const checked = await Promise.all(
    attachments.map(async (attachment): Promise<CheckedReferenceImage> => {
      let bytes: Uint8Array;
      try {
        bytes = await context.fetchAttachment(attachment.url, maxReferenceBytes);
      } catch {
        return { refusal: t(locale, 'error.attachment_unreadable') };
      }
      return checkedReference(bytes, { url: attachment.url, fileName: attachment.name }, model, locale);
    }),
  );
  const refused = checked.find((image) => 'refusal' in image);
  if (refused && 'refusal' in refused) return refused;
  return { images: checked.filter((image): image is CheckedImage => 'kept' in image) };
}
