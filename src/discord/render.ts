// Rendering a job into a Discord message payload: a pure function of the job, the locale and the time.
import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  ButtonStyle,
  ComponentType,
  MessageFlags,
  messageLink,
  TimestampStyles,
  time,
  userMention,
} from 'discord.js';
import { type MessageKey, t } from '../i18n/index.ts';
import { isFinal, type Job, type JobReferenceImage, type JobState } from '../jobs/index.ts';
import { referenceUnreadableCode, tooManyReferencesCode } from '../provider/index.ts';
import { jobCustomId } from './customIds.ts';

export const promptPreviewLength = 300;

/**
 * Why a video is shown as a link (or not at all) instead of an upload: larger than the server's
 * upload limit we knew, refused by Discord as too large, another upload failure, or larger than
 * the bot downloads (MAX_VIDEO_BYTES).
 */
export type LinkReason = 'too_large' | 'upload_too_large' | 'upload_failed' | 'over_download_limit';

export type Delivery =
  | { kind: 'attachment'; fileName?: string }
  | {
      kind: 'link';
      url: string;
      reason: LinkReason;
      linkExpiresAt: number | null;
      sizeLimit?: number;
      thumbnailName?: string;
    }
  /** Made, but too large for the server and no link to offer: the card says so and how to fix it. */
  | {
      kind: 'unlinked';
      reason: 'too_large' | 'upload_too_large';
      sizeLimit?: number;
      thumbnailName?: string;
    };

export interface RenderContext {
  now: number;
  supportsRemix: boolean;
  delivery?: Delivery;
  /** The bot runs against the simulated provider: every message of the job says so. */
  simulated?: boolean;
  /** The job's model takes a reference image only of the video's size: another one is fitted to it. */
  referenceMustMatchSize?: boolean;
  /** The server's video seconds per 24 hours: a running job's card says what it costs of them. */
  guildSecondsPerDay?: number;
}

export interface MessagePayload {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
  allowed_mentions: { parse: []; users?: string[] };
}

const colours: Record<JobState, number> = {
  submitting: 0x99aab5,
  queued: 0x99aab5,
  in_progress: 0x5865f2,
  completed: 0x5865f2,
  delivering: 0x5865f2,
  delivered: 0x57f287,
  failed: 0xed4245,
  canceled: 0x4f545c,
  expired: 0xfaa61a,
};

/** The icon beside a state's name, on the card and in the history. */
export const stateIcons: Record<JobState, string> = {
  submitting: '⏳',
  queued: '⏳',
  in_progress: '🎬',
  completed: '📦',
  delivering: '📤',
  delivered: '✅',
  failed: '❌',
  canceled: '🚫',
  expired: '⌛',
};

/**
 * Escapes Discord markdown and neutralises mentions, then truncates on a character boundary.
 * Inline markers (bold, code, spoilers, masked links, quotes) are escaped anywhere; block markers
 * that only count at the start of a line (`# ` headings, `-# ` subtext, `- ` and `1. ` lists) are
 * escaped there, so "# FREE NITRO" stays plain text.
 */
export function escapeUntrusted(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  const shortened = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
  return shortened
    .replace(/([\\*_~`|>[\]])/g, '\\$1')
    .replace(/^(\s*)(?=(?:#{1,3}|-#|-)\s)/gm, '$1\\')
    .replace(/^(\s*\d+)\.(?=\s)/gm, '$1\\.')
    .replace(/@/g, '@\u200b')
    .replace(/<(?=[@#:&!/])/g, '<\u200b');
}

export function progressBar(percent: number, width = 14): string {
  const clamped = Math.max(0, Math.min(100, Math.round(percent)));
  const filled = Math.round((clamped / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${clamped}%`;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

/**
 * A running job shows when it started as a Discord timestamp, which every client keeps current by
 * itself ("2 minutes ago"): true without edits, even for providers that report no progress.
 * A finished job shows how long it took.
 */
function timeField(job: Job, locale: string): { name: string; value: string; inline: true } {
  if (!isFinal(job.state)) {
    return {
      name: t(locale, 'render.started'),
      value: time(Math.floor(job.createdAt / 1000), TimestampStyles.RelativeTime),
      inline: true,
    };
  }
  const end = job.deliveredAt ?? job.completedAt ?? job.updatedAt;
  return { name: t(locale, 'render.elapsed'), value: formatDuration(end - job.createdAt), inline: true };
}

/** The simulated-provider label in the member's language, or nothing for a real provider. */
export function simulatedLabel(locale: string, context: { simulated?: boolean }): string | undefined {
  return context.simulated ? t(locale, 'simulated.label') : undefined;
}

/** A plain-text message, with the simulated-provider label as small print under it when it applies. */
export function withSimulatedLabel(text: string, locale: string, context: { simulated?: boolean }): string {
  const label = simulatedLabel(locale, context);
  return label ? `${text}\n-# ${label}` : text;
}

function statusLine(job: Job, locale: string): string {
  const label = `${stateIcons[job.state]} ${t(locale, `state.${job.state}`)}`;
  if (job.state === 'queued' || job.state === 'in_progress' || job.state === 'submitting') {
    const bar =
      job.reportsProgress || job.progress > 0
        ? progressBar(job.progress)
        : t(locale, 'render.progress_unknown');
    return `${label}\n\`${bar}\``;
  }
  if (job.state === 'completed' || job.state === 'delivering') return `${label}\n\`${progressBar(100)}\``;
  return label;
}

export function failureText(job: Job, locale: string): string {
  if (job.errorCode === referenceUnreadableCode) return t(locale, 'failure.reference_unreadable');
  if (job.errorCode === tooManyReferencesCode) {
    return t(locale, 'failure.too_many_references', { model: escapeUntrusted(job.model, 60) });
  }
  const kind = (job.errorKind ?? 'provider_failed') as string;
  // A create that counted (the provider may have started it, see submitJob) never says "nothing was charged".
  const key = (
    kind === 'provider_down' && job.charged ? 'failure.provider_unclear' : `failure.${kind}`
  ) as MessageKey;
  const message = escapeUntrusted(job.errorMessage ?? '', 200);
  return t(locale, key, { message, model: escapeUntrusted(job.model, 60) });
}

function linkReasonText(job: Job, locale: string, reason: LinkReason, sizeLimit?: number): string {
  const size = formatBytes(job.mediaBytes ?? 0);
  switch (reason) {
    case 'too_large':
      return t(locale, 'render.link_reason_too_large', { size, max: formatBytes(sizeLimit ?? 0) });
    case 'upload_too_large':
      return t(locale, 'render.link_reason_upload_too_large', { size });
    case 'over_download_limit':
      return t(locale, 'render.link_reason_over_download_limit');
    case 'upload_failed':
      return t(locale, 'render.link_reason_upload_failed');
  }
}

function deliveryText(job: Job, locale: string, context: RenderContext): string | null {
  const delivery = context.delivery;
  if (job.state === 'expired') return t(locale, 'render.expired');
  if (delivery?.kind === 'unlinked') {
    return `${linkReasonText(job, locale, delivery.reason, delivery.sizeLimit)}\n${t(locale, 'render.no_link_hint')}`;
  }
  if (delivery?.kind !== 'link') return null;
  const expiry = delivery.linkExpiresAt
    ? ` ${t(locale, 'render.link_expires', { when: time(Math.floor(delivery.linkExpiresAt / 1000), TimestampStyles.RelativeTime) })}`
    : '';
  const reason = linkReasonText(job, locale, delivery.reason, delivery.sizeLimit);
  return `${reason}\n[${t(locale, 'render.link_label')}](${delivery.url})${expiry}`;
}

function buttons(
  job: Job,
  locale: string,
  context: RenderContext,
): APIActionRowComponent<APIButtonComponent>[] {
  const button = (
    action: 'cancel' | 'regen' | 'remix' | 'thread' | 'remove',
    key: MessageKey,
    style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Danger,
  ): APIButtonComponent => ({
    type: ComponentType.Button,
    custom_id: jobCustomId(action, job),
    label: t(locale, key),
    style,
  });
  // A job already in a thread (opened on its card, or made in one) offers no other.
  const thread = job.threadId ? [] : [button('thread', 'button.open_thread', ButtonStyle.Secondary)];
  if (!isFinal(job.state) && job.state !== 'completed' && job.state !== 'delivering') {
    return [
      {
        type: ComponentType.ActionRow,
        components: [button('cancel', 'button.cancel', ButtonStyle.Danger), ...thread],
      },
    ];
  }
  if (!isFinal(job.state)) return [];
  const row: APIButtonComponent[] = [button('regen', 'button.regenerate', ButtonStyle.Secondary)];
  // A removed video is not offered again: no Remix of it, nothing left to remove.
  const shown = job.state === 'delivered' && job.removedAt === null;
  if (shown && context.supportsRemix && job.remoteId) {
    row.push(button('remix', 'button.remix', ButtonStyle.Primary));
  }
  row.push(...thread);
  if (shown) row.push(button('remove', 'button.remove', ButtonStyle.Danger));
  return [{ type: ComponentType.ActionRow, components: row }];
}

/** Who removed the job's video, as the card's line, or null while it stands. */
export function removedText(job: Job, locale: string): string | null {
  if (job.removedAt === null) return null;
  return t(
    locale,
    job.removedByRole === 'moderator' ? 'render.removed_by_moderator' : 'render.removed_by_requester',
  );
}

/** Each reference image's name, and whether it was fitted (cropped and scaled) to the video's size. */
function referencesText(job: Job, locale: string, context: RenderContext): string {
  return job.referenceImages.map((image) => referenceText(job, image, locale, context)).join('\n');
}

function referenceText(job: Job, image: JobReferenceImage, locale: string, context: RenderContext): string {
  const shown = escapeUntrusted(image.name, 80);
  const original = image.size;
  if (!context.referenceMustMatchSize || !original || original === job.size) return shown;
  const dimensions = (size: string) => size.replace('x', '×');
  return `${shown}\n${t(locale, 'render.reference_fitted', {
    size: dimensions(job.size),
    original: dimensions(original),
  })}`;
}

/** A link to the message a job came from (the member's message, or the card of its job), when known. */
export function originLink(job: Job): string | null {
  return job.originChannelId && job.originMessageId
    ? messageLink(job.originChannelId, job.originMessageId, job.guildId)
    : null;
}

/** `text` as a markdown link to `url`, or plain when there is no link. */
const linked = (text: string, url: string | null) => (url ? `[${text}](${url})` : text);

/** "Take 2 of 4" on every take of a request of several, a later one linking to the first take's card. */
export function takeText(job: Job, locale: string): string | null {
  if (job.takeCount <= 1) return null;
  const take = t(locale, 'render.take', { index: job.takeIndex, count: job.takeCount });
  if (job.takeIndex === 1 || job.requestId === null) return take;
  const first = linked(t(locale, 'render.job_number', { id: job.requestId }), originLink(job));
  return t(locale, 'render.take_of', { take, job: first });
}

/**
 * Where the job came from, as a line of the card and the history: Regenerate or Remix of a job
 * (linked to its card), or a member's message (linked) and its author's name, escaped and never a
 * mention, so nobody is pinged. A command says nothing; a take says it with takeText.
 */
export function originText(job: Job, locale: string): string | null {
  const link = originLink(job);
  const source = job.originJobId ?? job.remixOfJobId;
  switch (job.originKind) {
    case 'regenerate':
    case 'remix': {
      if (source === null) return null;
      const from = linked(t(locale, 'render.job_number', { id: source }), link);
      return t(locale, job.originKind === 'remix' ? 'render.remix_of' : 'render.regenerated_from', {
        job: from,
      });
    }
    case 'message':
      return t(locale, 'render.from_message', {
        message: linked(t(locale, 'render.a_message'), link),
        author: escapeUntrusted(job.originAuthorName ?? t(locale, 'render.someone'), 80),
      });
    default:
      return null;
  }
}

/** What a running job costs of the server's daily seconds ("8 s of the server's 600 s today"). */
function costText(job: Job, locale: string, context: RenderContext): string | null {
  const running = job.state === 'submitting' || job.state === 'queued' || job.state === 'in_progress';
  if (!running || context.guildSecondsPerDay === undefined) return null;
  return t(locale, 'render.cost', { seconds: job.seconds, max: context.guildSecondsPerDay });
}

/** The server style the job was made with: its name, escaped (its text stays out of the card). */
export function styleText(job: Job, locale: string): string | null {
  return job.styleName === null
    ? null
    : t(locale, 'render.style', { name: escapeUntrusted(job.styleName, 40) });
}

/** Which settings came from the channel's defaults, named with their values: "Channel defaults: 720×1280 · 4 s". */
export function channelDefaultsText(job: Job, locale: string): string | null {
  const applied = new Set(job.defaultsApplied);
  if (applied.size === 0) return null;
  const settings = [
    applied.has('model') ? escapeUntrusted(job.model, 60) : null,
    applied.has('size') ? job.size.replace('x', '×') : null,
    applied.has('seconds') ? t(locale, 'render.duration_value', { seconds: job.seconds }) : null,
    applied.has('style') && job.styleName !== null
      ? t(locale, 'render.default_style', { name: escapeUntrusted(job.styleName, 40) })
      : null,
  ].filter(Boolean);
  return settings.length > 0
    ? t(locale, 'render.channel_defaults', { settings: settings.join(' · ') })
    : null;
}

/** The job's message: an embed with the settings, state and progress, and the buttons that apply. */
export function renderJob(job: Job, locale: string, context: RenderContext): MessagePayload {
  const lines = [`> ${escapeUntrusted(job.prompt, promptPreviewLength)}`, '', statusLine(job, locale)];
  if (job.state === 'failed') lines.push(failureText(job, locale));
  const removed = removedText(job, locale);
  // A removed video's card keeps no link to it.
  const delivery = removed ?? deliveryText(job, locale, context);
  if (delivery) lines.push(delivery);
  const smallPrint = [
    takeText(job, locale),
    originText(job, locale),
    styleText(job, locale),
    channelDefaultsText(job, locale),
    costText(job, locale, context),
  ];
  for (const line of smallPrint) if (line) lines.push(`-# ${line}`);

  const embed: APIEmbed = {
    title: `${t(locale, 'render.title')} · ${escapeUntrusted(job.model, 60)}`,
    description: lines.join('\n'),
    color: colours[job.state],
    fields: [
      { name: t(locale, 'render.size'), value: job.size, inline: true },
      {
        name: t(locale, 'render.duration'),
        value: t(locale, 'render.duration_value', { seconds: job.seconds }),
        inline: true,
      },
      timeField(job, locale),
      { name: t(locale, 'render.requester'), value: userMention(job.userId), inline: true },
    ],
    footer: {
      text: [t(locale, 'render.footer', { id: job.id }), simulatedLabel(locale, context)]
        .filter(Boolean)
        .join(' · '),
    },
  };
  if (job.referenceImages.length > 0) {
    embed.fields?.push({
      name:
        job.referenceImages.length === 1
          ? t(locale, 'render.reference')
          : t(locale, 'render.references', { count: job.referenceImages.length }),
      value: referencesText(job, locale, context),
      inline: true,
    });
  }
  if (
    job.removedAt === null &&
    (context.delivery?.kind === 'link' || context.delivery?.kind === 'unlinked') &&
    context.delivery.thumbnailName
  ) {
    embed.image = { url: `attachment://${context.delivery.thumbnailName}` };
  }
  return {
    content: '',
    embeds: [embed],
    components: buttons(job, locale, context),
    allowed_mentions: { parse: [] },
  };
}

/** The short message that pings the requester when a job ends (edits never notify). */
export function renderNotice(
  job: Job,
  locale: string,
  context: { simulated?: boolean; unlinked?: boolean } = {},
): { content: string; allowed_mentions: { parse: []; users: string[] } } {
  const key: MessageKey =
    job.state === 'delivered'
      ? context.unlinked
        ? 'notice.ready_unlinked'
        : 'notice.ready'
      : job.state === 'expired'
        ? 'notice.expired'
        : 'notice.failed';
  return {
    content: withSimulatedLabel(t(locale, key, { user: userMention(job.userId) }), locale, context),
    allowed_mentions: { parse: [], users: [job.userId] },
  };
}

/** A short reply that only the member sees. */
export function ephemeralText(content: string) {
  return { content, flags: MessageFlags.Ephemeral as const, allowedMentions: { parse: [] } };
}

/** discord.js's interaction methods spell allowed mentions in camelCase. */
export function toReplyOptions(payload: MessagePayload) {
  const { allowed_mentions, ...rest } = payload;
  return { ...rest, allowedMentions: { parse: [], users: allowed_mentions.users ?? [] } };
}
