// What an operator reads in the log while the bot works: one info line per job transition.
import { afterEach, describe, expect, it } from 'vitest';
import {
  channelId,
  guildId,
  type Harness,
  isUpload,
  member,
  moderator,
  moderatorPermissions,
  prompt,
  sampleVideo,
  startHarness,
  until,
} from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

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
    const job = await until(() => h.bot.store.byState(['delivered'])[0]);

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

  it.each([
    { variant: 'hingnet' as const, how: 'link' },
    { variant: 'official' as const, how: 'unlinked' },
  ])('says how a video too large for the server was delivered ($how)', async ({ variant, how }) => {
    harness = await startHarness({ video: { variant } });
    const h = harness;
    h.command({ options: [prompt('too big for this server')], attachmentSizeLimit: 50_000 });
    const job = await until(() => h.bot.store.byState(['delivered'])[0], 15_000);
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
    const first = await until(() => {
      const running = h.bot.store.byState(['queued', 'in_progress'])[0];
      return running?.replyMessageId ? running : undefined;
    });
    h.discord.sendButton({
      guildId,
      channelId,
      user: moderator,
      memberPermissions: moderatorPermissions,
      customId: `reelbot:cancel:${first.id}`,
      messageId: first.replyMessageId ?? '',
    });
    await until(() => jobLines(h, first.id).some((line) => line.msg === 'job canceled'));
    expect(jobLines(h, first.id).at(-1)).toMatchObject({
      msg: 'job canceled',
      by: moderator.id,
      from: expect.stringMatching(/queued|in_progress/),
    });

    h.command({ options: [prompt('fail me')] });
    const second = await until(() => h.bot.store.byState(['queued', 'in_progress'])[0]);
    h.video.failJob(second.remoteId ?? '', 'generation_failed', 'the model gave up');
    await until(() => h.bot.store.get(second.id)?.state === 'failed');
    expect(jobLines(h, second.id).map((line) => line.msg)).toEqual(['job submitted', 'job failed']);
    expect(jobLines(h, second.id).at(-1)).toMatchObject({
      kind: 'provider_failed',
      code: 'generation_failed',
      videoId: second.remoteId,
    });
    expect(JSON.stringify(lines(h).filter((line) => line.level >= info))).not.toContain('the model gave up');
  });
});
