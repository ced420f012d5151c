// Per-guild settings on SQLite: quota overrides, allowed channels (a JSON array) and the moderator role.
import type { GuildSettings, Settings } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

export function sqliteSettings(sql: SqliteDatabase): Synchronous<Settings> {
  const read = (guildId: string): GuildSettings => {
    const row = sql
      .prepare(
        `SELECT guild_id AS guildId, in_flight_per_user AS inFlightPerUser, jobs_per_user_per_day AS jobsPerUserPerDay,
                seconds_per_day AS secondsPerDay, allowed_channel_ids AS allowed, moderator_role_id AS moderatorRoleId
         FROM guild_settings WHERE guild_id = ?`,
      )
      .get(guildId) as (Omit<GuildSettings, 'allowedChannelIds'> & { allowed: string }) | undefined;
    if (!row) {
      return {
        guildId,
        inFlightPerUser: null,
        jobsPerUserPerDay: null,
        secondsPerDay: null,
        allowedChannelIds: [],
        moderatorRoleId: null,
      };
    }
    const { allowed, ...rest } = row;
    return { ...rest, allowedChannelIds: JSON.parse(allowed) as string[] };
  };

  return {
    guildSettings: read,

    updateGuildSettings: (guildId, patch) =>
      sql.transaction(() => {
        const merged = { ...read(guildId), ...patch };
        sql
          .prepare(
            `INSERT INTO guild_settings (guild_id, in_flight_per_user, jobs_per_user_per_day, seconds_per_day,
               allowed_channel_ids, moderator_role_id, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (guild_id) DO UPDATE SET in_flight_per_user = excluded.in_flight_per_user,
               jobs_per_user_per_day = excluded.jobs_per_user_per_day, seconds_per_day = excluded.seconds_per_day,
               allowed_channel_ids = excluded.allowed_channel_ids, moderator_role_id = excluded.moderator_role_id,
               updated_at = excluded.updated_at`,
          )
          .run(
            guildId,
            merged.inFlightPerUser,
            merged.jobsPerUserPerDay,
            merged.secondsPerDay,
            JSON.stringify(merged.allowedChannelIds),
            merged.moderatorRoleId,
            sql.now(),
          );
        return read(guildId);
      }),
  };
}
