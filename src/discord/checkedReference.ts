// A member's reference image, checked by its bytes: the image to send and its size, or what to tell them.
import { t } from '../i18n/index.ts';
import { checkReferenceImage, imageSize, maxReferenceBytes } from '../jobs/index.ts';
import type { ModelSpec, ReferenceImage } from '../provider/index.ts';
import type { BotContext } from './context.ts';
import { referenceProblemText } from './replies.ts';

export type CheckedReferenceImage =
  | { refusal: string }
  /** `size` is the image's own, WIDTHxHEIGHT, kept on the job. */
  | { reference: ReferenceImage; size: string };

/** Decodes `bytes` for `model`: the reference to send (at `url`), or the refusal in the member's language. */
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
    size: imageSize(checked.image),
  };
}

/** What the bot knows of an image on Discord's CDN before downloading it. */
export interface AttachedImage {
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

/** Downloads `image` (capped at the reference limit) and checks it for `model`, as /video does. */
export async function downloadedReference(
  image: Pick<AttachedImage, 'url' | 'name'>,
  model: ModelSpec,
  context: Pick<BotContext, 'fetchAttachment'>,
  locale: string,
): Promise<CheckedReferenceImage> {
  let bytes: Uint8Array;
  try {
    bytes = await context.fetchAttachment(image.url, maxReferenceBytes);
  } catch {
    return { refusal: t(locale, 'error.attachment_unreadable') };
  }
  return checkedReference(bytes, { url: image.url, fileName: image.name }, model, locale);
}
