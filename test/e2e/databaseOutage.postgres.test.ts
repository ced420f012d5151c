// The PostgreSQL server goes away while the bot runs, and comes back: members are asked to try
// again in a moment (nothing is spent), the tracker pauses with one warning and resumes by itself,
// /readyz says not ready meanwhile, and no job is lost, half-written or delivered twice. Each test
// runs the bot on a PostgreSQL server of its own, which it kills (as in a crash) and restarts.
import { afterEach, describe, expect, it } from 'vitest';
import { t } from '../../src/i18n/index.ts';
import type { Job } from '../../src/jobs/index.ts';
import type { RecordedCall } from '../fakes/discord.ts';
import { freshDatabase } from '../support/database.ts';
import { type PostgresServer, startPostgresServer } from '../support/postgresServer.ts';
import {
  commandWithImage,
  ephemeralReply,
  type Harness,
  isUpload,
  prompt,
  referencePng,
  sampleVideo,
  startHarness,
  until,
} from './harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const restarting = t('en-US', 'error.restarting');

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const lines = (h: Harness): LogLine[] => h.logs.map((line) => JSON.parse(line) as LogLine);
const linesSaying = (h: Harness, msg: string) => lines(h).filter((line) => line.msg === msg);

const creates = (h: Harness) =>
  h.video.requests.filter((r) => r.method === 'POST' && r.path === '/v1/videos');
const polls = (h: Harness) =>
  h.video.requests.filter((r) => r.method === 'GET' && /^\/v1\/videos\/[\w-]+$/.test(r.path));

/** The bot on a PostgreSQL server of the test's own, with its HTTP endpoint. */
async function botOnItsOwnServer(
  options: { checkBeforeAcknowledgeMs?: number } = {},
): Promise<{ h: Harness; server: PostgresServer; status: (path: string) => Promise<number> }> {
  const server = await startPostgresServer();
  cleanups.push(() => server.stop());
  const database = await freshDatabase(server.url);
  const h = await startHarness({
    video: { pollsToComplete: 1_000 },
    env: { DATABASE_URL: database.url, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' },
    checkBeforeAcknowledgeMs: options.checkBeforeAcknowledgeMs,
  });
  cleanups.push(() => h.close());
  const address = h.bot.http?.address();
  if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
  const status = async (path: string) => (await fetch(`http://127.0.0.1:${address.port}${path}`)).status;
  return { h, server, status };
}

/** A /video whose job is running at the provider and shown on its card. */
async function runningJob(h: Harness, text: string): Promise<{ job: Job; token: string }> {
  const { token } = h.command({ options: [prompt(text)] });
  const job = await until(async () => {
    const row = (await h.bot.store.byState(['queued', 'in_progress'])).find((r) => r.prompt === text);
    return row?.replyMessageId ? row : undefined;
  });
  return { job, token };
}

/** Kills the server and waits until the bot has noticed (its pool, the tracker or a probe). */
async function serverGoesAway(h: Harness, server: PostgresServer): Promise<void> {
  await server.kill();
  await until(() => !h.bot.store.isAvailable());
}

describe('a PostgreSQL server that goes away while the bot runs', () => {
  it('asks members to try again in a moment, pauses polls, and delivers the job once the server is back', async () => {
    const { h, server, status } = await botOnItsOwnServer();
    const readyz = () => status('/readyz');
    const { job, token } = await runningJob(h, 'made across an outage');
    expect(await readyz()).toBe(200);

    await serverGoesAway(h, server);
    expect(await readyz()).toBe(503);
    expect(await status('/metrics')).toBe(503);
    expect(await status('/livez')).toBe(200);
    const asked = h.command({ options: [prompt('sent while the database is away')] });
    expect(await ephemeralReply(h, asked.token)).toBe(restarting);
    expect(creates(h)).toHaveLength(1);
    // A poll already out may still land; after it, nothing is asked of the provider that could not be recorded.
    await until(
      () => linesSaying(h, 'the job store cannot be reached: polls paused until it is back').length,
    );
    const pollsWhileAway = polls(h).length;
    h.video.completeJob(job.remoteId ?? '');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(polls(h)).toHaveLength(pollsWhileAway);

    await server.restart();
    await until(async () => (await readyz()) === 200, 15_000);
    expect(await status('/metrics')).toBe(200);
    const upload = await h.discord.waitForCall(isUpload(token), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    await until(async () => (await h.bot.store.get(job.id))?.state === 'delivered');
    expect(h.discord.calls.filter(isUpload(token))).toHaveLength(1);

    // One warning for the whole outage, one line when it ended, and no error loop meanwhile.
    expect(linesSaying(h, 'the job store cannot be reached: polls paused until it is back')).toHaveLength(1);
    expect(linesSaying(h, 'the job store is back: polls resume')).toHaveLength(1);
    expect(lines(h).filter((line) => line.level >= 50)).toEqual([]);
    // The member who was asked to wait spent nothing: no row, no provider job.
    expect((await h.bot.store.byState(['submitting', 'queued', 'in_progress', 'failed'])).length).toBe(0);

    // And /video works again.
    const again = h.command({ options: [prompt('after the outage')] });
    await h.discord.waitForCall(
      (c: RecordedCall) => c.method === 'PATCH' && c.path.includes(again.token) && c.files.length === 0,
    );
    expect(creates(h)).toHaveLength(2);
  }, 60_000);

  it('finishes a delivery whose upload was in flight when the server went away, uploading once', async () => {
    const { h, server } = await botOnItsOwnServer();
    const { job, token } = await runningJob(h, 'uploaded during the outage');
    const held = h.discord.holdNext({ method: 'PATCH', withFiles: true });
    h.video.completeJob(job.remoteId ?? '');
    await held.arrived;
    expect((await h.bot.store.get(job.id))?.state).toBe('delivering');

    // Discord takes the upload while the database is away: the bot cannot record it yet.
    await serverGoesAway(h, server);
    held.release();
    await until(
      () => linesSaying(h, 'the job store cannot be reached: delivery is tried again later').length,
    );

    await server.restart();
    await until(
      async () => (await h.bot.store.get(job.id).catch(() => undefined))?.state === 'delivered',
      15_000,
    );
    expect(h.discord.calls.filter(isUpload(token))).toHaveLength(1);
    const row = await h.bot.store.get(job.id);
    expect(row).toMatchObject({ state: 'delivered', errorKind: null });
    expect(lines(h).filter((line) => line.level >= 50)).toEqual([]);
  }, 60_000);

  it('takes back the public "thinking…" of a /video acknowledged before the server went away, and answers only the member', async () => {
    const { h, server } = await botOnItsOwnServer({ checkBeforeAcknowledgeMs: 50 });
    // The image takes a while to arrive: the command is acknowledged publicly before it is checked.
    const sent = commandWithImage(h, referencePng(), 'slow.png', { delayMs: 1_500 });
    await h.discord.waitForCall((c) => c.path.endsWith(`${sent.token}/callback`));
    await serverGoesAway(h, server);
    expect(await ephemeralReply(h, sent.token)).toBe(restarting);
    await h.discord.waitForCall(
      (c) => c.method === 'DELETE' && c.path.includes(`${sent.token}/messages/@original`),
    );
    expect(creates(h)).toHaveLength(0);

    await server.restart();
    await until(() => h.bot.store.isAvailable(), 15_000);
    expect(await h.bot.store.byState(['submitting', 'queued', 'in_progress', 'failed'])).toEqual([]);
  }, 60_000);

  it('keeps a job the provider accepted while the server was away: recorded once it is back, then delivered', async () => {
    const { h, server } = await botOnItsOwnServer();
    const create = h.video.hold({ method: 'POST', path: /^\/v1\/videos$/ });
    const { token } = h.command({ options: [prompt('accepted during the outage')] });
    await create.arrived;
    // The row says submitting; the provider accepts the job while the database is away.
    await serverGoesAway(h, server);
    create.release();
    await until(() => h.video.jobs.size === 1);

    await server.restart();
    const job = await until(async () => {
      const row = (await h.bot.store.byState(['queued', 'in_progress']).catch(() => []))[0];
      return row?.replyMessageId ? row : undefined;
    }, 15_000);
    expect(job.remoteId).toBe([...h.video.jobs.keys()][0]);
    h.video.completeJob(job.remoteId ?? '');
    const upload = await h.discord.waitForCall(isUpload(token), 15_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    expect(creates(h)).toHaveLength(1);
    // The member never heard "try again": their job was on its way all along.
    expect(h.discord.calls.some((c) => JSON.stringify(c.json ?? {}).includes(restarting))).toBe(false);
  }, 60_000);
});
