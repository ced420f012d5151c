import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkReferenceImage, referenceProblem } from '../../src/jobs/index.ts';

const still = { id: 'veo-3.1-fast-generate-preview', animatedReference: false };
const png = readFileSync(join(import.meta.dirname, '../fixtures/reference.png'));

describe('checking a reference image', () => {
  it('passes a still image of a sane size, with its type and size', async () => {
    expect(await checkReferenceImage(png, still)).toEqual({
      ok: true,
      image: { contentType: 'image/png', width: 320, height: 180 },
    });
    const jpeg = await sharp(png).jpeg().toBuffer();
    expect(await checkReferenceImage(jpeg, still)).toMatchObject({
      ok: true,
      image: { contentType: 'image/jpeg' },
    });
  });

  it('reads the size as the image is shown: a photo turned by its EXIF orientation has its sides swapped', async () => {
    const turned = await sharp(png).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await checkReferenceImage(turned, still)).toMatchObject({
      ok: true,
      image: { width: 180, height: 320 },
    });
  });

  it('tells a file that is no image from one that is damaged', async () => {
    expect(await checkReferenceImage(Buffer.from('just text'), still)).toEqual({
      ok: false,
      problem: 'not_image',
    });
    const tiff = await sharp(png).tiff().toBuffer();
    expect(await checkReferenceImage(tiff, still)).toEqual({ ok: false, problem: 'not_image' });
    const garbage = Buffer.concat([png.subarray(0, 8), Buffer.from('garbage')]);
    expect(await checkReferenceImage(garbage, still)).toEqual({ ok: false, problem: 'undecodable' });
    expect(await checkReferenceImage(png.subarray(0, 3_000), still)).toEqual({
      ok: false,
      problem: 'undecodable',
    });
  });

  it('refuses zero-sized, oversized and (for a still model) animated headers', () => {
    expect(referenceProblem({ width: 0, height: 10 }, still)).toEqual({ problem: 'zero_size' });
    expect(referenceProblem({}, still)).toEqual({ problem: 'zero_size' });
    expect(referenceProblem({ width: 8_192, height: 8_192 }, still)).toBeNull();
    expect(referenceProblem({ width: 8_193, height: 10 }, still)).toEqual({
      problem: 'too_large_side',
      width: 8_193,
      height: 10,
      max: 8_192,
    });
    expect(referenceProblem({ width: 10, height: 10, pages: 3 }, still)).toEqual({
      problem: 'animated',
      frames: 3,
      model: still.id,
    });
    expect(
      referenceProblem({ width: 10, height: 10, pages: 3 }, { ...still, animatedReference: true }),
    ).toBeNull();
    expect(referenceProblem({ width: 10, height: 10, pages: 1 }, still)).toBeNull();
  });
});
