import { describe, expect, it } from 'vitest';
import {
  escapeUntrusted,
  failureText,
  progressBar,
  renderJob,
  renderNotice,
} from '../../src/discord/render.ts';
import { providerErrorText } from '../../src/discord/replies.ts';
import { type MessageKey, t } from '../../src/i18n/index.ts';
import { type Job, jobStates } from '../../src/jobs/index.ts';
import { ProviderError } from '../../src/provider/index.ts';
import { createdAt, jobFixture as job } from './fixtures.ts';

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

  it('shows a progress bar, and when a running job started as a timestamp Discord keeps current', () => {
    const payload = renderJob(job({ progress: 42 }), 'en-US', { now, supportsRemix: false });
    expect(payload.embeds[0]?.description).toContain(progressBar(42));
    // The same text at any later time: the member's client counts up without edits.
    const later = renderJob(job({ progress: 42 }), 'en-US', { now: now + 600_000, supportsRemix: false });
    expect(later).toEqual(payload);
    expect(payload.embeds[0]?.fields?.find((field) => field.name === 'Started')?.value).toBe(
      `<t:${createdAt / 1000}:R>`,
    );
  });

  it('shows how long a finished job took, as a fixed duration', () => {
    const payload = renderJob(job({ state: 'delivered', deliveredAt: createdAt + 95_000 }), 'en-US', {
      now: now + 3_600_000,
      supportsRemix: false,
    });
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
    expect(labels(job({ state: 'queued' }), true)).toEqual(['Cancel', 'Open a thread']);
    expect(labels(job({ state: 'delivered' }), true)).toEqual([
      'Regenerate',
      'Remix',
      'Open a thread',
      'Remove',
    ]);
    expect(labels(job({ state: 'delivered' }), false)).toEqual(['Regenerate', 'Open a thread', 'Remove']);
    expect(labels(job({ state: 'failed' }), true)).toEqual(['Regenerate', 'Open a thread']);
    expect(labels(job({ state: 'delivering' }), true)).toEqual([]);
  });

  it('offers no Open a thread on a job in a thread, and neither the video nor Remix nor Remove once removed', () => {
    const labels = (j: Job) =>
      renderJob(j, 'en-US', { now, supportsRemix: true }).components.flatMap((row) =>
        row.components.map((b) => ('label' in b ? b.label : undefined)),
      );
    const threadId = '900000000000000001';
    expect(labels(job({ state: 'queued', threadId }))).toEqual(['Cancel']);
    expect(labels(job({ state: 'delivered', threadId }))).toEqual(['Regenerate', 'Remix', 'Remove']);
    const removed = job({
      state: 'delivered',
      threadId,
      removedAt: now,
      removedBy: '42',
      removedByRole: 'moderator',
    });
    expect(labels(removed)).toEqual(['Regenerate']);
    const link = {
      kind: 'link' as const,
      url: 'https://bot.example/media/1.mp4',
      reason: 'too_large' as const,
      sizeLimit: 10,
      linkExpiresAt: null,
      thumbnailName: 't.webp',
    };
    const card = renderJob(removed, 'en-US', { now, supportsRemix: true, delivery: link });
    expect(card.embeds[0]?.description).toContain('Video removed by a moderator.');
    expect(card.embeds[0]?.description).not.toContain('bot.example');
    expect(card.embeds[0]?.image).toBeUndefined();
    const byRequester = renderJob({ ...removed, removedByRole: 'requester' }, 'zh-CN', {
      now,
      supportsRemix: true,
    });
    expect(byRequester.embeds[0]?.description).toContain('视频已被请求者删除。');
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
    expect(payload.embeds[0]?.description).toContain(
      "The video is 30.0 MB, over this server's upload limit of 10.0 MB.",
    );
    expect(payload.embeds[0]?.description).toContain('(https://cdn.example/v.mp4)');
    expect(payload.embeds[0]?.description).toContain(`<t:${Math.floor((now + 3_600_000) / 1000)}:R>`);
  });

  it('says plainly when a video too large for the server has no link, and how an admin can fix it', () => {
    const payload = renderJob(job({ state: 'delivered', mediaBytes: 30 * 1024 * 1024 }), 'en-US', {
      now,
      supportsRemix: false,
      delivery: {
        kind: 'unlinked',
        reason: 'too_large',
        sizeLimit: 10 * 1024 * 1024,
        thumbnailName: 't.webp',
      },
    });
    const description = payload.embeds[0]?.description ?? '';
    expect(description).toContain("The video is 30.0 MB, over this server's upload limit of 10.0 MB.");
    expect(description).toContain(
      'An admin of the bot can set PUBLIC_URL (with HTTP_PORT) to get download links.',
    );
    expect(description).not.toContain('](');
    expect(payload.embeds[0]?.image).toEqual({ url: 'attachment://t.webp' });
    const zh = renderJob(job({ state: 'delivered', mediaBytes: 30 * 1024 * 1024 }), 'zh-CN', {
      now,
      supportsRemix: false,
      delivery: { kind: 'unlinked', reason: 'too_large', sizeLimit: 10 * 1024 * 1024 },
    });
    expect(zh.embeds[0]?.description).toContain('PUBLIC_URL');
    expect(zh.embeds[0]?.description).toContain('上传上限');
  });

  it("says what a running job costs of the server's daily seconds, and nothing once it has ended", () => {
    const context = { now, supportsRemix: false, guildSecondsPerDay: 600 };
    for (const state of ['submitting', 'queued', 'in_progress'] as const) {
      const card = renderJob(job({ state, seconds: 8 }), 'en-US', context);
      expect(card.embeds[0]?.description).toContain("\n-# 8 s of the server's 600 s today");
    }
    expect(renderJob(job({ seconds: 8 }), 'zh-CN', context).embeds[0]?.description).toContain(
      '-# 占本服务器今天 600 秒中的 8 秒',
    );
    expect(renderJob(job({ seconds: 8 }), 'zh-TW', context).embeds[0]?.description).toContain(
      '-# 佔這個伺服器今天 600 秒中的 8 秒',
    );
    for (const state of ['delivered', 'failed', 'canceled', 'completed'] as const) {
      expect(renderJob(job({ state, seconds: 8 }), 'en-US', context).embeds[0]?.description).not.toContain(
        "server's 600 s",
      );
    }
    // Without the server's allowance (drawn where it was not read), no cost line at all.
    expect(
      renderJob(job({ seconds: 8 }), 'en-US', { now, supportsRemix: false }).embeds[0]?.description,
    ).not.toContain("of the server's");
  });

  it("labels every state of a simulated job in the member's language", () => {
    for (const state of jobStates) {
      const en = renderJob(job({ state }), 'en-US', { now, supportsRemix: false, simulated: true });
      expect(en.embeds[0]?.footer?.text).toBe(
        'Job #7 · Simulated provider: a sample clip, not a generated video',
      );
      const zh = renderJob(job({ state }), 'zh-CN', { now, supportsRemix: false, simulated: true });
      expect(zh.embeds[0]?.footer?.text).toContain(t('zh-CN', 'simulated.label'));
    }
    expect(renderJob(job(), 'en-US', { now, supportsRemix: false }).embeds[0]?.footer?.text).toBe('Job #7');
  });
});

describe('a job made from a message', () => {
  it('says nothing of a message for a job made otherwise', () => {
    const payload = renderJob(job({ guildId: '1' }), 'en-US', { now, supportsRemix: false });
    expect(payload.embeds[0]?.description).not.toContain('a message');
  });
});

describe('a create that failed', () => {
  const code = (name: string) => Object.assign(new Error(name), { code: name });
  const cases: [string, MessageKey, ProviderError][] = [
    [
      'never sent (connection refused)',
      'failure.provider_down',
      new ProviderError('network', 'x', { cause: code('ECONNREFUSED') }),
    ],
    [
      'refused by the gateway (404)',
      'failure.provider_down',
      new ProviderError('not_found', 'x', { status: 404 }),
    ],
    [
      'refused as too many (429)',
      'failure.rate_limited',
      new ProviderError('rate_limited', 'x', { status: 429 }),
    ],
    ['answered 503', 'failure.provider_unclear', new ProviderError('provider_down', 'x', { status: 503 })],
    ['not answered in time', 'failure.provider_unclear', new ProviderError('timeout', 'x')],
    [
      'cut off after it was sent',
      'failure.provider_unclear',
      new ProviderError('network', 'x', { cause: code('ECONNRESET') }),
    ],
    [
      'answered with something unreadable',
      'failure.provider_unclear',
      new ProviderError('bad_response', 'x', { status: 200 }),
    ],
  ];
  it.each(cases)('%s: the member reads %s', (_, key, error) => {
    expect(providerErrorText('en-US', error)).toBe(t('en-US', key, { message: 'x', model: '' }));
  });

  it('says "nothing was charged" on its card only when it did not count', () => {
    const failed = (charged: boolean) => job({ state: 'failed', errorKind: 'provider_down', charged });
    expect(failureText(failed(false), 'en-US')).toContain('Nothing was charged');
    expect(failureText(failed(true), 'en-US')).toBe(t('en-US', 'failure.provider_unclear'));
  });
});

describe('renderNotice', () => {
  it('mentions only the requester', () => {
    const notice = renderNotice(job({ state: 'delivered' }), 'en-US');
    expect(notice.content).toBe('<@300000000000000001> your video is ready.');
    expect(notice.allowed_mentions).toEqual({ parse: [], users: ['300000000000000001'] });
  });

  it("labels the notice of a simulated job, ending or failing, in the member's language", () => {
    for (const state of ['delivered', 'failed', 'expired'] as const) {
      const notice = renderNotice(job({ state }), 'en-US', { simulated: true });
      expect(notice.content).toMatch(/^<@300000000000000001> your video .+\n-# Simulated provider: /);
      const zh = renderNotice(job({ state }), 'zh-CN', { simulated: true });
      expect(zh.content).toContain(`-# ${t('zh-CN', 'simulated.label')}`);
    }
  });

  it('tells the requester when a ready video could not be posted in the server', () => {
    const notice = renderNotice(job({ state: 'delivered' }), 'en-US', { unlinked: true });
    expect(notice.content).toBe(
      '<@300000000000000001> your video is ready, but it is too large to post in this server.',
    );
  });
});

describe('the reference image on the card', () => {
  const referenceField = (size: string | null, mustMatch: boolean, locale = 'en-US') =>
    renderJob(
      job({ referenceImages: [{ name: 'lion.png', url: 'https://cdn.example/lion.png', size }] }),
      locale,
      {
        now,
        supportsRemix: false,
        referenceMustMatchSize: mustMatch,
      },
    ).embeds[0]?.fields?.find((field) => field.name === t(locale, 'render.reference'));

  it('says the image was fitted when the model requires the video size and the image differs (snapshot)', () => {
    const field = referenceField('320x180', true);
    expect(field?.value).toBe("lion.png\nfitted to the video's 1280×720 (it was 320×180)");
    expect(field).toMatchSnapshot();
    expect(referenceField('320x180', true, 'zh-CN')?.value).toBe(
      'lion.png\n已裁切缩放为视频尺寸 1280×720（原为 320×180）',
    );
  });

  it('says nothing of fitting when the model takes any size, the sizes match, or the size is not known', () => {
    expect(referenceField('320x180', false)?.value).toBe('lion.png');
    expect(referenceField('1280x720', true)?.value).toBe('lion.png');
    expect(referenceField(null, true)?.value).toBe('lion.png');
  });
});

describe('where a job came from, on the card', () => {
  const guild = '100000000000000001';
  const channel = '200000000000000001';
  const card = '600000000000000009';
  const link = `https://discord.com/channels/${guild}/${channel}/${card}`;
  const render = (overrides: Partial<Job>, locale = 'en-US') =>
    renderJob(job({ state: 'delivered', deliveredAt: createdAt + 80_000, ...overrides }), locale, {
      now,
      supportsRemix: false,
    });
  const description = (overrides: Partial<Job>, locale = 'en-US') =>
    render(overrides, locale).embeds[0]?.description ?? '';
  const regenerated: Partial<Job> = {
    originKind: 'regenerate',
    originJobId: 12,
    originChannelId: channel,
    originMessageId: card,
  };

  it('links the job a Regenerate or a Remix was made from, to its card (snapshot)', () => {
    expect(description(regenerated)).toContain(`-# Regenerated from [job #12](${link})`);
    expect(description({ ...regenerated, originKind: 'remix', remixOfJobId: 12 })).toContain(
      `-# Remix of [job #12](${link})`,
    );
    expect(render(regenerated)).toMatchSnapshot();
    // A card whose message is not known (a row from before origins) still names the job.
    expect(description({ originKind: 'remix', originJobId: 12, remixOfJobId: 12 })).toContain(
      '-# Remix of job #12',
    );
    expect(description(regenerated, 'zh-CN')).toContain(`-# 重新生成自[任务 #12](${link})`);
    expect(description(regenerated, 'zh-TW')).toContain(`-# 重新產生自[任務 #12](${link})`);
  });

  it('says whose message it came from by a link and an escaped name, never a mention', () => {
    const fromMessage: Partial<Job> = {
      originKind: 'message',
      originChannelId: channel,
      originMessageId: card,
      originAuthorId: '300000000000000042',
      originAuthorName: '**Zoë** @everyone <@300000000000000001> [x](https://evil.example)',
    };
    const payload = render(fromMessage);
    const text = payload.embeds[0]?.description ?? '';
    expect(text).toContain(
      `-# From [a message](${link}) by \\*\\*Zoë\\*\\* @\u200beveryone <\u200b@\u200b300000000000000001\\> \\[x\\](https://evil.example)`,
    );
    expect(JSON.stringify(payload)).not.toContain('<@300000000000000042>');
    expect(payload.allowed_mentions).toEqual({ parse: [] });
    expect(description(fromMessage, 'zh-CN')).toContain(`-# 来自 \\*\\*Zoë\\*\\*`);
    expect(description({ ...fromMessage, originAuthorName: null }, 'zh-TW')).toContain(
      `-# 來自 某人 的[一則訊息](${link})`,
    );
  });

  it('labels each take of a request of several, a later one linking to the first take’s card', () => {
    const take = { requestId: 12, takeCount: 4 };
    expect(description({ ...take, takeIndex: 1, id: 12 })).toContain('-# Take 1 of 4');
    expect(
      description({
        ...take,
        takeIndex: 2,
        originKind: 'take',
        originJobId: 12,
        originChannelId: channel,
        originMessageId: card,
      }),
    ).toContain(`-# Take 2 of 4 · first take: [job #12](${link})`);
    // Before the first take's card is drawn, its number alone.
    expect(description({ ...take, takeIndex: 3, originKind: 'take', originJobId: 12 })).toContain(
      '-# Take 3 of 4 · first take: job #12',
    );
    expect(description({ ...take, takeIndex: 3, originKind: 'take', originJobId: 12 }, 'zh-CN')).toContain(
      '-# 第 3 版（共 4 版） · 第一版：任务 #12',
    );
    // A job asked alone, from a command, says nothing of either.
    expect(description({})).not.toMatch(/Take|from/);
  });
});

describe('the style and the channel defaults, on the card', () => {
  const description = (overrides: Partial<Job>, locale = 'en-US') =>
    renderJob(job(overrides), locale, { now, supportsRemix: false }).embeds[0]?.description ?? '';

  it('names the style, escaped, and never shows its text; says nothing of a job without one', () => {
    const text = description({
      prompt: 'a lighthouse',
      styleName: '**Noir** @everyone',
      styleText: 'hard shadows',
      stylePlacement: 'after',
    });
    expect(text).toContain('-# Style: \\*\\*Noir\\*\\* @\u200beveryone');
    expect(text).not.toContain('hard shadows');
    expect(description({})).not.toContain('Style');
  });

  it("lists the settings that were the channel's, in the member's language", () => {
    const defaulted: Partial<Job> = {
      size: '720x1280',
      seconds: 4,
      styleName: 'Storyboard',
      styleText: 'pencil',
      stylePlacement: 'before',
      defaultsApplied: ['size', 'seconds', 'style'],
    };
    expect(description(defaulted)).toContain('-# Channel defaults: 720×1280 · 4 s · style Storyboard');
    expect(description(defaulted, 'zh-CN')).toContain('-# 频道默认：720×1280 · 4 秒 · 风格 Storyboard');
    expect(description({ defaultsApplied: ['model'] })).toContain(`-# Channel defaults: ${job().model}`);
    expect(description({})).not.toContain('Channel defaults');
  });
});
