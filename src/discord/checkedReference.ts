// A member's reference image, checked by its bytes: the image to send and its size, or what to tell them.
import { checkReferenceImage, imageSize } from '../jobs/index.ts';
import type { ModelSpec, ReferenceImage } from '../provider/index.ts';
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
