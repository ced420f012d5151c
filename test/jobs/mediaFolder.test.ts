// The media folder's upkeep: pruning removes only what the bot wrote, once it is old enough, and
// never stops at an entry it cannot or must not touch; a video wanted twice at once is fetched once.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMediaStore, type Job } from '../../src/jobs/index.ts';
import { loadReferenceImage, saveReferenceImage } from '../../src/jobs/referenceImages.ts';

const hour = 3_600_000;
const key = '0123456789abcdef0123456789abcdef';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, destination), lines };
}

/** The media store on `dir` at time `now`, keeping files for 72 hours; it downloads nothing. */
function prunerOf(dir: string, now: number) {
  const { logger, lines } = capturedLogger();
  const noDownloads = () => Promise.reject(new Error('no downloads in this test'));
  const media = createMediaStore({
    dir,
    client: { download: noDownloads, downloadLink: noDownloads },
    maxBytes: 1_000,
    retentionMs: 72 * hour,
    now: () => now,
    logger,
  });
  return { media, lines };
}

async function folder(entries: { name: string; ageHours: number; folder?: boolean }[]) {
  const dir = await mkdtemp(join(tmpdir(), 'reelbot-media-'));
  const now = Date.now();
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.folder) {
      await mkdir(path);
      await writeFile(join(path, 'inside.mp4'), 'kept by someone else');
    } else {
      await writeFile(path, 'bytes');
    }
    const at = new Date(now - entry.ageHours * hour);
    await utimes(path, at, at);
  }
  return { dir, now };
}

describe('pruning the media folder', () => {
  it('removes only old files of its own naming, skipping folders and foreign files, and logs them', async () => {
    const own = [
      `reelbot-1-${key}.mp4`,
      `reelbot-1-${key}-reference.img`,
      `reelbot-1-${key}-reference-1.img`,
      `reelbot-1-${key}-reference-3.img.part`,
      `reelbot-2-${key}.mp4.part`,
      'reelbot-3.mp4',
      'reelbot-3-reference.img',
    ];
    const others = ['notes.txt', 'reelbot-final.mp4', 'holiday.mp4', `reelbot-4-${key}.mp4.bak`];
    const { dir, now } = await folder([
      // Folders an operator or the file system put there, one of them named like a video.
      { name: 'lost+found', ageHours: 500, folder: true },
      { name: 'backups', ageHours: 500, folder: true },
      { name: 'reelbot-9.mp4', ageHours: 500, folder: true },
      ...own.map((name) => ({ name, ageHours: 100 })),
      ...others.map((name) => ({ name, ageHours: 100 })),
      { name: `reelbot-5-${key}.mp4`, ageHours: 1 },
    ]);
    const { media, lines } = prunerOf(dir, now);

    expect(await media.prune()).toBe(own.length);
    for (const name of own) expect(existsSync(join(dir, name)), name).toBe(false);
    for (const name of [...others, `reelbot-5-${key}.mp4`, 'lost+found/inside.mp4', 'backups/inside.mp4']) {
      expect(existsSync(join(dir, name)), name).toBe(true);
    }
    expect(existsSync(join(dir, 'reelbot-9.mp4', 'inside.mp4'))).toBe(true);

    const removedLines = lines.filter((line) => line.level === 20 && typeof line.file === 'string');
    expect(removedLines.map((line) => line.file).sort()).toEqual([...own].sort());
    const summary = lines.filter((line) => line.level === 30);
    expect(summary).toEqual([expect.objectContaining({ removed: own.length })]);
    expect(JSON.stringify(summary)).not.toContain('reelbot-');
  });

  it('warns when the media folder cannot be read, and says nothing when it does not exist yet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-media-'));
    // A path the bot cannot list (here a file where the folder should be: ENOTDIR; a folder it may
    // not read gives EACCES the same way): pruning would never remove anything again.
    const notAFolder = join(dir, 'media');
    await writeFile(notAFolder, 'not a folder');
    const unreadable = prunerOf(notAFolder, Date.now());
    expect(await unreadable.media.prune()).toBe(0);
    expect(unreadable.lines.filter((line) => (line.level as number) >= 40)).toEqual([
      expect.objectContaining({
        level: 40,
        dir: notAFolder,
        err: expect.objectContaining({ code: 'ENOTDIR' }),
        msg: 'could not read the media folder to prune it',
      }),
    ]);

    const missing = prunerOf(join(dir, 'not-made-yet'), Date.now());
    expect(await missing.media.prune()).toBe(0);
    expect(missing.lines).toEqual([]);
  });

  it('says nothing at info when nothing was old enough', async () => {
    const { dir, now } = await folder([{ name: `reelbot-1-${key}.mp4`, ageHours: 1 }]);
    const { media, lines } = prunerOf(dir, now);
    expect(await media.prune()).toBe(0);
    expect(lines.filter((line) => (line.level as number) >= 30)).toEqual([]);
  });
});

describe('downloading a kept video', () => {
  it('downloads a job wanted twice at once (a link opened during its delivery) once, for both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-media-'));
    const video = readFileSync(join(import.meta.dirname, '../../assets/sample.mp4'));
    const downloads: string[] = [];
    const media = createMediaStore({
      dir,
      client: {
        async download(id) {
          downloads.push(id);
          // Sent in two pieces, a moment apart: the second caller arrives while the first is writing.
          const pieces = [video.subarray(0, 1_000), video.subarray(1_000)];
          const stream = Readable.from(
            (async function* () {
              for (const piece of pieces) {
                yield piece;
                await new Promise((resolve) => setTimeout(resolve, 20));
              }
            })(),
          );
          return { stream, contentType: 'video/mp4', contentLength: video.length };
        },
        downloadLink: () => Promise.reject(new Error('not asked for')),
      },
      maxBytes: 10_000_000,
      retentionMs: 72 * hour,
      logger: capturedLogger().logger,
    });
    // ensure() reads only these of the row.
    const job = { id: 7, mediaKey: key, remoteId: 'video_7', videoUrl: null } as Job;
    const [first, second] = await Promise.all([media.ensure(job), media.ensure(job)]);
    expect(downloads).toEqual(['video_7']);
    expect(first).toEqual(second);
    expect(first.ok && readFileSync(first.path).equals(video)).toBe(true);
    expect(readdirSync(dir)).toEqual([`reelbot-7-${key}.mp4`]);
  });
});

describe('kept reference images', () => {
  it('keeps each image of a job under its number, and still reads image 1 kept by a version with one image per job', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-references-'));
    const job = { id: 7, mediaKey: key };
    await saveReferenceImage(dir, job, new Uint8Array([1, 1]), 1);
    await saveReferenceImage(dir, job, new Uint8Array([3, 3, 3]), 3);
    expect(existsSync(join(dir, `reelbot-7-${key}-reference-3.img`))).toBe(true);
    expect(await loadReferenceImage(dir, job, 1)).toEqual(new Uint8Array([1, 1]));
    expect(await loadReferenceImage(dir, job, 2)).toBeNull();
    expect(await loadReferenceImage(dir, job, 3)).toEqual(new Uint8Array([3, 3, 3]));
    // Another job's key never reads this job's files.
    expect(await loadReferenceImage(dir, { id: 7, mediaKey: 'f'.repeat(32) }, 1)).toBeNull();

    const older = await mkdtemp(join(tmpdir(), 'reelbot-references-'));
    await writeFile(join(older, `reelbot-7-${key}-reference.img`), new Uint8Array([9]));
    expect(await loadReferenceImage(older, job, 1)).toEqual(new Uint8Array([9]));
    expect(await loadReferenceImage(older, job, 2)).toBeNull();
  });
});
