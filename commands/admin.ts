// /video-admin: quotas, allowed channels, the moderator role, blocks, canceling any job, usage, audit.
import {
  type ChatInputCommandInteraction,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
} from 'discord.js';
import type { BotContext } from '../src/discord/context.ts';
import { ephemeralText, escapeUntrusted } from '../src/discord/render.ts';
import { localisations, t } from '../src/i18n/index.ts';
import { cancelJob, effectiveLimits, type UsageSummary } from '../src/jobs/index.ts';

export const name = 'video-admin';

export function data() {
  const describe = (text: string) => text;
  return new SlashCommandBuilder()
    .setName(name)
    .setNameLocalizations({ 'zh-CN': '视频管理', 'zh-TW': '視頻管理' })
    .setDescription(t('en-US', 'command.admin.description'))
    .setDescriptionLocalizations(localisations('command.admin.description'))
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) =>
      sub
        .setName('quota')
        .setDescription(describe('Show the quotas, or set any of them'))
        .addIntegerOption((o) =>
          o
            .setName('in_flight')
            .setDescription('Videos in progress per member')
            .setMinValue(1)
            .setMaxValue(100),
        )
        .addIntegerOption((o) =>
          o
            .setName('per_day')
            .setDescription('Videos per member per 24 hours')
            .setMinValue(1)
            .setMaxValue(10_000),
        )
        .addIntegerOption((o) =>
          o
            .setName('guild_seconds')
            .setDescription('Video seconds per server per 24 hours')
            .setMinValue(1)
            .setMaxValue(1_000_000),
        ),
    )
    .addSubcommand((sub) => sub.setName('channels').setDescription(describe('Show where /video may be used')))
    .addSubcommand((sub) =>
      sub
        .setName('allow-channel')
        .setDescription(describe('Allow /video in a channel (once any is set, only those)'))
        .addChannelOption((o) => o.setName('channel').setDescription('The channel').setRequired(true)),
    )
    .addSubcommand((sub) =>
      sub
        .setName('disallow-channel')
        .setDescription(describe('Remove a channel from the allowed list'))
        .addChannelOption((o) => o.setName('channel').setDescription('The channel').setRequired(true)),
    )
    .addSubcommand((sub) =>
      sub
        .setName('moderator-role')
        .setDescription(describe('Set (or clear) the role whose members count as moderators'))
        .addRoleOption((o) => o.setName('role').setDescription('Leave empty to clear')),
    )
    .addSubcommand((sub) =>
      sub
        .setName('block')
        .setDescription(describe('Stop a member from making videos here'))
        .addUserOption((o) => o.setName('user').setDescription('The member').setRequired(true))
        .addStringOption((o) =>
          o.setName('reason').setDescription('Why (kept in the audit log)').setMaxLength(200),
        ),
    )
    .addSubcommand((sub) =>
      sub
        .setName('unblock')
        .setDescription(describe('Let a blocked member make videos again'))
        .addUserOption((o) => o.setName('user').setDescription('The member').setRequired(true)),
    )
    .addSubcommand((sub) =>
      sub
        .setName('cancel')
        .setDescription(describe('Cancel any running job of this server'))
        .addIntegerOption((o) =>
          o.setName('job').setDescription('The job number (#…)').setRequired(true).setMinValue(1),
        ),
    )
    .addSubcommand((sub) =>
      sub.setName('usage').setDescription(describe('Usage in the last 24 hours and 7 days')),
    )
    .addSubcommand((sub) =>
      sub.setName('audit').setDescription(describe('Recent moderator and admin actions')),
    );
}

type Handler = (
  interaction: ChatInputCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
) => string | Promise<string>;

const quota: Handler = (interaction, context) => {
  const locale = interaction.locale;
  const guildId = interaction.guildId;
  const changes = {
    inFlightPerUser: interaction.options.getInteger('in_flight') ?? undefined,
    jobsPerUserPerDay: interaction.options.getInteger('per_day') ?? undefined,
    secondsPerDay: interaction.options.getInteger('guild_seconds') ?? undefined,
  };
  const changing = Object.values(changes).some((value) => value !== undefined);
  if (changing) {
    context.store.updateGuildSettings(
      guildId,
      Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
    );
    context.moderation.audit({
      guildId,
      actorId: interaction.user.id,
      action: 'quota.set',
      details: changes,
    });
  }
  const settings = context.store.guildSettings(guildId);
  const limits = effectiveLimits(context.config.quotas, settings);
  const mark = (override: number | null) =>
    override === null ? ` ${t(locale, 'admin.default_marker')}` : '';
  return [
    changing ? t(locale, 'admin.quota_updated') : '',
    `**${t(locale, 'admin.quota_title')}**`,
    t(locale, 'admin.quota_in_flight', {
      value: `${limits.inFlightPerUser}${mark(settings.inFlightPerUser)}`,
    }),
    t(locale, 'admin.quota_per_day', {
      value: `${limits.jobsPerUserPerDay}${mark(settings.jobsPerUserPerDay)}`,
    }),
    t(locale, 'admin.quota_seconds', {
      value: `${limits.secondsPerGuildPerDay}${mark(settings.secondsPerDay)}`,
    }),
  ]
    .filter(Boolean)
    .join('\n');
};

function channelsText(context: BotContext, guildId: string, locale: string): string {
  const allowed = context.store.guildSettings(guildId).allowedChannelIds;
  return allowed.length === 0
    ? t(locale, 'admin.channels_all')
    : t(locale, 'admin.channels_list', { channels: allowed.map((id) => `<#${id}>`).join(' ') });
}

const channels: Handler = (interaction, context) =>
  channelsText(context, interaction.guildId, interaction.locale);

function changeChannel(add: boolean): Handler {
  return (interaction, context) => {
    const channel = interaction.options.getChannel('channel', true);
    const current = context.store.guildSettings(interaction.guildId).allowedChannelIds;
    const next = add ? [...new Set([...current, channel.id])] : current.filter((id) => id !== channel.id);
    context.store.updateGuildSettings(interaction.guildId, { allowedChannelIds: next });
    context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: add ? 'channel.allow' : 'channel.disallow',
      target: channel.id,
    });
    const done = t(interaction.locale, add ? 'admin.channel_added' : 'admin.channel_removed', {
      channel: `<#${channel.id}>`,
    });
    return `${done}\n${channelsText(context, interaction.guildId, interaction.locale)}`;
  };
}

const moderatorRole: Handler = (interaction, context) => {
  const role = interaction.options.getRole('role');
  context.store.updateGuildSettings(interaction.guildId, { moderatorRoleId: role?.id ?? null });
  context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'moderator_role.set',
    target: role?.id ?? null,
  });
  return role
    ? t(interaction.locale, 'admin.moderator_role_set', { role: `<@&${role.id}>` })
    : t(interaction.locale, 'admin.moderator_role_cleared');
};

const block: Handler = (interaction, context) => {
  const user = interaction.options.getUser('user', true);
  const reason = interaction.options.getString('reason');
  const changed = context.moderation.block(interaction.guildId, user.id, interaction.user.id, reason);
  if (changed) {
    context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'member.block',
      target: user.id,
      details: reason ? { reason } : undefined,
    });
  }
  return t(interaction.locale, changed ? 'admin.blocked' : 'admin.already_blocked', {
    user: `<@${user.id}>`,
  });
};

const unblock: Handler = (interaction, context) => {
  const user = interaction.options.getUser('user', true);
  const changed = context.moderation.unblock(interaction.guildId, user.id);
  if (changed) {
    context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'member.unblock',
      target: user.id,
    });
  }
  return t(interaction.locale, changed ? 'admin.unblocked' : 'admin.not_blocked', { user: `<@${user.id}>` });
};

const cancel: Handler = async (interaction, context) => {
  const id = interaction.options.getInteger('job', true);
  const job = context.store.get(id);
  // Another guild's job is "not found" here: nothing about it is revealed.
  if (!job || job.guildId !== interaction.guildId) return t(interaction.locale, 'error.job_not_found');
  const canceled = await cancelJob(
    { store: context.store, client: context.videoClient, logger: context.logger },
    job,
    interaction.user.id,
  );
  if (!canceled) return t(interaction.locale, 'error.not_finished');
  context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'job.cancel',
    target: String(id),
  });
  await context.notifier.showNow(canceled);
  return t(interaction.locale, 'admin.job_canceled', { id });
};

function usageBlock(summary: UsageSummary, locale: string): string {
  const none = t(locale, 'admin.none');
  const states =
    Object.entries(summary.byState)
      .map(([state, n]) => `${state} ${n}`)
      .join(', ') || none;
  const members =
    summary.topMembers.map((m) => `<@${m.userId}> ${m.jobs} (${m.seconds} s)`).join(', ') || none;
  const reasons = summary.failureReasons.map((r) => `${r.kind} ${r.jobs}`).join(', ') || none;
  return [
    t(locale, 'admin.usage_line', { jobs: summary.jobs, seconds: summary.seconds }),
    t(locale, 'admin.usage_states', { states }),
    t(locale, 'admin.usage_top', { members }),
    t(locale, 'admin.usage_failures', { reasons }),
  ].join('\n');
}

const usage: Handler = (interaction, context) => {
  const locale = interaction.locale;
  const at = context.now();
  const day = context.moderation.usage(interaction.guildId, at - 86_400_000);
  const week = context.moderation.usage(interaction.guildId, at - 7 * 86_400_000);
  return [
    `**${t(locale, 'admin.usage_title')}**`,
    `__${t(locale, 'admin.usage_today')}__`,
    usageBlock(day, locale),
    `__${t(locale, 'admin.usage_week')}__`,
    usageBlock(week, locale),
  ].join('\n');
};

const audit: Handler = (interaction, context) => {
  const entries = context.moderation.auditLog(interaction.guildId, 15);
  if (entries.length === 0) return t(interaction.locale, 'admin.audit_empty');
  const lines = entries.map((entry) => {
    const target = entry.target
      ? ` → ${/^\d+$/.test(entry.target) ? entry.target : escapeUntrusted(entry.target, 40)}`
      : '';
    const details = entry.details ? ` \`${escapeUntrusted(entry.details, 80).replaceAll('`', "'")}\`` : '';
    return `<t:${Math.floor(entry.createdAt / 1000)}:R> <@${entry.actorId}> **${entry.action}**${target}${details}`;
  });
  return [`**${t(interaction.locale, 'admin.audit_title')}**`, ...lines].join('\n');
};

const handlers: Record<string, Handler> = {
  quota,
  channels,
  'allow-channel': changeChannel(true),
  'disallow-channel': changeChannel(false),
  'moderator-role': moderatorRole,
  block,
  unblock,
  cancel,
  usage,
  audit,
};

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const locale = interaction.locale;
  if (!interaction.inGuild()) {
    await interaction.reply(ephemeralText(t(locale, 'error.guild_only')));
    return;
  }
  // Server admins can change a command's default permissions: the bot checks for itself.
  if (!interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
    await interaction.reply(ephemeralText(t(locale, 'admin.not_admin')));
    return;
  }
  const handler = handlers[interaction.options.getSubcommand(true)];
  if (!handler) return;
  const text = await handler(interaction, context);
  await interaction.reply({
    content: text.slice(0, 2000),
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}
