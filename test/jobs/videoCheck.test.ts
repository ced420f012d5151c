// What counts as a video when a download is kept: the container by its first bytes, and a floor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { minVideoBytes, videoCheck } from '../../src/jobs/videoCheck.ts';
import { ProviderError } from '../../src/provider/index.ts';
import { sampleMp4 } from '../fakes/videoApi.ts';

/** Streams `bytes` through the check in `chunkSize` pieces; what came out, or the error. */
async function check(bytes: Buffer, chunkSize = 1_000): Promise<Buffer | ProviderError> {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkSize)
    chunks.push(bytes.subarray(start, start + chunkSize));
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(chunk);
      done();
    },
  });
  try {
    await pipeline(Readable.from(chunks), videoCheck(), sink);
    return Buffer.concat(out);
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
}

const padded = (start: Buffer) => Buffer.concat([start, Buffer.alloc(20_000)]);
/** An EBML header whose DocType is "webm". */
const webmStart = Buffer.from(
  '1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581021853806701',
  'hex',
);
/** An `ftyp` box of an audio-only MP4 (brand M4A). */
const m4aStart = Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypM4A \0\0\0\0M4A mp42')]);

describe('the video check', () => {
  it('passes a real MP4 through unchanged, however it is chunked', async () => {
    for (const size of [1, 777, 4_100, 200_000]) {
      const out = await check(sampleMp4(), size);
      expect(Buffer.isBuffer(out) && out.equals(sampleMp4()), `chunks of ${size}`).toBe(true);
    }
  });

  it('passes a WebM by its EBML header', async () => {
    const out = await check(padded(webmStart));
    expect(Buffer.isBuffer(out) && out.length).toBe(webmStart.length + 20_000);
  });

  it.each([
    [
      'an HTML page',
      padded(Buffer.from('<!doctype html><html><body>Bad Gateway</body></html>')),
      'no video container',
    ],
    ['a JSON error', padded(Buffer.from('{"error":{"message":"upstream failed"}}')), 'no video container'],
    ['an audio-only M4A', padded(m4aStart), 'it is audio/'],
    [
      'a PNG image',
      padded(readFileSync(join(import.meta.dirname, '../fixtures/reference.png'))),
      'it is image/png',
    ],
  ])('refuses %s as bad_content', async (_name, bytes, why) => {
    const out = await check(bytes);
    expect(out).toBeInstanceOf(ProviderError);
    expect((out as ProviderError).kind).toBe('bad_content');
    expect((out as ProviderError).message).toContain('the provider sent a file that is not a video');
    expect((out as ProviderError).message).toContain(why);
  });

  it('refuses an MP4 start shorter than the floor, and an empty body', async () => {
    for (const bytes of [sampleMp4().subarray(0, minVideoBytes - 1), Buffer.alloc(0)]) {
      const out = await check(bytes);
      expect((out as ProviderError).kind).toBe('bad_content');
      expect((out as ProviderError).message).toContain(`only ${bytes.length} bytes`);
    }
  });
});
