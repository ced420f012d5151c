// /video-history: a member's own jobs, or (moderators) anyone's in this server; paged, exportable.
import { existsSync } from 'node:fs';
import {
  ApplicationCommandType,
  AttachmentBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  userMention,
} from 'discord.js';
import type { ButtonHandler, SlashCommand } from '../src/discord/commandContract.ts';
import { named } from '../src/discord/commandText.ts';
import type { BotContext } from '../src/discord/context.ts';
import { parseHistoryCustomId } from '../src/discord/customIds.ts';
import { isModerator } from '../src/discord/permissions.ts';
import { ephemeralText } from '../src/discord/render.ts';
import {
  type HistoryPage,
  type HistoryView,
  historyCsv,
  historyPageSize,
  renderChain,
  renderHistory,
  statusChoices,
  statusFilters,
} from '../src/discord/renderHistory.ts';
import { localisations, t } from '../src/i18n/index.ts';
import { type Job, jobChain } from '../src/jobs/index.ts';

export const name = 'video-history';

export function data() {
  return named(new SlashCommandBuilder(), name, ['视频记录', '影片紀錄'], 'command.history.description')
    .setContexts(InteractionContextType.Guild)
    .addUserOption((option) => named(option, 'user', ['成员', '成員'], 'command.history.user'))
    .addStringOption((option) =>
      named(option, 'status', ['状态', '狀態'], 'command.history.status').addChoices(
        ...statusChoices.map((status) => ({
          name: t('en-US', `status.${status}`),
          name_localizations: localisations(`status.${status}`),
          value: status,
        })),
      ),
    )
    .addIntegerOption((option) =>
      named(option, 'job', ['任务', '任務'], 'command.history.job').setMinValue(1),
    );
}

/** One page by keyset, with whether there is anything newer or older around it. */
export async function historyPage(
  context: BotContext,
  query: { guildId: string; userId: string; status: string; beforeId?: number; afterId?: number },
): Promise<HistoryPage> {
  const states = statusFilters[query.status] ?? [];
  const base = { guildId: query.guildId, userId: query.userId, states };
  let jobs = await context.store.history({
    ...base,
    beforeId: query.beforeId,
    afterId: query.afterId,
    limit: historyPageSize,
  });
  // Paging back past the newest job (new jobs arrived meanwhile) lands on the first page again.
  if (jobs.length === 0 && query.afterId !== undefined)
    jobs = await context.store.history({ ...base, limit: historyPageSize });
  const first = jobs[0]?.id;
  const last = jobs.at(-1)?.id;
  const [newer, older] = await Promise.all([
    first === undefined ? [] : context.store.history({ ...base, afterId: first, limit: 1 }),
    last === undefined ? [] : context.store.history({ ...base, beforeId: last, limit: 1 }),
  ]);
  return { jobs, hasNewer: newer.length > 0, hasOlder: older.length > 0 };
}

/**
 * The bot's own signed link while it keeps the video (PUBLIC_URL set), else the provider's while
 * it is known to be valid: provider links die within about an hour, so an unknown expiry is not shown.
 */
function videoLink(context: BotContext) {
  const now = context.now();
  return (job: Job) => {
    // A removed video is offered nowhere again, not even by the provider's link.
    if (job.removedAt !== null) return null;
    const own = job.mediaPath && existsSync(job.mediaPath) ? context.publicLink(job) : null;
    if (own) return own.url;
    return job.videoUrl && job.videoExpiresAt !== null && job.videoExpiresAt > now ? job.videoUrl : null;
  };
}

/** How `viewerId` sees `targetId`'s jobs now. */
function historyView(
  context: BotContext,
  view: { viewerId: string; targetId: string; status: string; canExport: boolean },
): HistoryView {
  return { ...view, now: context.now(), videoLink: videoLink(context) };
}

/** A moderator looked at another member's jobs: the audit log says who, whose and what. */
function auditLook(
  interaction: { guildId: string; user: { id: string } },
  context: BotContext,
  targetId: string,
  details: Record<string, unknown> | undefined,
): Promise<void> {
  return context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'history.view',
    target: targetId,
    details,
  });
}

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const locale = interaction.locale;
  if (!interaction.inGuild()) {
    await interaction.reply(ephemeralText(t(locale, 'error.guild_only')));
    return;
  }
  const moderator = await isModerator(interaction, context.store);
  const jobId = interaction.options.getInteger('job');
  if (jobId !== null) return showChain(interaction, context, jobId, moderator);
  const target = interaction.options.getUser('user') ?? interaction.user;
  if (target.id !== interaction.user.id) {
    if (!moderator) {
      await interaction.reply(ephemeralText(t(locale, 'history.not_moderator')));
      return;
    }
    if (!interaction.options.getMember('user')) {
      await interaction.reply(ephemeralText(t(locale, 'history.not_member')));
      return;
    }
  }
  const status = interaction.options.getString('status') ?? 'all';
  if (target.id !== interaction.user.id) {
    await auditLook(interaction, context, target.id, status === 'all' ? undefined : { status });
  }
  const page = await historyPage(context, { guildId: interaction.guildId, userId: target.id, status });
  const view = historyView(context, {
    viewerId: interaction.user.id,
    targetId: target.id,
    status,
    canExport: moderator,
  });
  await interaction.reply({ ...renderHistory(page, locale, view), flags: MessageFlags.Ephemeral });
}

/**
 * One job and its chain (the jobs it came from, those made from it), visible as history is: to the
 * job's requester, or to a moderator (which is audited), in the job's own server only.
 */
async function showChain(
  interaction: ChatInputCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
  jobId: number,
  moderator: boolean,
): Promise<void> {
  const locale = interaction.locale;
  const job = await context.store.get(jobId);
  // Another server's job is "not found" here: nothing about it is revealed.
  if (!job || job.guildId !== interaction.guildId) {
    await interaction.reply(ephemeralText(t(locale, 'error.job_not_found')));
    return;
  }
  if (job.userId !== interaction.user.id && !moderator) {
    await interaction.reply(ephemeralText(t(locale, 'history.not_moderator')));
    return;
  }
  if (job.userId !== interaction.user.id) await auditLook(interaction, context, job.userId, { job: job.id });
  const chain = await jobChain(context.store, job);
  const view = {
    ...historyView(context, {
      viewerId: interaction.user.id,
      targetId: job.userId,
      status: 'all',
      canExport: false,
    }),
    seesEveryPrompt: moderator,
  };
  await interaction.reply({ ...renderChain(chain, locale, view), flags: MessageFlags.Ephemeral });
}

/** Previous/Next/Export: re-checked against the clicker and the guild, never trusted from the id. */
async function handleHistoryButton(interaction: ButtonInteraction, context: BotContext): Promise<void> {
  const locale = interaction.locale;
  const cursor = parseHistoryCustomId(interaction.customId);
  if (!cursor || !interaction.inGuild()) return;
  if (cursor.viewerId !== interaction.user.id) {
    await interaction.reply(ephemeralText(t(locale, 'history.not_viewer')));
    return;
  }
  const moderator = await isModerator(interaction, context.store);
  if (cursor.targetId !== interaction.user.id && !moderator) {
    await interaction.reply(ephemeralText(t(locale, 'history.not_moderator')));
    return;
  }
  if (cursor.action === 'csv') {
    if (!moderator) {
      await interaction.reply(ephemeralText(t(locale, 'history.not_moderator')));
      return;
    }
    const jobs = await allJobs(context, interaction.guildId, cursor.targetId);
    const file = new AttachmentBuilder(Buffer.from(historyCsv(jobs, locale), 'utf8'), {
      name: `reelbot-history-${cursor.targetId}.csv`,
    });
    await context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'history.export',
      target: cursor.targetId,
      details: { jobs: jobs.length },
    });
    await interaction.reply({
      content: t(locale, 'history.exported', { user: userMention(cursor.targetId), count: jobs.length }),
      files: [file],
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
    return;
  }
  const page = await historyPage(context, {
    guildId: interaction.guildId,
    userId: cursor.targetId,
    status: cursor.status,
    ...(cursor.action === 'next' ? { beforeId: cursor.cursor } : { afterId: cursor.cursor }),
  });
  const view = historyView(context, {
    viewerId: interaction.user.id,
    targetId: cursor.targetId,
    status: cursor.status,
    canExport: moderator,
  });
  await interaction.update(renderHistory(page, locale, view));
}

async function allJobs(context: BotContext, guildId: string, userId: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (let beforeId: number | undefined; ; ) {
    const page = await context.store.history({ guildId, userId, beforeId, limit: 500 });
    jobs.push(...page);
    if (page.length < 500) return jobs;
    beforeId = page.at(-1)?.id;
  }
}

export const command: SlashCommand = { type: ApplicationCommandType.ChatInput, name, data, execute };

/** The paging and export buttons under a history page, drawn by renderHistory. */
export const historyButtons: ButtonHandler = {
  matches: (customId) => parseHistoryCustomId(customId) !== null,
  run: handleHistoryButton,
};
