// Permission preconditions, used by every handler that needs them.
import {
  type Channel,
  channelMention,
  type GuildMemberRoleManager,
  PermissionFlagsBits,
  type PermissionsBitField,
} from 'discord.js';
import { t } from '../i18n/index.ts';
import type { Job, JobStore, Moderation } from '../jobs/index.ts';
import { textWithList } from './fitContent.ts';

interface Clicker {
  guildId: string | null;
  user: { id: string };
  memberPermissions: Readonly<PermissionsBitField> | null;
  member: { roles: string[] | GuildMemberRoleManager } | null;
}

function roleIds(member: Clicker['member']): string[] {
  if (!member) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

/** Manage Messages, or the guild's configured moderator role. Read from the interaction, not the command's defaults. */
export async function isModerator(interaction: Clicker, store: JobStore): Promise<boolean> {
  if (!interaction.guildId) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages)) return true;
  const role = (await store.guildSettings(interaction.guildId)).moderatorRoleId;
  return role !== null && roleIds(interaction.member).includes(role);
}

/** The job's requester or a moderator of the job's own guild; a job of another guild is never anyone's here. */
export async function requireRequesterOrModerator(
  interaction: Clicker,
  job: Job,
  store: JobStore,
): Promise<boolean> {
  if (job.guildId !== interaction.guildId) return false;
  return job.userId === interaction.user.id || isModerator(interaction, store);
}

interface Generator {
  guildId: string | null;
  channelId: string | null;
  channel: Channel | null;
  user: { id: string };
  locale: string;
  client: { channels: { fetch(id: string): Promise<Channel | null> } };
}

/** The parent of the thread the interaction came from, or null when it is not in a thread. */
export async function threadParentId(interaction: Generator): Promise<string | null> {
  // Threads announced over the gateway are cached; one the bot never heard of is asked for.
  const channel =
    interaction.channel ??
    (interaction.channelId
      ? await interaction.client.channels.fetch(interaction.channelId).catch(() => null)
      : null);
  return channel?.isThread() ? channel.parentId : null;
}

/**
 * Every path into startJob (/video, Regenerate, Remix) goes through this one check: blocked
 * members and channels outside the allowed list make nothing. A thread counts as its parent
 * channel, so allowing a forum or a text channel allows the threads in it.
 * Returns the sentence to show the member, or null when they may generate here.
 */
export async function requireAllowedToGenerate(
  interaction: Generator,
  deps: { store: JobStore; moderation: Pick<Moderation, 'isBlocked'> },
): Promise<string | null> {
  const { guildId, locale } = interaction;
  if (!guildId) return t(locale, 'error.guild_only');
  if (await deps.moderation.isBlocked(guildId, interaction.user.id)) return t(locale, 'error.blocked');
  const allowed = (await deps.store.guildSettings(guildId)).allowedChannelIds;
  if (allowed.length === 0 || (interaction.channelId && allowed.includes(interaction.channelId))) return null;
  const parentId = await threadParentId(interaction);
  if (parentId && allowed.includes(parentId)) return null;
  // A server may allow hundreds of channels: the list stops at whole mentions within Discord's limit.
  return textWithList(locale, 'error.channel_not_allowed', 'channels', allowed.map(channelMention), {
    separator: t(locale, 'list.separator'),
  });
}
