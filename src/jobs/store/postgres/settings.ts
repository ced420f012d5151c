// Per-guild settings on PostgreSQL. An update writes only the fields it names, in one upsert:
// two admins changing different settings at once both keep their change.
import type { GuildSettings, Settings } from '../contract.ts';
import type { Database } from './database.ts';

type Field = keyof Omit<GuildSettings, 'guildId'>;

const settingColumns: Record<Field, string> = {
  inFlightPerUser: 'in_flight_per_user',
  jobsPerUserPerDay: 'jobs_per_user_per_day',
  secondsPerDay: 'seconds_per_day',
  allowedChannelIds: 'allowed_channel_ids',
  moderatorRoleId: 'moderator_role_id',
};

const settingsSelectList = [
  'guild_id AS "guildId"',
  ...Object.entries(settingColumns).map(([field, column]) => `${column} AS "${field}"`),
].join(', ');

const defaults = (guildId: string): GuildSettings => ({
  guildId,
  inFlightPerUser: null,
  jobsPerUserPerDay: null,
  secondsPerDay: null,
  allowedChannelIds: [],
  moderatorRoleId: null,
});

export function createSettings(database: Database, now: () => number): Settings {
  return {
    async guildSettings(guildId) {
      const [row] = await database.query<GuildSettings>(
        `SELECT ${settingsSelectList} FROM guild_settings WHERE guild_id = $1`,
        [guildId],
      );
      return row ?? defaults(guildId);
    },

    async updateGuildSettings(guildId, patch) {
      const written = (Object.keys(settingColumns) as Field[]).filter((field) => patch[field] !== undefined);
      const columns = ['guild_id', 'updated_at', ...written.map((field) => settingColumns[field])];
      const values = [guildId, now(), ...written.map((field) => patch[field])];
      const placeholders = values.map((_, index) => `$${index + 1}`).join(', ');
      const updates = columns.slice(1).map((column) => `${column} = excluded.${column}`);
      const [row] = await database.query<GuildSettings>(
        `INSERT INTO guild_settings (${columns.join(', ')}) VALUES (${placeholders})
         ON CONFLICT (guild_id) DO UPDATE SET ${updates.join(', ')}
         RETURNING ${settingsSelectList}`,
        values,
      );
      return row ?? defaults(guildId);
    },
  };
}
