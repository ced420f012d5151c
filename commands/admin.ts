// /video-admin: quotas, allowed channels, the moderator role, blocks, canceling any job, usage, audit.
import {
  ApplicationCommandType,
  type AutocompleteInteraction,
  ChannelType,
  type ChatInputCommandInteraction,
  channelMention,
  InteractionContextType,
  Locale,
  MessageFlags,
  PermissionFlagsBits,
  roleMention,
  SlashCommandBuilder,
  type SlashCommandChannelOption,
  type SlashCommandStringOption,
  type SlashCommandSubcommandBuilder,
  type SlashCommandSubcommandGroupBuilder,
  TimestampStyles,
  time,
  userMention,
} from 'discord.js';
import type { SlashCommand } from '../src/discord/commandContract.ts';
import { named } from '../src/discord/commandText.ts';
import type { BotContext } from '../src/discord/context.ts';
import { fitLines, maxContentLength, textWithList } from '../src/discord/fitContent.ts';
import { ephemeralText, escapeUntrusted } from '../src/discord/render.ts';
import { failureKindName } from '../src/discord/replies.ts';
import { placementKeys, styleChoices, styleProblemText } from '../src/discord/styledRequest.ts';
import { listText, localisations, type MessageKey, t } from '../src/i18n/index.ts';
import {
  type AuditEntry,
  blockedWordProblem,
  cancelRequest,
  checkSettings,
  checkStyle,
  effectiveLimits,
  type JobState,
  maxBlockedWordLength,
  maxBlockedWords,
  maxStyleNameLength,
  maxStyleTextLength,
  maxTakes,
  type ServerStyle,
  type UsageSummary,
} from '../src/jobs/index.ts';
import type { Catalogue } from '../src/provider/index.ts';

export const name = 'video-admin';

/** Channels members chat in; a thread is allowed through its parent, a category not at all. */
export const allowableChannelTypes = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.GuildForum,
  ChannelType.GuildMedia,
  ChannelType.GuildVoice,
  ChannelType.GuildStageVoice,
] as const;

export function data(catalogue: Catalogue) {
  const modelChoices = catalogue.offered
    .slice(0, 25)
    .map((model) => ({ name: model.label, value: model.id }));
  return named(new SlashCommandBuilder(), name, ['视频管理', '影片管理'], 'command.admin.description')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) =>
      named(sub, 'quota', ['额度', '額度'], 'command.admin.quota')
        .addIntegerOption((o) =>
          named(o, 'in_flight', ['同时进行', '同時進行'], 'command.admin.quota.in_flight')
            .setMinValue(1)
            .setMaxValue(100),
        )
        .addIntegerOption((o) =>
          named(o, 'per_day', ['每日数量', '每日數量'], 'command.admin.quota.per_day')
            .setMinValue(1)
            .setMaxValue(10_000),
        )
        .addIntegerOption((o) =>
          named(o, 'guild_seconds', ['服务器秒数', '伺服器秒數'], 'command.admin.quota.guild_seconds')
            .setMinValue(1)
            .setMaxValue(1_000_000),
        ),
    )
    .addSubcommand((sub) => named(sub, 'channels', ['频道列表', '頻道列表'], 'command.admin.channels'))
    .addSubcommand((sub) =>
      named(sub, 'allow-channel', ['允许频道', '允許頻道'], 'command.admin.allow_channel').addChannelOption(
        (o) =>
          named(o, 'channel', ['频道', '頻道'], 'command.admin.channel')
            .addChannelTypes(...allowableChannelTypes)
            .setRequired(true),
      ),
    )
    .addSubcommand((sub) =>
      named(
        sub,
        'disallow-channel',
        ['移除频道', '移除頻道'],
        'command.admin.disallow_channel',
      ).addChannelOption((o) =>
        named(o, 'channel', ['频道', '頻道'], 'command.admin.channel').setRequired(true),
      ),
    )
    .addSubcommand((sub) =>
      named(
        sub,
        'moderator-role',
        ['版主身份组', '版主身分組'],
        'command.admin.moderator_role',
      ).addRoleOption((o) => named(o, 'role', ['身份组', '身分組'], 'command.admin.role')),
    )
    .addSubcommand((sub) =>
      named(sub, 'block', ['封禁', '封鎖'], 'command.admin.block')
        .addUserOption((o) => named(o, 'user', ['成员', '成員'], 'command.admin.user').setRequired(true))
        .addStringOption((o) =>
          named(o, 'reason', ['原因', '原因'], 'command.admin.reason').setMaxLength(200),
        ),
    )
    .addSubcommand((sub) =>
      named(sub, 'unblock', ['解封', '解除封鎖'], 'command.admin.unblock').addUserOption((o) =>
        named(o, 'user', ['成员', '成員'], 'command.admin.user').setRequired(true),
      ),
    )
    .addSubcommand((sub) =>
      named(sub, 'cancel', ['取消任务', '取消任務'], 'command.admin.cancel').addIntegerOption((o) =>
        named(o, 'job', ['任务', '任務'], 'command.admin.job').setRequired(true).setMinValue(1),
      ),
    )
    .addSubcommand((sub) => named(sub, 'usage', ['用量', '用量'], 'command.admin.usage'))
    .addSubcommand((sub) => named(sub, 'audit', ['操作日志', '操作紀錄'], 'command.admin.audit'))
    .addSubcommand((sub) =>
      named(sub, 'threads', ['子区', '討論串'], 'command.admin.threads')
        .addStringOption((o) =>
          named(o, 'mode', ['模式', '模式'], 'command.admin.threads.mode')
            .setRequired(true)
            .addChoices(
              ...(
                [
                  ['on', 'command.admin.threads.on'],
                  ['off', 'command.admin.threads.off'],
                ] as const
              ).map(([mode, key]) => ({
                name: t('en-US', key),
                name_localizations: localisations(key),
                value: mode,
              })),
            ),
        )
        .addChannelOption((o) =>
          named(o, 'channel', ['频道', '頻道'], 'command.admin.channel').addChannelTypes(
            ...threadableChannelTypes,
          ),
        ),
    )
    .addSubcommandGroup((group) => blockedWordsGroup(group))
    .addSubcommandGroup((group) => styleGroup(group, modelChoices))
    .addSubcommandGroup((group) => channelDefaultsGroup(group, modelChoices))
    .addSubcommand(channelLimitsSubcommand);
}

// Server styles, channel defaults and per-channel caps (issue 12).

type ModelChoice = { name: string; value: string };

const channelOption = (o: SlashCommandChannelOption) =>
  named(o, 'channel', ['频道', '頻道'], 'command.admin.channel')
    .addChannelTypes(...allowableChannelTypes)
    .setRequired(true);

function styleGroup(group: SlashCommandSubcommandGroupBuilder, models: ModelChoice[]) {
  return named(group, 'style', ['风格', '風格'], 'command.admin.style')
    .addSubcommand((sub) =>
      named(sub, 'add', ['添加', '新增'], 'command.admin.style.add')
        .addStringOption((o) =>
          named(o, 'name', ['名称', '名稱'], 'command.admin.style.name')
            .setRequired(true)
            .setMaxLength(maxStyleNameLength),
        )
        .addStringOption((o) =>
          named(o, 'text', ['文字', '文字'], 'command.admin.style.text')
            .setRequired(true)
            .setMaxLength(maxStyleTextLength),
        )
        .addStringOption((o) =>
          named(o, 'placement', ['位置', '位置'], 'command.admin.style.placement').addChoices(
            ...(['before', 'after'] as const).map((placement) => ({
              name: t(Locale.EnglishUS, placementKeys[placement]),
              name_localizations: localisations(placementKeys[placement]),
              value: placement,
            })),
          ),
        )
        .addStringOption((o) =>
          named(o, 'model', ['模型', '模型'], 'command.admin.style.model').addChoices(...models),
        )
        .addStringOption((o) =>
          named(o, 'size', ['尺寸', '尺寸'], 'command.admin.style.size').setMaxLength(20),
        )
        .addIntegerOption((o) =>
          named(o, 'duration', ['时长', '長度'], 'command.admin.style.duration')
            .setMinValue(1)
            .setMaxValue(120),
        ),
    )
    .addSubcommand((sub) =>
      named(sub, 'remove', ['删除', '移除'], 'command.admin.style.remove').addStringOption((o) =>
        named(o, 'name', ['名称', '名稱'], 'command.admin.style.name')
          .setRequired(true)
          .setMaxLength(maxStyleNameLength)
          .setAutocomplete(true),
      ),
    )
    .addSubcommand((sub) => named(sub, 'list', ['列表', '列表'], 'command.admin.style.list'));
}

function channelDefaultsGroup(group: SlashCommandSubcommandGroupBuilder, models: ModelChoice[]) {
  return named(group, 'channel-defaults', ['频道默认', '頻道預設'], 'command.admin.channel_defaults')
    .addSubcommand((sub) =>
      named(sub, 'set', ['设置', '設定'], 'command.admin.channel_defaults.set')
        .addChannelOption(channelOption)
        .addStringOption((o) =>
          named(o, 'model', ['模型', '模型'], 'command.admin.default_model').addChoices(...models),
        )
        .addStringOption((o) =>
          named(o, 'size', ['尺寸', '尺寸'], 'command.admin.default_size').setMaxLength(20),
        )
        .addIntegerOption((o) =>
          named(o, 'duration', ['时长', '長度'], 'command.admin.default_duration')
            .setMinValue(1)
            .setMaxValue(120),
        )
        .addStringOption((o) =>
          named(o, 'style', ['风格', '風格'], 'command.admin.default_style')
            .setMaxLength(maxStyleNameLength)
            .setAutocomplete(true),
        ),
    )
    .addSubcommand((sub) =>
      named(sub, 'clear', ['清除', '清除'], 'command.admin.channel_defaults.clear').addChannelOption(
        channelOption,
      ),
    )
    .addSubcommand((sub) =>
      named(sub, 'show', ['查看', '查看'], 'command.admin.channel_defaults.show').addChannelOption(
        channelOption,
      ),
    );
}

function channelLimitsSubcommand(sub: SlashCommandSubcommandBuilder) {
  return named(sub, 'channel-limits', ['频道限制', '頻道限制'], 'command.admin.channel_limits')
    .addChannelOption(channelOption)
    .addIntegerOption((o) =>
      named(o, 'max_duration', ['最长时长', '最長長度'], 'command.admin.max_duration')
        .setMinValue(1)
        .setMaxValue(120),
    )
    .addIntegerOption((o) =>
      named(o, 'max_takes', ['最多份数', '最多份數'], 'command.admin.max_takes')
        .setMinValue(1)
        .setMaxValue(maxTakes),
    )
    .addBooleanOption((o) => named(o, 'remove', ['移除', '移除'], 'command.admin.remove_limits'));
}

/** /video-admin blocked-words add|remove|list. */
function blockedWordsGroup(group: SlashCommandSubcommandGroupBuilder) {
  const word = (option: SlashCommandStringOption) =>
    named(option, 'word', ['词语', '詞語'], 'command.admin.blocked_words.word')
      .setRequired(true)
      .setMaxLength(maxBlockedWordLength);
  return named(group, 'blocked-words', ['屏蔽词', '封鎖詞'], 'command.admin.blocked_words')
    .addSubcommand((sub) =>
      named(sub, 'add', ['添加', '新增'], 'command.admin.blocked_words.add').addStringOption(word),
    )
    .addSubcommand((sub) =>
      named(sub, 'remove', ['移除', '移除'], 'command.admin.blocked_words.remove').addStringOption(word),
    )
    .addSubcommand((sub) => named(sub, 'list', ['列表', '清單'], 'command.admin.blocked_words.list'));
}

/** Channels whose messages threads are started from (a forum's posts are threads already). */
const threadableChannelTypes = [ChannelType.GuildText, ChannelType.GuildAnnouncement] as const;

type Handler = (
  interaction: ChatInputCommandInteraction<'cached' | 'raw'>,
  context: BotContext,
) => string | Promise<string>;

const quota: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const guildId = interaction.guildId;
  const changes = {
    inFlightPerUser: interaction.options.getInteger('in_flight') ?? undefined,
    jobsPerUserPerDay: interaction.options.getInteger('per_day') ?? undefined,
    secondsPerDay: interaction.options.getInteger('guild_seconds') ?? undefined,
  };
  const changing = Object.values(changes).some((value) => value !== undefined);
  if (changing) {
    await context.store.updateGuildSettings(
      guildId,
      Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
    );
    await context.moderation.audit({
      guildId,
      actorId: interaction.user.id,
      action: 'quota.set',
      details: changes,
    });
  }
  const settings = await context.store.guildSettings(guildId);
  const limits = effectiveLimits(context.config.quotas, settings);
  const shown = (value: number, override: number | null) =>
    override === null ? t(locale, 'admin.default_marker', { value }) : value;
  return [
    changing ? t(locale, 'admin.quota_updated') : '',
    `**${t(locale, 'admin.quota_title')}**`,
    t(locale, 'admin.quota_in_flight', { value: shown(limits.inFlightPerUser, settings.inFlightPerUser) }),
    t(locale, 'admin.quota_per_day', { value: shown(limits.jobsPerUserPerDay, settings.jobsPerUserPerDay) }),
    t(locale, 'admin.quota_seconds', { value: shown(limits.secondsPerGuildPerDay, settings.secondsPerDay) }),
  ]
    .filter(Boolean)
    .join('\n');
};

/** The allowed channels, as many whole mentions as fit in `max` characters, then "and N more". */
async function channelsText(
  context: BotContext,
  guildId: string,
  locale: string,
  max = maxContentLength,
): Promise<string> {
  const allowed = (await context.store.guildSettings(guildId)).allowedChannelIds;
  return allowed.length === 0
    ? t(locale, 'admin.channels_all')
    : textWithList(locale, 'admin.channels_list', 'channels', allowed.map(channelMention), {
        max,
        separator: t(locale, 'list.separator'),
      });
}

const channels: Handler = (interaction, context) =>
  channelsText(context, interaction.guildId, interaction.locale);

function changeChannel(add: boolean): Handler {
  return async (interaction, context) => {
    const channel = interaction.options.getChannel('channel', true);
    // Discord's picker already offers only these; an older registration or a crafted call may not.
    if (add && !(allowableChannelTypes as readonly ChannelType[]).includes(channel.type)) {
      return t(interaction.locale, 'admin.channel_wrong_type', { channel: channelMention(channel.id) });
    }
    const current = (await context.store.guildSettings(interaction.guildId)).allowedChannelIds;
    const next = add ? [...new Set([...current, channel.id])] : current.filter((id) => id !== channel.id);
    await context.store.updateGuildSettings(interaction.guildId, { allowedChannelIds: next });
    await context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: add ? 'channel.allow' : 'channel.disallow',
      target: channel.id,
    });
    const done = t(interaction.locale, add ? 'admin.channel_added' : 'admin.channel_removed', {
      channel: channelMention(channel.id),
    });
    const list = await channelsText(
      context,
      interaction.guildId,
      interaction.locale,
      maxContentLength - done.length - 1,
    );
    return `${done}\n${list}`;
  };
}

const moderatorRole: Handler = async (interaction, context) => {
  const role = interaction.options.getRole('role');
  // @everyone's id is the guild's: as the moderator role it would make every member a moderator.
  if (role?.id === interaction.guildId) return t(interaction.locale, 'admin.moderator_role_everyone');
  await context.store.updateGuildSettings(interaction.guildId, { moderatorRoleId: role?.id ?? null });
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'moderator_role.set',
    target: role?.id ?? null,
  });
  return role
    ? t(interaction.locale, 'admin.moderator_role_set', { role: roleMention(role.id) })
    : t(interaction.locale, 'admin.moderator_role_cleared');
};

const block: Handler = async (interaction, context) => {
  const user = interaction.options.getUser('user', true);
  // Discord resolves the member only when the user is in this server.
  if (!interaction.options.getMember('user')) return t(interaction.locale, 'admin.block_not_member');
  const reason = interaction.options.getString('reason');
  const changed = await context.moderation.block(interaction.guildId, user.id, interaction.user.id, reason);
  if (changed) {
    await context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'member.block',
      target: user.id,
      details: reason ? { reason } : undefined,
    });
  }
  return t(interaction.locale, changed ? 'admin.blocked' : 'admin.already_blocked', {
    user: userMention(user.id),
  });
};

const unblock: Handler = async (interaction, context) => {
  const user = interaction.options.getUser('user', true);
  const changed = await context.moderation.unblock(interaction.guildId, user.id);
  if (changed) {
    await context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'member.unblock',
      target: user.id,
    });
  }
  return t(interaction.locale, changed ? 'admin.unblocked' : 'admin.not_blocked', {
    user: userMention(user.id),
  });
};

const cancel: Handler = async (interaction, context) => {
  const id = interaction.options.getInteger('job', true);
  const job = await context.store.get(id);
  // Another guild's job is "not found" here: nothing about it is revealed.
  if (!job || job.guildId !== interaction.guildId) return t(interaction.locale, 'error.job_not_found');
  // A take of a request of several: the moderator cancels the whole request, every take still running.
  const canceled = await cancelRequest(
    { store: context.store, client: context.videoClient, logger: context.logger },
    job,
    interaction.user.id,
  );
  if (canceled.length === 0) return t(interaction.locale, 'error.not_finished');
  for (const take of canceled) {
    await context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'job.cancel',
      target: String(take.id),
    });
    await context.notifier.showNow(take);
  }
  if (canceled.length === 1 && canceled[0]?.id === id)
    return t(interaction.locale, 'admin.job_canceled', { id });
  const jobs = listText(
    interaction.locale,
    canceled.map((take) => `#${take.id}`),
  );
  return t(interaction.locale, 'admin.request_canceled', { id, jobs });
};

function usageBlock(summary: UsageSummary, locale: string): string {
  const list = (items: string[]) => (items.length > 0 ? listText(locale, items) : t(locale, 'admin.none'));
  const seconds = (value: number) => t(locale, 'render.duration_value', { seconds: value });
  const states = list(
    Object.entries(summary.byState).map(([state, n]) => `${t(locale, `state.${state as JobState}`)} ${n}`),
  );
  const members = list(
    summary.topMembers.map((m) =>
      t(locale, 'list.detail', { item: `${userMention(m.userId)} ${m.jobs}`, detail: seconds(m.seconds) }),
    ),
  );
  const reasons = list(summary.failureReasons.map((r) => `${failureKindName(locale, r.kind)} ${r.jobs}`));
  return [
    t(locale, 'admin.usage_line', { jobs: summary.jobs, seconds: summary.seconds }),
    t(locale, 'admin.usage_states', { states }),
    t(locale, 'admin.usage_top', { members }),
    t(locale, 'admin.usage_failures', { reasons }),
    t(locale, 'admin.usage_refusals', { count: summary.refusals }),
  ].join('\n');
}

const usage: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const at = context.now();
  const [day, week] = await Promise.all([
    context.moderation.usage(interaction.guildId, at - 86_400_000),
    context.moderation.usage(interaction.guildId, at - 7 * 86_400_000),
  ]);
  return [
    `**${t(locale, 'admin.usage_title')}**`,
    `__${t(locale, 'admin.usage_today')}__`,
    usageBlock(day, locale),
    `__${t(locale, 'admin.usage_week')}__`,
    usageBlock(week, locale),
  ].join('\n');
};

/** A blocked word as moderators read it: escaped, under a spoiler (they need not read it to scroll past). */
const shownWord = (word: string) => `||${escapeUntrusted(word, maxBlockedWordLength)}||`;

const addBlockedWord: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const word = interaction.options.getString('word', true).trim();
  const problem = blockedWordProblem(word);
  if (problem === 'too_long') return t(locale, 'admin.word_too_long', { max: maxBlockedWordLength });
  if (problem) return t(locale, 'admin.word_nothing_to_match');
  const words = await context.store.blockedWords(interaction.guildId);
  if (words.length >= maxBlockedWords) return t(locale, 'admin.words_full', { max: maxBlockedWords });
  const added = await context.store.addBlockedWord(interaction.guildId, word, interaction.user.id);
  if (!added) return t(locale, 'admin.word_already', { word: shownWord(word) });
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'blocked_word.add',
    target: word,
  });
  return t(locale, 'admin.word_added', { word: shownWord(word) });
};

const removeBlockedWord: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const removed = await context.store.removeBlockedWord(
    interaction.guildId,
    interaction.options.getString('word', true).trim(),
  );
  if (removed === null) return t(locale, 'admin.word_not_blocked');
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'blocked_word.remove',
    target: removed,
  });
  return t(locale, 'admin.word_removed', { word: shownWord(removed) });
};

const listBlockedWords: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const words = await context.store.blockedWords(interaction.guildId);
  if (words.length === 0) return t(locale, 'admin.words_empty');
  return textWithList(
    locale,
    'admin.words_list',
    'words',
    words.map((entry) => shownWord(entry.word)),
    { vars: { count: words.length }, separator: t(locale, 'list.separator') },
  );
};

/**
 * What each recorded action says, as a template with its target ({target}: a stored id, shown
 * as a mention), and the template for the same action without a target, where there is one.
 */
const auditActions: Record<
  string,
  {
    key: MessageKey;
    untargeted?: MessageKey;
    target: (id: string) => string;
    /** The target is text (a blocked word), which `target` escapes itself, not a stored id. */
    text?: true;
  }
> = {
  'quota.set': { key: 'audit.quota.set', target: () => '' },
  'channel.allow': { key: 'audit.channel.allow', target: channelMention },
  'channel.disallow': { key: 'audit.channel.disallow', target: channelMention },
  'moderator_role.set': {
    key: 'audit.moderator_role.set',
    untargeted: 'audit.moderator_role.clear',
    target: roleMention,
  },
  'member.block': { key: 'audit.member.block', target: userMention },
  'member.unblock': { key: 'audit.member.unblock', target: userMention },
  'job.cancel': { key: 'audit.job.cancel', target: (id) => `#${id}` },
  'channel.threads': { key: 'audit.channel.threads', target: channelMention },
  'job.remove': { key: 'audit.job.remove', target: (id) => `#${id}` },
  'history.export': { key: 'audit.history.export', target: userMention },
  'history.view': { key: 'audit.history.view', target: userMention },
  'blocked_word.add': { key: 'audit.blocked_word.add', target: shownWord, text: true },
  'blocked_word.remove': { key: 'audit.blocked_word.remove', target: shownWord, text: true },
  'style.add': { key: 'audit.style.add', target: (name) => escapeUntrusted(name, 40) },
  'style.remove': { key: 'audit.style.remove', target: (name) => escapeUntrusted(name, 40) },
  'channel_defaults.set': { key: 'audit.channel_defaults.set', target: channelMention },
  'channel_defaults.clear': { key: 'audit.channel_defaults.clear', target: channelMention },
  'channel_limits.set': { key: 'audit.channel_limits.set', target: channelMention },
  'channel_limits.clear': { key: 'audit.channel_limits.clear', target: channelMention },
};

function auditLine(entry: AuditEntry, locale: string): string {
  const known = auditActions[entry.action];
  const target = !entry.target
    ? ''
    : known && (known.text || /^\d+$/.test(entry.target))
      ? known.target(entry.target)
      : escapeUntrusted(entry.target, 40);
  const action = !known
    ? [escapeUntrusted(entry.action, 40), target].filter(Boolean).join(' ')
    : t(locale, !entry.target && known.untargeted ? known.untargeted : known.key, { target });
  const details = entry.details ? `\`${escapeUntrusted(entry.details, 80).replaceAll('`', "'")}\`` : '';
  const when = time(Math.floor(entry.createdAt / 1000), TimestampStyles.RelativeTime);
  return [when, userMention(entry.actorId), action, details].filter(Boolean).join(' ');
}

const audit: Handler = async (interaction, context) => {
  const entries = await context.moderation.auditLog(interaction.guildId, 15);
  if (entries.length === 0) return t(interaction.locale, 'admin.audit_empty');
  const lines = entries.map((entry) => auditLine(entry, interaction.locale));
  return [`**${t(interaction.locale, 'admin.audit_title')}**`, ...lines].join('\n');
};

/** `/video-admin threads on|off [channel]`: whether every /video in the channel opens its own thread. */
const threads: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const given = interaction.options.getChannel('channel');
  const channel = given ?? interaction.channel;
  const channelId = given?.id ?? interaction.channelId;
  if (!channel || !(threadableChannelTypes as readonly ChannelType[]).includes(channel.type)) {
    return t(locale, 'admin.threads_wrong_type', { channel: channelMention(channelId) });
  }
  const on = interaction.options.getString('mode', true) === 'on';
  await context.store.updateChannelSettings(interaction.guildId, channelId, { threads: on });
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'channel.threads',
    target: channelId,
    details: { threads: on ? 'on' : 'off' },
  });
  return t(locale, on ? 'admin.threads_on' : 'admin.threads_off', { channel: channelMention(channelId) });
};

const styleAdd: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const checked = checkStyle(
    {
      name: interaction.options.getString('name', true),
      text: interaction.options.getString('text', true),
      placement: interaction.options.getString('placement') === 'before' ? 'before' : 'after',
      model: interaction.options.getString('model'),
      size: interaction.options.getString('size'),
      seconds: interaction.options.getInteger('duration'),
    },
    context.catalogue,
  );
  if (!checked.ok) return styleProblemText(locale, checked);
  const style = checked.style;
  const shown = `**${escapeUntrusted(style.name, maxStyleNameLength)}**`;
  const added = await context.store.addStyle({
    ...style,
    guildId: interaction.guildId,
    createdBy: interaction.user.id,
  });
  if (!added) return t(locale, 'admin.style_exists', { name: shown });
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'style.add',
    target: style.name,
    details: style,
  });
  return `${t(locale, 'admin.style_added', { name: shown })}\n${styleLine(style, locale)}`;
};

const styleRemove: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const wanted = interaction.options.getString('name', true);
  const removed = await context.store.removeStyle(interaction.guildId, wanted);
  if (!removed) {
    return t(locale, 'admin.style_not_found', { name: `**${escapeUntrusted(wanted, maxStyleNameLength)}**` });
  }
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'style.remove',
    target: removed.name,
  });
  return t(locale, 'admin.style_removed', {
    name: `**${escapeUntrusted(removed.name, maxStyleNameLength)}**`,
  });
};

/** A style as the admin reads it: its name, where its text goes, the text, and its own settings. */
function styleLine(
  style: Pick<ServerStyle, 'name' | 'text' | 'placement' | 'model' | 'size' | 'seconds'>,
  locale: string,
): string {
  const line = t(locale, 'admin.style_line', {
    name: escapeUntrusted(style.name, maxStyleNameLength),
    placement: t(locale, placementKeys[style.placement]),
    text: escapeUntrusted(style.text, maxStyleTextLength),
  });
  const settings = [
    style.model ? escapeUntrusted(style.model, 60) : null,
    style.size ? style.size.replace('x', '×') : null,
    style.seconds ? t(locale, 'render.duration_value', { seconds: style.seconds }) : null,
  ].filter(Boolean);
  return settings.length > 0
    ? `${line}\n-# ${t(locale, 'admin.style_uses', { settings: settings.join(' · ') })}`
    : line;
}

const styleList: Handler = async (interaction, context) => {
  const styles = await context.store.styles(interaction.guildId);
  if (styles.length === 0) return t(interaction.locale, 'admin.styles_empty');
  return [
    `**${t(interaction.locale, 'admin.styles_title')}**`,
    ...styles.map((style) => styleLine(style, interaction.locale)),
  ].join('\n');
};

/** A channel's defaults and limits, each "not set" when the server's rules apply. */
async function channelSettingsText(
  context: BotContext,
  guildId: string,
  channelId: string,
  locale: string,
): Promise<string> {
  const settings = await context.store.channelSettings(guildId, channelId);
  const unset = t(locale, 'admin.not_set');
  const seconds = (value: number | null) =>
    value === null ? unset : t(locale, 'render.duration_value', { seconds: value });
  let style = unset;
  if (settings.styleName !== null) {
    const name = `**${escapeUntrusted(settings.styleName, maxStyleNameLength)}**`;
    const exists = await context.store.style(guildId, settings.styleName);
    style = exists ? name : t(locale, 'admin.style_gone', { name });
  }
  return [
    `**${t(locale, 'admin.channel_settings_title', { channel: channelMention(channelId) })}**`,
    t(locale, 'admin.channel_model', { value: settings.model ? escapeUntrusted(settings.model, 60) : unset }),
    t(locale, 'admin.channel_size', { value: settings.size ? settings.size.replace('x', '×') : unset }),
    t(locale, 'admin.channel_seconds', { value: seconds(settings.seconds) }),
    t(locale, 'admin.channel_style', { value: style }),
    t(locale, 'admin.channel_max_seconds', { value: seconds(settings.maxSeconds) }),
    t(locale, 'admin.channel_max_takes', { value: settings.maxTakes ?? unset }),
  ].join('\n');
}

const channelDefaultsSet: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const channel = interaction.options.getChannel('channel', true);
  const checked = checkSettings(
    {
      model: interaction.options.getString('model'),
      size: interaction.options.getString('size'),
      seconds: interaction.options.getInteger('duration'),
    },
    context.catalogue,
  );
  if (!checked.ok) return styleProblemText(locale, checked);
  const wantedStyle = interaction.options.getString('style');
  const style = wantedStyle ? await context.store.style(interaction.guildId, wantedStyle) : undefined;
  if (wantedStyle && !style) {
    return t(locale, 'admin.style_not_found', {
      name: `**${escapeUntrusted(wantedStyle, maxStyleNameLength)}**`,
    });
  }
  // Only what was given changes; a channel's defaults are cleared with `clear`.
  const patch = Object.fromEntries(
    Object.entries({ ...checked.settings, styleName: style?.name ?? null }).filter(
      ([, value]) => value !== null,
    ),
  );
  if (Object.keys(patch).length > 0) {
    await context.store.updateChannelSettings(interaction.guildId, channel.id, patch);
    await context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action: 'channel_defaults.set',
      target: channel.id,
      details: patch,
    });
  }
  const done =
    Object.keys(patch).length > 0
      ? t(locale, 'admin.channel_defaults_saved', { channel: channelMention(channel.id) })
      : '';
  return [done, await channelSettingsText(context, interaction.guildId, channel.id, locale)]
    .filter(Boolean)
    .join('\n');
};

const channelDefaultsClear: Handler = async (interaction, context) => {
  const channel = interaction.options.getChannel('channel', true);
  await context.store.updateChannelSettings(interaction.guildId, channel.id, {
    model: null,
    size: null,
    seconds: null,
    styleName: null,
  });
  await context.moderation.audit({
    guildId: interaction.guildId,
    actorId: interaction.user.id,
    action: 'channel_defaults.clear',
    target: channel.id,
  });
  return t(interaction.locale, 'admin.channel_defaults_cleared', { channel: channelMention(channel.id) });
};

const channelDefaultsShow: Handler = (interaction, context) =>
  channelSettingsText(
    context,
    interaction.guildId,
    interaction.options.getChannel('channel', true).id,
    interaction.locale,
  );

const channelLimits: Handler = async (interaction, context) => {
  const locale = interaction.locale;
  const channel = interaction.options.getChannel('channel', true);
  const audit = (action: string, details?: unknown) =>
    context.moderation.audit({
      guildId: interaction.guildId,
      actorId: interaction.user.id,
      action,
      target: channel.id,
      details,
    });
  if (interaction.options.getBoolean('remove')) {
    await context.store.updateChannelSettings(interaction.guildId, channel.id, {
      maxSeconds: null,
      maxTakes: null,
    });
    await audit('channel_limits.clear');
    return t(locale, 'admin.channel_limits_cleared', { channel: channelMention(channel.id) });
  }
  const patch = Object.fromEntries(
    Object.entries({
      maxSeconds: interaction.options.getInteger('max_duration'),
      maxTakes: interaction.options.getInteger('max_takes'),
    }).filter(([, value]) => value !== null),
  );
  const changing = Object.keys(patch).length > 0;
  if (changing) {
    await context.store.updateChannelSettings(interaction.guildId, channel.id, patch);
    await audit('channel_limits.set', patch);
  }
  const done = changing
    ? t(locale, 'admin.channel_limits_saved', { channel: channelMention(channel.id) })
    : '';
  return [done, await channelSettingsText(context, interaction.guildId, channel.id, locale)]
    .filter(Boolean)
    .join('\n');
};

/** Autocomplete of this server's styles (style remove, channel-defaults set). */
export async function autocomplete(interaction: AutocompleteInteraction, context: BotContext): Promise<void> {
  // Only admins see the command's lists; another member gets nothing.
  const admin = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  const focused = interaction.options.getFocused(true);
  const choices =
    admin && (focused.name === 'name' || focused.name === 'style')
      ? await styleChoices(context, interaction.guildId, String(focused.value))
      : [];
  await interaction.respond(choices);
}

const handlers: Record<string, Handler> = {
  'style add': styleAdd,
  'style remove': styleRemove,
  'style list': styleList,
  'channel-defaults set': channelDefaultsSet,
  'channel-defaults clear': channelDefaultsClear,
  'channel-defaults show': channelDefaultsShow,
  'channel-limits': channelLimits,
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
  threads,
  'blocked-words add': addBlockedWord,
  'blocked-words remove': removeBlockedWord,
  'blocked-words list': listBlockedWords,
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
  const group = interaction.options.getSubcommandGroup(false);
  const subcommand = interaction.options.getSubcommand(true);
  const handler = handlers[group ? `${group} ${subcommand}` : subcommand];
  if (!handler) return;
  // Canceling waits its turn behind any edit of the job's card: acknowledge within Discord's 3 seconds first.
  const slow = subcommand === 'cancel';
  if (slow) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  // Cut on a line boundary, never inside a mention or a character: Discord refuses more than 2,000.
  const text = fitLines(await handler(interaction, context), locale);
  if (slow) {
    await interaction.editReply({ content: text, allowedMentions: { parse: [] } });
    return;
  }
  await interaction.reply({ content: text, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

export const command: SlashCommand = {
  type: ApplicationCommandType.ChatInput,
  name,
  data,
  execute,
  autocomplete,
};
