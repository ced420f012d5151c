// Kept files and links belong to their job, not to a job number: a media folder that outlives its
// database (deleted to start afresh, restored from a backup) never hands one job's file to another.
// On SQLite the database is the file beside the folder; on PostgreSQL, a database dropped, copied
// and restored in its place (testDatabase.ts).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { jobCustomId, numberedJobCustomId } from '../../src/discord/customIds.ts';
import {
  cardMessageId,
  channelId,
  clickRegenerate,
  commandWithImage,
  embedText,
  ephemeralReply,
  guildId,
  type Harness,
  isUpload,
  member,
  prompt,
  sampleVideo,
  startHarness,
  until,
  uploadModelEnv,
} from './harness.ts';
import { copyDatabase, deleteDatabase, restoreDatabase } from './testDatabase.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function start(options: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(options);
  harnesses.push(h);
  return h;
}

/** A real MP4 whose bytes say which database's job it was made for. */
const videoFor = (label: string) => Buffer.concat([sampleVideo(), Buffer.from(`made for ${label}`)]);

const solidPng = (colour: string) =>
  sharp({ create: { width: 64, height: 36, channels: 3, background: colour } })
    .png()
    .toBuffer();

/** A /video with a reference image; resolves with the delivered job. */
async function videoWithImage(h: Harness, image: Buffer, name: string) {
  commandWithImage(h, image, name, { prompt: `a video from ${name}` });
  return until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);
}

/** Clicks Regenerate on job `jobId` and resolves with the image bytes the provider was sent for the new job. */
async function regenerate(h: Harness, jobId: number): Promise<Buffer | undefined> {
  const creates = () => h.video.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos');
  const before = creates().length;
  const click = await clickRegenerate(h, { id: jobId });
  await h.discord.waitForCall(isUpload(click.token), 15_000);
  expect(creates()).toHaveLength(before + 1);
  return creates().at(-1)?.multipart?.files.input_reference?.bytes;
}

describe('kept files belong to their job', () => {
  it("uploads job #1 of a new database with its own video, not the old database's job #1", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-reset-'));
    const first = await start({ dir, video: { video: videoFor('the first database') } });
    const one = first.command({ options: [prompt('the first one')] });
    const firstUpload = await first.discord.waitForCall(isUpload(one.token), 15_000);
    expect(firstUpload.files[0]?.bytes.equals(videoFor('the first database'))).toBe(true);
    await first.close();
    await deleteDatabase(dir);

    const second = await start({ dir, video: { video: videoFor('the second database') } });
    const two = second.command({ options: [prompt('the second one')] });
    const secondUpload = await second.discord.waitForCall(isUpload(two.token), 15_000);
    expect((await second.bot.store.byState(['delivering', 'delivered']))[0]?.id).toBe(1);
    expect(
      secondUpload.files[0]?.bytes.equals(videoFor('the second database')),
      "job #1 of the second database was answered with the first database's video",
    ).toBe(true);
  });

  it("regenerates with each database's own image, also after a backup is restored", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-restore-'));
    const [lion, boat] = [await solidPng('#c08020'), await solidPng('#2040c0')];
    const first = await start({ dir, env: uploadModelEnv });
    expect((await videoWithImage(first, lion, 'lion.png')).id).toBe(1);
    await first.close();
    await copyDatabase(dir, 'backup.db');
    await deleteDatabase(dir);

    const second = await start({ dir, env: uploadModelEnv });
    expect((await videoWithImage(second, boat, 'boat.png')).id).toBe(1);
    expect((await regenerate(second, 1))?.equals(boat), 'the second database sent another image').toBe(true);
    await second.close();

    // The first database comes back from its backup, with the same media folder.
    await restoreDatabase(dir, 'backup.db');
    const restored = await start({ dir, env: uploadModelEnv });
    const sent = await regenerate(restored, 1);
    expect(sent?.equals(boat), "the restored job #1 was regenerated with the other database's image").toBe(
      false,
    );
    expect(sent?.equals(lion)).toBe(true);
  });

  it('never regenerates with an image kept for another database, even when its own was not kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-unkept-'));
    const [lion, boat] = [await solidPng('#c08020'), await solidPng('#2040c0')];
    const first = await start({ dir, env: uploadModelEnv });
    await videoWithImage(first, lion, 'lion.png');
    await first.close();
    await deleteDatabase(dir);

    const second = await start({ dir, env: uploadModelEnv });
    // Discord fails the first edit of the reply, so the second job #1 never keeps its image.
    second.discord.failNext(
      { method: 'PATCH', path: /messages\/@original$/ },
      500,
      { message: 'oops', code: 0 },
      4,
    );
    const job = await videoWithImage(second, boat, 'boat.png');
    expect(job.id).toBe(1);
    const sent = await regenerate(second, 1);
    expect(sent?.equals(lion), "job #1 of the second database was regenerated with the first's image").toBe(
      false,
    );
  });

  it('does not open the new job #1 with a link made for the old job #1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-links-'));
    const env = { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' };
    const linkOf = async (h: Harness) => {
      const { token } = h.command({ attachmentSizeLimit: 10_000, options: [prompt('too large to upload')] });
      const final = await h.discord.waitForCall(
        (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('Watch or download'),
        15_000,
      );
      const path = /\(http:\/\/placeholder\.invalid(\/media\/[^)]+)\)/.exec(embedText(final))?.[1];
      if (!path) throw new Error('no link');
      return path;
    };
    const first = await start({ dir, env, video: { video: videoFor('the first database') } });
    const oldLink = await linkOf(first);
    await first.close();
    await deleteDatabase(dir);

    const second = await start({ dir, env, video: { video: videoFor('the second database') } });
    const newLink = await linkOf(second);
    const address = second.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const base = `http://127.0.0.1:${address.port}`;
    const viaOld = await fetch(`${base}${oldLink}`);
    expect(viaOld.status, 'a link made before the reset opened the new job #1').toBe(404);
    const viaNew = await fetch(`${base}${newLink}`);
    expect(Buffer.from(await viaNew.arrayBuffer()).equals(videoFor('the second database'))).toBe(true);
  });
});

describe("a card belongs to its job, not to the job's number", () => {
  it("refuses Regenerate and Cancel on a card of the old database's job #1 after a reset, with no provider call", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelbot-old-card-'));
    const first = await start({ dir });
    first.command({ options: [prompt('the old job')] });
    const old = await until(async () => (await first.bot.store.byState(['delivered']))[0], 15_000);
    const oldCard = { id: cardMessageId(first, old), regen: jobCustomId('regen', old) };
    await first.close();
    await deleteDatabase(dir);

    const second = await start({ dir, video: { pollsToComplete: 500 } });
    second.command({ options: [prompt('the new job')] });
    const running = await until(async () => (await second.bot.store.byState(['queued', 'in_progress']))[0]);
    expect(running.id).toBe(1);
    const creates = () => second.video.requests.filter((r) => r.method === 'POST').length;
    const before = creates();
    for (const customId of [oldCard.regen, jobCustomId('cancel', old), numberedJobCustomId('cancel', 1)]) {
      const click = second.discord.sendButton({
        guildId,
        channelId,
        user: member,
        customId,
        messageId: oldCard.id,
      });
      expect(await ephemeralReply(second, click.token)).toBe('That video job no longer exists.');
    }
    expect(creates()).toBe(before);
    expect((await second.bot.store.get(1))?.state).toMatch(/queued|in_progress/);
  });

  it('still answers the numbered buttons of a card drawn before tags, for a job made before them', async () => {
    const h = await start({ video: { pollsToComplete: 500 } });
    h.command({ options: [prompt('made by the older version')] });
    const job = await until(async () => {
      const row = (await h.bot.store.byState(['queued', 'in_progress']))[0];
      return row?.replyMessageId ? row : undefined;
    });
    await h.database.run('UPDATE jobs SET made_before_media_keys = TRUE WHERE id = ?', [job.id]);
    h.discord.sendButton({
      guildId,
      channelId,
      user: member,
      customId: numberedJobCustomId('cancel', job.id),
      messageId: cardMessageId(h, job),
    });
    await until(async () => (await h.bot.store.get(job.id))?.state === 'canceled');
  });
});
