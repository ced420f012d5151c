// What counts as a job's video: bytes that start like a video container and are more than a stub.
// The container is recognised by `file-type` (maintained, ESM, ~1 MB with its dependencies, and
// detection from the first bytes): MP4 and MOV by their `ftyp` box and brand, WebM and Matroska by
// EBML and DocType, and it tells an audio-only M4A from a video, which a hand-written `ftyp` test
// would not. The check runs while the download streams, so a wrong file is dropped at its start.
import { Transform } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { ProviderError } from '../provider/index.ts';

/** What file-type reads to be sure of a type (its own "reasonable detection size"). */
const sampleBytes = 4_100;
/** Smaller than any generated video: a body this short is an error or a stub, whatever it starts with. */
export const minVideoBytes = 8 * 1024;

const notAVideo = (why: string) =>
  new ProviderError('bad_content', `the provider sent a file that is not a video (${why})`);

/** Passes a download through unchanged, or fails it with `bad_content` as soon as it is clearly no video. */
export function videoCheck(): Transform {
  const held: Buffer[] = [];
  let heldBytes = 0;
  let total = 0;
  let checked = false;

  async function checkSample(stream: Transform): Promise<void> {
    checked = true;
    const type = await fileTypeFromBuffer(Buffer.concat(held));
    if (!type?.mime.startsWith('video/')) {
      throw notAVideo(type ? `it is ${type.mime}` : 'its bytes start like no video container');
    }
    for (const chunk of held.splice(0)) stream.push(chunk);
  }

  const stream: Transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (checked) return done(null, chunk);
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < sampleBytes) return done();
      checkSample(stream).then(() => done(), done);
    },
    flush(done) {
      if (total < minVideoBytes) return done(notAVideo(`only ${total} bytes`));
      if (checked) return done();
      checkSample(stream).then(() => done(), done);
    },
  });
  return stream;
}
