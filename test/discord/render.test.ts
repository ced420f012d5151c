import { describe, expect, it } from 'vitest';
import { escapeUntrusted, progressBar, renderJob, renderNotice } from '../../src/discord/render.ts';
import { type Job, jobStates } from '../../src/jobs/index.ts';

const createdAt = Date.UTC(2026, 10, 24, 12, 0, 0);

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 7,
    remoteId: 'video_abc',
    guildId: '100000000000000001',
    channelId: '200000000000000001',
    userId: '300000000000000001',
    applicationId: '400000000000000001',
    interactionId: '500000000000000001',
    interactionToken: 'token',
    interactionCreatedAt: createdAt,
    replyMessageId: '600000000000000001',
    ephemeral: false,
    attachmentSizeLimit: 10 * 1024 * 1024,
    locale: 'en-US',
    model: 'veo-3.1-fast-generate-preview',
    prompt: 'A cinematic lion at sunset',
    seconds: 6,
    size: '1280x720',
    referenceUrl: null,
    referenceName: null,
    remixOfJobId: null,
    state: 'in_progress',
    progress: 42,
    reportsProgress: true,
    errorKind: null,
    errorCode: null,
    errorMessage: null,
    videoUrl: null,
    videoExpiresAt: null,
    mediaPath: null,
    mediaBytes: null,
    charged: true,
    createdAt,
    updatedAt: createdAt + 30_000,
    completedAt: null,
    deliveredAt: null,
    nextPollAt: null,
    pollAttempts: 0,
    progressChangedAt: null,
    deliveryAttempts: 0,
    ...overrides,
  };
}

const now = createdAt + 95_000;

describe('renderJob', () => {
  it.each(jobStates)('renders the %s state (snapshot)', (state) => {
    const failed = state === 'failed' ? { errorKind: 'moderation', errorMessage: 'blocked' } : {};
    const finished = ['delivered', 'failed', 'canceled', 'expired'].includes(state)
      ? { deliveredAt: createdAt + 80_000 }
      : {};
    expect(
      renderJob(job({ state, ...failed, ...finished }), 'en-US', { now, supportsRemix: true }),
    ).toMatchSnapshot();
  });

  it('renders in Chinese for zh-CN members, and in English for unknown locales', () => {
    const zh = renderJob(job({ locale: 'zh-CN' }), 'zh-CN', { now, supportsRemix: false });
    expect(zh.embeds[0]?.description).toContain('生成中');
    expect(zh.components[0]?.components[0]).toMatchObject({ label: '取消' });
    const fallback = renderJob(job(), 'pt-BR', { now, supportsRemix: false });
    expect(fallback.embeds[0]?.description).toContain('Generating');
  });

  it('shows a progress bar with the percentage and the elapsed time', () => {
    const payload = renderJob(job({ progress: 42 }), 'en-US', { now, supportsRemix: false });
    expect(payload.embeds[0]?.description).toContain(progressBar(42));
    expect(payload.embeds[0]?.fields?.find((field) => field.name === 'Elapsed')?.value).toBe('1:35');
  });

  it('says so when the provider reports no progress', () => {
    const payload = renderJob(job({ progress: 0, reportsProgress: false }), 'en-US', {
      now,
      supportsRemix: false,
    });
    expect(payload.embeds[0]?.description).toContain('does not report progress');
  });

  it('never lets a prompt ping or break formatting', () => {
    const hostile = job({
      prompt: '@everyone <@123456789012345678> **bold** `code` [x](http://evil) <#1> ||spoiler||',
    });
    const payload = renderJob(hostile, 'en-US', { now, supportsRemix: false });
    const description = payload.embeds[0]?.description ?? '';
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    expect(description).not.toContain('@everyone');
    expect(description).not.toContain('<@123456789012345678>');
    expect(description).toContain('\\*\\*bold\\*\\*');
    expect(description).toContain('\\[x\\](http://evil)');
  });

  it('truncates long prompts on a character boundary', () => {
    const long = '视'.repeat(500);
    const escaped = escapeUntrusted(long, 300);
    expect([...escaped]).toHaveLength(300);
    expect(escaped.endsWith('…')).toBe(true);
  });

  it('offers Cancel while running, Regenerate and Remix when delivered (remix only where the model supports it)', () => {
    const labels = (j: Job, supportsRemix: boolean) =>
      renderJob(j, 'en-US', { now, supportsRemix }).components.flatMap((row) =>
        row.components.map((b) => ('label' in b ? b.label : undefined)),
      );
    expect(labels(job({ state: 'queued' }), true)).toEqual(['Cancel']);
    expect(labels(job({ state: 'delivered' }), true)).toEqual(['Regenerate', 'Remix']);
    expect(labels(job({ state: 'delivered' }), false)).toEqual(['Regenerate']);
    expect(labels(job({ state: 'failed' }), true)).toEqual(['Regenerate']);
    expect(labels(job({ state: 'delivering' }), true)).toEqual([]);
  });

  it('explains a link delivery and when the link expires', () => {
    const payload = renderJob(job({ state: 'delivered', mediaBytes: 30 * 1024 * 1024 }), 'en-US', {
      now,
      supportsRemix: false,
      delivery: {
        kind: 'link',
        url: 'https://cdn.example/v.mp4',
        reason: 'too_large',
        sizeLimit: 10 * 1024 * 1024,
        linkExpiresAt: now + 3_600_000,
      },
    });
    expect(payload.embeds[0]?.description).toContain('The video (30.0 MB) is larger than this server allows');
    expect(payload.embeds[0]?.description).toContain('(https://cdn.example/v.mp4)');
    expect(payload.embeds[0]?.description).toContain(`<t:${Math.floor((now + 3_600_000) / 1000)}:R>`);
  });
});

describe('renderNotice', () => {
  it('mentions only the requester', () => {
    const notice = renderNotice(job({ state: 'delivered' }), 'en-US');
    expect(notice.content).toBe('<@300000000000000001> your video is ready.');
    expect(notice.allowed_mentions).toEqual({ parse: [], users: ['300000000000000001'] });
  });
});
