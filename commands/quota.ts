// /video-quota: what the member has left now: their videos in progress and their day against
// the limits, the server's seconds in the rolling 24 hours, and when the oldest stop counting.
import {
  ApplicationCommandType,
  type ChatInputCommandInteraction,
  InteractionContextType,
  SlashCommandBuilder,
  TimestampStyles,
  time,
} from 'discord.js';
import type { SlashCommand } from '../src/discord/commandContract.ts';
import { named } from '../src/discord/commandText.ts';
import type { BotContext } from '../src/discord/context.ts';
import { ephemeralText } from '../src/discord/render.ts';
import { t } from '../src/i18n/index.ts';
import { effectiveLimits, type QuotaLimits, type QuotaUsage } from '../src/jobs/index.ts';

export const name = 'video-quota';

export function data() {
  return named(
    new SlashCommandBuilder(),
    name,
    ['视频额度', '影片額度'],
    'command.quota.description',
  ).setContexts(InteractionContextType.Guild);
}

/** A moment as a Discord timestamp every client shows in its own time ("in 3 hours"), never early. */
const when = (at: number) => time(Math.ceil(at / 1000), TimestampStyles.RelativeTime);

/** The member's figures against the server's limits, one line each. Pure. */
export function quotaText(usage: QuotaUsage, limits: QuotaLimits, locale: string): string {
  const lines = [
    `**${t(locale, 'quota.title')}**`,
    t(locale, 'quota.in_flight', { count: usage.inFlight, max: limits.inFlightPerUser }),
  ];
  if (usage.inFlight >= limits.inFlightPerUser) lines.push(t(locale, 'quota.in_flight_full'));
  lines.push(t(locale, 'quota.today', { count: usage.jobsToday, max: limits.jobsPerUserPerDay }));
  if (usage.nextJobFreesAt !== null)
    lines.push(t(locale, 'quota.today_frees', { when: when(usage.nextJobFreesAt) }));
  lines.push(
    t(locale, 'quota.server', {
      used: usage.guildSeconds,
      max: limits.secondsPerGuildPerDay,
      left: Math.max(0, limits.secondsPerGuildPerDay - usage.guildSeconds),
    }),
  );
  if (usage.nextSecondsFree) {
    lines.push(
      t(locale, 'quota.server_frees', {
        seconds: usage.nextSecondsFree.seconds,
        when: when(usage.nextSecondsFree.at),
      }),
    );
  }
  return lines.join('\n');
}

export async function execute(interaction: ChatInputCommandInteraction, context: BotContext): Promise<void> {
  const locale = interaction.locale;
  if (!interaction.inGuild()) {
    await interaction.reply(ephemeralText(t(locale, 'error.guild_only')));
    return;
  }
  const [settings, usage] = await Promise.all([
    context.store.guildSettings(interaction.guildId),
    context.store.quotaUsage(interaction.guildId, interaction.user.id),
  ]);
  const limits = effectiveLimits(context.config.quotas, settings);
  await interaction.reply(ephemeralText(quotaText(usage, limits, locale)));
}

export const command: SlashCommand = { type: ApplicationCommandType.ChatInput, name, data, execute };
