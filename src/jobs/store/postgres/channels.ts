// Per-channel settings on PostgreSQL: an update writes only the fields it names, in one upsert.
import { channelColumns, channelSelectList, unsetChannel, writtenFields } from '../channelFields.ts';
import type { ChannelSettings, ChannelSettingsRows } from '../contract.ts';
import type { Database } from './database.ts';

export function createChannelSettings(database: Database, now: () => number): ChannelSettingsRows {
  return {
    async channelSettings(guildId, channelId) {
      const [row] = await database.query<ChannelSettings>(
        `SELECT ${channelSelectList} FROM channel_settings WHERE guild_id = $1 AND channel_id = $2`,
        [guildId, channelId],
      );
      return row ?? unsetChannel(guildId, channelId);
    },

    async updateChannelSettings(guildId, channelId, patch) {
      const written = writtenFields(patch);
      const columns = [
        'guild_id',
        'channel_id',
        'updated_at',
        ...written.map((field) => channelColumns[field]),
      ];
      const values = [guildId, channelId, now(), ...written.map((field) => patch[field])];
      const placeholders = values.map((_, index) => `$${index + 1}`).join(', ');
      const updates = columns.slice(2).map((column) => `${column} = excluded.${column}`);
      const [row] = await database.query<ChannelSettings>(
        `INSERT INTO channel_settings (${columns.join(', ')}) VALUES (${placeholders})
         ON CONFLICT (guild_id, channel_id) DO UPDATE SET ${updates.join(', ')}
         RETURNING ${channelSelectList}`,
        values,
      );
      return row ?? unsetChannel(guildId, channelId);
    },

    channelSettingsList: (guildId) =>
      database.query<ChannelSettings>(
        `SELECT ${channelSelectList} FROM channel_settings WHERE guild_id = $1 ORDER BY channel_id`,
        [guildId],
      ),
  };
}
