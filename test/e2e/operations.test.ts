import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { t } from '../../src/i18n/index.ts';
import { type FakeDiscord, startFakeDiscord } from '../fakes/discord.ts';
import { type FakeVideoApi, startFakeVideoApi } from '../fakes/videoApi.ts';
import { startBotProcess } from './botProcess.ts';
import {
  apiKey,
  body,
  channelId,
  commandWithImage,
  embedText,
  envForFakes,
  guildId,
  type Harness,
  isUpload,
  jobButtonId,
  member,
  moderator,
  moderatorPermissions,
  otherMember,
  prompt,
  referencePng,
  sampleVideo,
  startHarness,
  until,
} from './harness.ts';
import { databaseIn } from './testDatabase.ts';

let harness: Harness | undefined;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Checks every line against the Prometheus text exposition format and returns the samples. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( \d+)?$/;
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const match = sample.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

describe('HTTP endpoint', () => {
  it('serves health and Prometheus metrics that parse, with the job metrics', async () => {
    harness = await startHarness({ env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' } });
    const address = harness.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const base = `http://127.0.0.1:${address.port}`;
    const { token } = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'metrics' }],
    });
    await harness.discord.waitForCall(isUpload(token), 15_000);
    await until(async () => (await harness?.bot.store.byState(['delivered']))?.length === 1);

    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const samples = parsePrometheus(await response.text());
    expect(samples.get('reelbot_jobs{state="delivered"}')).toBe(1);
    expect(samples.get('reelbot_jobs_in_flight')).toBe(0);
    expect(samples.get('reelbot_job_duration_seconds_count{state="delivered"}')).toBe(1);
    expect(samples.get('reelbot_job_duration_seconds_bucket{le="60",state="delivered"}')).toBe(1);
    expect(samples.get('reelbot_provider_requests_total{operation="create"}')).toBe(1);
    expect(samples.get('reelbot_provider_requests_total{operation="retrieve"}')).toBeGreaterThanOrEqual(3);
    expect(samples.get('reelbot_discord_edits_total{route="webhook"}')).toBeGreaterThanOrEqual(1);
    expect(samples.has('reelbot_nodejs_eventloop_lag_seconds')).toBe(true);
    expect([...samples.keys()].some((key) => key.startsWith('reelbot_discord_rate_limits_total'))).toBe(
      false,
    );

    harness.video.fail({ method: 'GET' }, { kind: 'status', status: 500 }, 20);
    await harness.bot.context.videoClient.retrieve('video_x').catch(() => undefined);
    const after = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
    expect(after.get('reelbot_provider_errors_total{operation="retrieve",kind="provider_down"}')).toBe(1);
  });

  it('counts a Discord 429 in reelbot_discord_rate_limits_total, and the rate-limited edit still lands', async () => {
    harness = await startHarness({ env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' } });
    const address = harness.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    harness.discord.rateLimitNext({ method: 'PATCH', withFiles: true }, 0.2);
    const { token } = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'limited' }],
    });
    await until(async () => (await harness?.bot.store.byState(['delivered']))?.length === 1, 15_000);
    expect(harness.discord.calls.filter(isUpload(token)).map((c) => c.status)).toEqual([429, 200]);
    const samples = parsePrometheus(await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text());
    expect(samples.get('reelbot_discord_rate_limits_total{global="false"}')).toBe(1);
  });

  it('falls back to a signed, expiring link on its own endpoint when a public URL is set', async () => {
    harness = await startHarness({
      env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', PUBLIC_URL: 'http://placeholder.invalid' },
    });
    const { token } = harness.command({
      attachmentSizeLimit: 10_000,
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'big' }],
    });
    const final = await harness.discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path.includes(token) && embedText(c).includes('Watch or download'),
      15_000,
    );
    const link =
      /\((http:\/\/placeholder\.invalid(\/media\/\d+-[0-9a-f]{32}\.mp4\?expires=\d+&sig=[\w-]+))\)/.exec(
        embedText(final),
      );
    expect(link).not.toBeNull();
    const address = harness.bot.http?.address();
    if (!address || typeof address === 'string') throw new Error('no HTTP endpoint');
    const local = `http://127.0.0.1:${address.port}${link?.[2]}`;
    const video = await fetch(local);
    expect(video.status).toBe(200);
    expect(Buffer.from(await video.arrayBuffer()).equals(sampleVideo())).toBe(true);
    const ranged = await fetch(local, { headers: { range: 'bytes=0-9' } });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(10);
    const forged = local.replace(/sig=[\w-]+/, 'sig=forged');
    expect((await fetch(forged)).status).toBe(404);
  });
});

describe('simulated provider', () => {
  it("runs the whole flow without an API key, labelled in every message in the member's language", async () => {
    harness = await startHarness({ env: { VIDEO_SIMULATED: 'true', VIDEO_API_KEY: '' } });
    const english = harness.command({
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'try it' }],
    });
    const chinese = harness.command({
      user: otherMember,
      locale: 'zh-CN',
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: '试一试' }],
    });
    const upload = await harness.discord.waitForCall(isUpload(english.token), 30_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    await harness.discord.waitForCall(isUpload(chinese.token), 30_000);
    const notices = await until(() => {
      const posted = harness?.discord.calls.filter(
        (c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages` && c.status === 200,
      );
      return posted && posted.length >= 2 ? posted : undefined;
    });
    expect(notices).toHaveLength(2);

    const labels = { 'en-US': t('en-US', 'simulated.label'), 'zh-CN': t('zh-CN', 'simulated.label') };
    let checked = 0;
    for (const call of harness.discord.calls) {
      if (!['POST', 'PATCH'].includes(call.method) || call.path.startsWith('/applications')) continue;
      const json = body(call);
      const message = (call.path.endsWith('/callback') ? json.data : json) as
        | Record<string, unknown>
        | undefined;
      if (!message || !('content' in message || 'embeds' in message)) continue;
      const text = `${String(message.content ?? '')}\n${embedText({ ...call, json: message })}`;
      const zh =
        call.path.includes(chinese.token) || String(message.content ?? '').includes(`<@${otherMember.id}>`);
      expect(text, `${call.method} ${call.path}`).toContain(labels[zh ? 'zh-CN' : 'en-US']);
      checked++;
    }
    // Both replies, their progress edits, both uploads and both notices.
    expect(checked).toBeGreaterThanOrEqual(6);
    expect(harness.video.requests).toHaveLength(0);
  }, 40_000);
});

describe('graceful shutdown', () => {
  it('stops on SIGTERM mid-job, and the restarted bot finishes the job once', async () => {
    const discord: FakeDiscord = await startFakeDiscord({
      guilds: [{ id: guildId, channels: [{ id: channelId }] }],
    });
    const video: FakeVideoApi = await startFakeVideoApi({ apiKey, pollsToComplete: 1_000 });
    cleanups.push(
      () => discord.close(),
      () => video.close(),
    );
    const dir = mkdtempSync(join(tmpdir(), 'reelbot-sigterm-'));
    const env = { ...envForFakes(discord, video, dir), ...(await databaseIn(dir)).env, LOG_LEVEL: 'info' };
    const first = startBotProcess(env);
    cleanups.push(() => first.child.kill('SIGKILL'));
    await until(() => first.output.join('').includes('"msg":"slash commands registered"'), 15_000);
    const { token } = discord.sendCommand({
      guildId,
      channelId,
      user: member,
      name: 'video',
      options: [{ name: 'prompt', type: ApplicationCommandOptionType.String, value: 'survive a restart' }],
    });
    await discord.waitForCall((c) => c.method === 'PATCH' && c.path.includes(token));
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(first.output.join('')).toContain('"msg":"shutting down"');
    expect(await (await databaseIn(dir)).query('SELECT state FROM jobs')).toEqual([
      { state: expect.stringMatching(/queued|in_progress/) },
    ]);

    const [job] = [...video.jobs.values()];
    video.completeJob(job?.id ?? '');
    const second = startBotProcess(env);
    cleanups.push(() => second.child.kill('SIGKILL'));
    const upload = await discord.waitForCall(isUpload(token), 20_000);
    expect(upload.files[0]?.bytes.equals(sampleVideo())).toBe(true);
    await discord.waitForCall((c) => c.method === 'POST' && c.path === `/channels/${channelId}/messages`);
    expect(discord.calls.filter(isUpload(token))).toHaveLength(1);
    expect(video.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(existsSync(join(dir, 'media'))).toBe(true);
    expect(body(upload)).toMatchObject({ attachments: [{ id: 0 }] });
  }, 45_000);
});

// What an operator reads in the log while the bot works: one info line per job transition.
interface LogLine {
  level: number;
  msg: string;
  jobId?: number;
  [field: string]: unknown;
}

const info = 30;
const debug = 20;

const lines = (h: Harness): LogLine[] => h.logs.map((line) => JSON.parse(line) as LogLine);
/** The job's lines at info and above, in the order they were written. */
const jobLines = (h: Harness, jobId: number) =>
  lines(h).filter((line) => line.jobId === jobId && line.level >= info);

describe('the job log', () => {
  it('follows one job at info from submission to delivery, in order, with its fields, and never its prompt', async () => {
    harness = await startHarness();
    const h = harness;
    const secretPrompt = 'a lighthouse only its author knows about';
    const { token } = h.command({ options: [prompt(secretPrompt)] });
    await h.discord.waitForCall(isUpload(token), 15_000);
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0]);

    const written = jobLines(h, job.id);
    expect(written.map((line) => line.msg)).toEqual(['job submitted', 'job completed', 'job delivered']);
    const [submitted, completed, delivered] = written;
    expect(submitted).toMatchObject({
      level: info,
      jobId: job.id,
      guildId,
      channelId,
      userId: member.id,
      model: 'veo-3.1-fast-generate-preview',
      seconds: 6,
      size: '1280x720',
      videoId: job.remoteId,
    });
    expect(completed).toMatchObject({ videoId: job.remoteId, generationSeconds: expect.any(Number) });
    expect(delivered).toMatchObject({ how: 'upload', bytes: sampleVideo().length });

    // The prompt is there for whoever turns on debug, and nowhere at info or above.
    expect(lines(h).some((line) => line.level === debug && line.prompt === secretPrompt)).toBe(true);
    const visible = lines(h).filter((line) => line.level >= info);
    expect(JSON.stringify(visible)).not.toContain('lighthouse');
  });

  it("never writes a prompt or a reference file name at info or above, even in the errors of Discord's refusals", async () => {
    harness = await startHarness();
    const h = harness;
    const secretPrompt = 'a lighthouse only its author knows about';
    const secretName = 'grandmas-secret-garden.png';
    // The first card: discord.js repeats a 5xx three times on its own, so four 500s reach the bot.
    h.discord.failNext(
      { method: 'PATCH', path: /@original$/, withFiles: false },
      500,
      { message: 'oops' },
      4,
    );
    // The upload: its client makes no repeats; delivery tries again later.
    h.discord.failNext({ method: 'PATCH', withFiles: true }, 500, { message: 'oops' });
    // A gateway whose error quotes the prompt, for one whole download (the client's four tries).
    const echo = { error: { message: `upstream could not render "${secretPrompt}"`, code: null } };
    h.video.fail(
      { method: 'GET', path: /\/content$/, query: /^$/ },
      { kind: 'status', status: 502, body: echo },
      4,
    );
    commandWithImage(h, referencePng(), secretName, { prompt: secretPrompt });
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);
    expect(h.discord.calls.filter((c) => c.files.length > 0).map((c) => c.status)).toEqual([500, 200]);

    const warned = lines(h).filter((line) => line.level >= 40 && line.jobId === job.id);
    expect(warned.map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        'the first card of a submitted job could not be shown',
        'video download failed',
        'upload to Discord failed',
      ]),
    );
    // What Discord was sent is summarised: how many files, never the message itself.
    const upload = warned.find((line) => line.msg === 'upload to Discord failed') as { err?: unknown };
    expect(upload.err).toMatchObject({ status: 500, requestBody: { files: 1, json: '[omitted]' } });
    const visible = JSON.stringify(lines(h).filter((line) => line.level >= info));
    expect(visible).not.toContain('lighthouse');
    expect(visible).not.toContain('grandmas-secret-garden');
    // Both are still there for whoever turns on debug.
    expect(lines(h).some((line) => line.level === debug && line.prompt === secretPrompt)).toBe(true);
    expect(
      lines(h).some(
        (line) =>
          line.level === debug &&
          Array.isArray(line.referenceNames) &&
          line.referenceNames.includes(secretName),
      ),
    ).toBe(true);
    expect(lines(h).some((line) => line.level === debug && line.reason === echo.error.message)).toBe(true);
  });

  it.each([
    { variant: 'hingnet' as const, how: 'link' },
    { variant: 'official' as const, how: 'unlinked' },
  ])('says how a video too large for the server was delivered ($how)', async ({ variant, how }) => {
    harness = await startHarness({ video: { variant } });
    const h = harness;
    h.command({ options: [prompt('too big for this server')], attachmentSizeLimit: 50_000 });
    const job = await until(async () => (await h.bot.store.byState(['delivered']))[0], 15_000);
    expect(jobLines(h, job.id).at(-1)).toMatchObject({
      msg: 'job delivered',
      how,
      bytes: sampleVideo().length,
    });
  });

  it('says who canceled a job, and why a job failed (kind and code)', async () => {
    harness = await startHarness({ video: { pollsToComplete: 500 } });
    const h = harness;
    h.command({ options: [prompt('cancel me')] });
    const first = await until(async () => {
      const running = (await h.bot.store.byState(['queued', 'in_progress']))[0];
      return running?.replyMessageId ? running : undefined;
    });
    h.discord.sendButton({
      guildId,
      channelId,
      user: moderator,
      memberPermissions: moderatorPermissions,
      customId: await jobButtonId(h, 'cancel', first.id),
      messageId: first.replyMessageId ?? '',
    });
    await until(() => jobLines(h, first.id).some((line) => line.msg === 'job canceled'));
    expect(jobLines(h, first.id).at(-1)).toMatchObject({
      msg: 'job canceled',
      by: moderator.id,
      from: expect.stringMatching(/queued|in_progress/),
    });

    h.command({ options: [prompt('fail me')] });
    const second = await until(async () => (await h.bot.store.byState(['queued', 'in_progress']))[0]);
    h.video.failJob(second.remoteId ?? '', 'generation_failed', 'the model gave up');
    await until(async () => (await h.bot.store.get(second.id))?.state === 'failed');
    expect(jobLines(h, second.id).map((line) => line.msg)).toEqual(['job submitted', 'job failed']);
    expect(jobLines(h, second.id).at(-1)).toMatchObject({
      kind: 'provider_failed',
      code: 'generation_failed',
      videoId: second.remoteId,
    });
    expect(JSON.stringify(lines(h).filter((line) => line.level >= info))).not.toContain('the model gave up');
  });
});
