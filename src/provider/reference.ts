// Puts the reference images into the shape the chosen model takes.
import sharp from 'sharp';
import { type ModelSpec, ProviderError, type ReferenceImage } from './types.ts';

export type ReferencePayload =
  | { kind: 'json'; value: { image_url: string } | string[] }
  | { kind: 'file'; bytes: Uint8Array; contentType: string; fileName: string };

/**
 * The images as the model takes them: every URL in one array (the gateway's veo route), or the one
 * image as `{image_url}` or a file. More images than the model takes are refused here, before the
 * provider is asked: a gateway that dropped the extra ones would bill a video made without them.
 */
export async function prepareReferences(
  references: readonly ReferenceImage[],
  model: ModelSpec,
  size: string,
): Promise<ReferencePayload | undefined> {
  const [first] = references;
  if (!first) return undefined;
  if (references.length > model.maxReferenceImages) {
    throw new ProviderError(
      'invalid_request',
      `${model.id} takes at most ${model.maxReferenceImages} reference images, not ${references.length}`,
      { code: tooManyReferencesCode },
    );
  }
  if (model.referenceShape === 'url_array') {
    return { kind: 'json', value: references.map((reference) => reference.url) };
  }
  return prepareReference(first, model, size);
}

/** The code of a refusal made here: more images than the model takes. */
export const tooManyReferencesCode = 'reelbot_too_many_references';

async function prepareReference(
  reference: ReferenceImage,
  model: ModelSpec,
  size: string,
): Promise<ReferencePayload> {
  if (model.referenceShape === 'image_url') return { kind: 'json', value: { image_url: reference.url } };
  if (!reference.bytes) {
    throw new ProviderError('invalid_request', 'the reference image was not available for upload', {
      code: referenceUnreadableCode,
    });
  }
  if (!model.referenceMustMatchSize) {
    return {
      kind: 'file',
      bytes: reference.bytes,
      contentType: reference.contentType ?? 'image/png',
      fileName: reference.fileName ?? 'reference.png',
    };
  }
  return { kind: 'file', ...(await fitToSize(reference.bytes, size)), fileName: 'reference.png' };
}

/** The code of a refusal made here, before the provider was asked: the member's image is at fault. */
export const referenceUnreadableCode = 'reelbot_reference_unreadable';

/** The official API uses the image as the first frame and rejects one of another size: crop to fill. */
export async function fitToSize(
  bytes: Uint8Array,
  size: string,
): Promise<{ bytes: Uint8Array; contentType: string }> {
  const [width, height] = size.split('x').map(Number);
  if (!width || !height) throw new ProviderError('invalid_request', `size "${size}" is not WIDTHxHEIGHT`);
  try {
    const resized = await sharp(bytes)
      .rotate()
      .resize(width, height, { fit: 'cover', position: 'attention' })
      .png()
      .toBuffer();
    return { bytes: new Uint8Array(resized), contentType: 'image/png' };
  } catch (error) {
    throw new ProviderError(
      'invalid_request',
      'the reference image is damaged or not an image that can be read',
      { cause: error, code: referenceUnreadableCode },
    );
  }
}
