// Permission preconditions, used by every handler that needs them.
import { type GuildMemberRoleManager, PermissionFlagsBits, type PermissionsBitField } from 'discord.js';
import type { Job, JobStore } from '../jobs/index.ts';

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
export function isModerator(interaction: Clicker, store: JobStore): boolean {
  if (!interaction.guildId) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages)) return true;
  const role = store.guildSettings(interaction.guildId).moderatorRoleId;
  return role !== null && roleIds(interaction.member).includes(role);
}

/** The job's requester or a moderator of the job's own guild; a job of another guild is never anyone's here. */
export function requireRequesterOrModerator(
  interaction: Clicker,
  job: Job | undefined,
  store: JobStore,
): job is Job {
  if (!job || job.guildId !== interaction.guildId) return false;
  return job.userId === interaction.user.id || isModerator(interaction, store);
}
