// Per-channel settings on SQLite (threads kept as 0/1, null when not set).
import { channelColumns, channelSelectList, unsetChannel, writtenFields } from '../channelFields.ts';
import type { ChannelSettings, ChannelSettingsRows } from '../contract.ts';
import type { SqliteDatabase, Synchronous } from './database.ts';

type Row = Omit<ChannelSettings, 'threads'> & { threads: number | null };

const toSettings = ({ threads, ...rest }: Row): ChannelSettings => ({
  ...rest,
  threads: threads === null ? null : threads === 1,
});

export function sqliteChannels(sql: SqliteDatabase): Synchronous<ChannelSettingsRows> {
  const read = (guildId: string, channelId: string): ChannelSettings => {
    const row = sql
      .prepare(`SELECT ${channelSelectList} FROM channel_settings WHERE guild_id = ? AND channel_id = ?`)
      .get(guildId, channelId) as Row | undefined;
    return row ? toSettings(row) : unsetChannel(guildId, channelId);
  };

  return {
    channelSettings: read,

    updateChannelSettings: (guildId, channelId, patch) =>
      sql.transaction(() => {
        const written = writtenFields(patch);
        const columns = [
          'guild_id',
          'channel_id',
          'updated_at',
          ...written.map((field) => channelColumns[field]),
        ];
        const values = written.map((field) => {
          const value = patch[field];
          return typeof value === 'boolean' ? (value ? 1 : 0) : value;
        });
        const updates = columns.slice(2).map((column) => `${column} = excluded.${column}`);
        sql
          .prepare(
            `INSERT INTO channel_settings (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})
             ON CONFLICT (guild_id, channel_id) DO UPDATE SET ${updates.join(', ')}`,
          )
          .run(guildId, channelId, sql.now(), ...values);
        return read(guildId, channelId);
      }),

    channelSettingsList: (guildId) =>
      (
        sql
          .prepare(`SELECT ${channelSelectList} FROM channel_settings WHERE guild_id = ? ORDER BY channel_id`)
          .all(guildId) as Row[]
      ).map(toSettings),
  };
}
