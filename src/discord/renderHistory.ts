// Rendering a page of a member's history, and the CSV export. Pure.
import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  ButtonStyle,
  ComponentType,
  messageLink,
  TimestampStyles,
  time,
  userMention,
} from 'discord.js';
import { type MessageKey, t } from '../i18n/index.ts';
import type { Job, JobChain, JobState, OriginKind } from '../jobs/index.ts';
import { historyCustomId } from './customIds.ts';
import { escapeUntrusted, originLink, originText, stateIcons, styleText, takeText } from './render.ts';
import { failureKindName } from './replies.ts';
import { placementKeys } from './styledRequest.ts';
import { cardChannelId } from './threads.ts';

export const historyPageSize = 5;

export const statusFilters: Record<string, readonly JobState[]> = {
  all: [],
  running: ['submitting', 'queued', 'in_progress', 'completed', 'delivering'],
  delivered: ['delivered'],
  failed: ['failed', 'expired'],
  canceled: ['canceled'],
};

/** The `status` choices of /video-history, each a key of statusFilters. */
export const statusChoices = ['running', 'delivered', 'failed', 'canceled'] as const;

export interface HistoryPage {
  jobs: Job[];
  hasNewer: boolean;
  hasOlder: boolean;
}

export interface HistoryView {
  viewerId: string;
  targetId: string;
  status: string;
  canExport: boolean;
  now: number;
  /** A link to the video that still works (own media link or the provider's while valid). */
  videoLink: (job: Job) => string | null;
}

/** The job's message in Discord (in its thread, for a job made in one), when it has one. */
function jobMessageLink(job: Job): string | null {
  return job.replyMessageId ? messageLink(cardChannelId(job), job.replyMessageId, job.guildId) : null;
}

/** "removed by a moderator" / "removed by the requester", or null while the video stands. */
export function removedNote(job: Job, locale: string): string | null {
  if (job.removedAt === null) return null;
  return t(
    locale,
    job.removedByRole === 'moderator' ? 'history.removed_by_moderator' : 'history.removed_by_requester',
  );
}

function entry(job: Job, locale: string, view: HistoryView): string {
  const when = time(Math.floor(job.createdAt / 1000), TimestampStyles.RelativeTime);
  const state = [`${stateIcons[job.state]} ${t(locale, `state.${job.state}`)}`, removedNote(job, locale)]
    .filter(Boolean)
    .join(' · ');
  const jump = jobMessageLink(job);
  const video = view.videoLink(job);
  const links = [
    `${job.model} · ${job.size} · ${t(locale, 'render.duration_value', { seconds: job.seconds })}`,
    jump ? `[${t(locale, 'history.jump')}](${jump})` : null,
    video ? `[${t(locale, 'history.video')}](${video})` : null,
  ].filter(Boolean);
  const came = cameFrom(job, locale);
  return [
    `**#${job.id}** · ${state} · ${when}`,
    `> ${escapeUntrusted(job.prompt, 100)}`,
    `-# ${links.join(' · ')}`,
    ...(came ? [`-# ${came}`] : []),
  ].join('\n');
}

/** Where the job came from, which take it is and how many images it had: one line, or null. */
function cameFrom(job: Job, locale: string): string | null {
  const parts = [
    takeText(job, locale),
    originText(job, locale),
    styleText(job, locale),
    job.referenceImages.length > 0
      ? t(locale, 'history.references', { count: job.referenceImages.length })
      : null,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : null;
}

export function renderHistory(page: HistoryPage, locale: string, view: HistoryView) {
  const embed: APIEmbed = {
    title: t(locale, 'history.title'),
    description:
      `${userMention(view.targetId)}\n\n` +
      (page.jobs.length === 0
        ? t(locale, 'history.empty')
        : page.jobs.map((job) => entry(job, locale, view)).join('\n\n')),
    color: 0x5865f2,
  };
  const first = page.jobs[0]?.id ?? 0;
  const last = page.jobs.at(-1)?.id ?? 0;
  const button = (
    action: 'prev' | 'next' | 'csv',
    key: MessageKey,
    cursor: number,
    disabled: boolean,
  ): APIButtonComponent => ({
    type: ComponentType.Button,
    style: action === 'csv' ? ButtonStyle.Primary : ButtonStyle.Secondary,
    label: t(locale, key),
    custom_id: historyCustomId({
      action,
      viewerId: view.viewerId,
      targetId: view.targetId,
      status: view.status,
      cursor,
    }),
    disabled,
  });
  const row: APIButtonComponent[] = [
    button('prev', 'history.previous', first, !page.hasNewer),
    button('next', 'history.next', last, !page.hasOlder),
  ];
  if (view.canExport) row.push(button('csv', 'history.export', 0, false));
  const components: APIActionRowComponent<APIButtonComponent>[] = [
    { type: ComponentType.ActionRow, components: row },
  ];
  return { embeds: [embed], components, allowedMentions: { parse: [] as [] } };
}

/** Each origin's name, as the CSV shows it (the code of a newer reelbot reads as a command). */
export const originKindKeys: Record<OriginKind, MessageKey> = {
  command: 'origin.command',
  message: 'origin.message',
  regenerate: 'origin.regenerate',
  remix: 'origin.remix',
  take: 'origin.take',
};

/** Discord's limit on an embed's description. */
const maxDescriptionLength = 4_096;

export interface ChainView extends HistoryView {
  /** A moderator sees every job's prompt; a member only their own (another's shows as such). */
  seesEveryPrompt: boolean;
}

/** One job of a chain: its number (linked to its card), its state, where it came from, its prompt. */
function chainLine(job: Job, locale: string, view: ChainView): string {
  const jump = jobMessageLink(job);
  const number = jump ? `[#${job.id}](${jump})` : `#${job.id}`;
  const head = [`**${number}**`, `${stateIcons[job.state]} ${t(locale, `state.${job.state}`)}`];
  const came = cameFrom(job, locale);
  if (came) head.push(came);
  const visible = view.seesEveryPrompt || job.userId === view.viewerId;
  const prompt = visible
    ? `> ${escapeUntrusted(job.prompt, 80)}`
    : `-# ${t(locale, 'history.chain_other_member')}`;
  return `${head.join(' · ')}\n${prompt}`;
}

/**
 * `/video-history job:<n>`: the job in full, the jobs it came from and the jobs made from it, each
 * linked to its card, cut on whole entries to fit one embed ("and N more").
 */
export function renderChain(chain: JobChain, locale: string, view: ChainView) {
  const section = (title: MessageKey, jobs: Job[], more: number | string = 0) => {
    const lines = jobs.map((job) => chainLine(job, locale, view));
    if (lines.length === 0) lines.push(`-# ${t(locale, 'history.chain_nothing')}`);
    if (more) lines.push(t(locale, 'list.more', { count: more }));
    return `**${t(locale, title)}**\n${lines.join('\n')}`;
  };
  const head = [
    section('history.chain_came_from', chain.ancestors),
    `**${t(locale, 'history.chain_this')}**\n${entry(chain.job, locale, view)}`,
  ].join('\n\n');
  // The jobs made from it fill what is left, whole entries only.
  const room = maxDescriptionLength - head.length - 2;
  let shown = chain.descendants.length;
  // Past the chain's bound, at least one more was made than it holds: "and 12+ more".
  const left = () => {
    const count = chain.descendants.length - shown;
    return chain.more ? `${count + 1}+` : count;
  };
  const made = () => section('history.chain_made_from', chain.descendants.slice(0, shown), left());
  while (shown > 0 && made().length > room) shown--;
  const description = `${head}\n\n${made()}`;
  const embed: APIEmbed = {
    title: t(locale, 'history.chain_title', { id: chain.job.id }),
    description: description.slice(0, maxDescriptionLength),
    color: 0x5865f2,
  };
  return { embeds: [embed], allowedMentions: { parse: [] as [] } };
}

/** RFC 4180 quoting, plus a leading quote on cells a spreadsheet would run as a formula. */
export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

interface CsvColumn {
  header: (locale: string) => string;
  value: (job: Job, locale: string) => unknown;
}

const localised = (key: MessageKey, value: CsvColumn['value']): CsvColumn => ({
  header: (locale) => t(locale, key),
  value,
});
const fixed = (name: string, value: CsvColumn['value']): CsvColumn => ({ header: () => name, value });

/**
 * The export's columns, in a fixed order: headers, states and failures in the moderator's
 * language, as the history shows them; the last two columns keep the stored codes under fixed
 * names, so a script can filter and count whatever language the file was exported in.
 */
export const csvColumns: readonly CsvColumn[] = [
  localised('csv.id', (job) => job.id),
  localised('csv.created_at', (job) => new Date(job.createdAt).toISOString()),
  localised('csv.state', (job, locale) => t(locale, `state.${job.state}`)),
  localised('csv.model', (job) => job.model),
  localised('csv.size', (job) => job.size),
  localised('csv.seconds', (job) => job.seconds),
  localised('csv.prompt', (job) => job.prompt),
  localised('csv.failure', (job, locale) => (job.errorKind ? failureKindName(locale, job.errorKind) : null)),
  localised('csv.error_message', (job) => job.errorMessage),
  localised('csv.provider_video_id', (job) => job.remoteId),
  localised('csv.message_link', jobMessageLink),
  fixed('state_code', (job) => job.state),
  fixed('failure_code', (job) => job.errorKind),
  // Added after the codes, so that a script reading columns by position still finds them.
  localised('csv.origin', (job, locale) => t(locale, originKindKeys[job.originKind] ?? 'origin.command')),
  localised('csv.origin_job', (job) => job.originJobId ?? job.remixOfJobId),
  localised('csv.origin_link', originLink),
  localised('csv.take', (job) => (job.takeCount > 1 ? `${job.takeIndex}/${job.takeCount}` : null)),
  localised('csv.reference_images', (job) => job.referenceImages.length),
  fixed('origin_code', (job) => job.originKind),
  // Issue 12: a removed video (who removed it, localised, and when); empty while it stands.
  localised('csv.removed', removedNote),
  fixed('removed_at', (job) => (job.removedAt === null ? null : new Date(job.removedAt).toISOString())),
  fixed('removed_by_role', (job) => job.removedByRole),
  // The member's prompt stays in its own column; the style it was sent with is beside it.
  localised('csv.style', (job) => job.styleName),
  localised('csv.style_text', (job) => job.styleText),
  localised('csv.style_placement', (job, locale) =>
    job.stylePlacement ? t(locale, placementKeys[job.stylePlacement]) : null,
  ),
  localised('csv.channel_defaults', (job) => job.defaultsApplied.join(' ') || null),
];

/**
 * UTF-8 with a byte-order mark: without it, Excel (Chinese Windows especially) reads the file in
 * the system's legacy code page and shows Chinese prompts as mojibake.
 */
export function historyCsv(jobs: Iterable<Job>, locale: string): string {
  const row = (cells: unknown[]) => cells.map(csvCell).join(',');
  const lines = [row(csvColumns.map((column) => column.header(locale)))];
  for (const job of jobs) lines.push(row(csvColumns.map((column) => column.value(job, locale))));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
