// A server's styles on PostgreSQL.
import type { ServerStyle, Styles } from '../contract.ts';
import { styleNameKey, styleSelectList } from '../styleFields.ts';
import type { Database } from './database.ts';

export function createStyles(database: Database, now: () => number): Styles {
  return {
    styles: (guildId) =>
      database.query<ServerStyle>(
        `SELECT ${styleSelectList} FROM guild_styles WHERE guild_id = $1 ORDER BY name_key`,
        [guildId],
      ),

    async style(guildId, name) {
      const [row] = await database.query<ServerStyle>(
        `SELECT ${styleSelectList} FROM guild_styles WHERE guild_id = $1 AND name_key = $2`,
        [guildId, styleNameKey(name)],
      );
      return row;
    },

    async addStyle(style) {
      const rows = await database.query(
        `INSERT INTO guild_styles (guild_id, name_key, name, text, placement, model, size, seconds, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (guild_id, name_key) DO NOTHING RETURNING 1`,
        [
          style.guildId,
          styleNameKey(style.name),
          style.name,
          style.text,
          style.placement,
          style.model,
          style.size,
          style.seconds,
          style.createdBy,
          now(),
        ],
      );
      return rows.length > 0;
    },

    async removeStyle(guildId, name) {
      const [row] = await database.query<ServerStyle>(
        `DELETE FROM guild_styles WHERE guild_id = $1 AND name_key = $2 RETURNING ${styleSelectList}`,
        [guildId, styleNameKey(name)],
      );
      return row;
    },
  };
}
